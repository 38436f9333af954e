/** How fast, and how many at once, a provider takes requests. */
export interface SendLimits {
  /** The most requests per second (the provider's documented limit unless configured lower). */
  requestsPerSecond: number;
  /** The most requests in flight at once. */
  maxInFlight: number;
}

/** Thrown to a waiting request when the provider asked for a pause longer than the limiter waits. */
export class PausedByProvider extends Error {
  constructor(readonly retryAfterSeconds: number) {
    super(`the provider asked for a pause of ${retryAfterSeconds} s`);
  }
}

export interface RequestLimiter {
  /**
   * Runs `send` once a rate token and an in-flight slot are free and, with `key`, once no other
   * request of that key is in flight (Stripe takes one call per customer per meter at a time).
   * Requests of one key start in the order they were asked for.
   */
  run<T>(send: () => Promise<T>, key?: string): Promise<T>;
  /** The provider answered "too many requests": slow down, and wait `retryAfterSeconds` when given. */
  rateLimited(retryAfterSeconds?: number): void;
  /** The rate in force now, in requests per second (lower than the limit after a 429). */
  currentRate(): number;
}

/** The time a limiter paces by; tests pass one that skips its waits. */
export interface LimiterClock {
  now(): number;
  /** Calls `wake` after `ms`. */
  wakeAfter(ms: number, wake: () => void): void;
}

const systemClock: LimiterClock = { now: () => Date.now(), wakeAfter: (ms, wake) => void setTimeout(wake, ms) };

export interface LimiterOptions extends SendLimits {
  /** A provider-requested pause longer than this is not waited out: the waiting requests fail with PausedByProvider. */
  maxPauseMs?: number;
  clock?: LimiterClock | undefined;
}

/** After a 429 the rate is multiplied by this (multiplicative decrease)… */
const DECREASE = 0.7;
/** …at most once per this long, since every request in flight at that moment may answer 429 too. */
const DECREASE_COOLDOWN_MS = 1000;
/** …and grows back by this share of the limit per second without a 429 (additive increase). */
const INCREASE_PER_SECOND = 0.1;
/** The rate never drops below this share of the limit. */
const FLOOR = 0.05;
/** Tokens saved up while idle: a tenth of a second's worth, so a burst never overshoots the provider's window. */
const BURST_SECONDS = 0.1;
const DEFAULT_MAX_PAUSE_MS = 10_000;

interface Waiter {
  key: string | undefined;
  start: () => void;
  fail: (error: Error) => void;
}

/**
 * A token bucket with AIMD and an in-flight window, shared by every request a provider sends
 * from this process. A 429 lowers the rate by 30% (once per second) and honours Retry-After;
 * each second without one gives back 10% of the limit, so the rate settles just under what the
 * provider accepts, also when other processes share the same account.
 *
 * @example
 * const limiter = createRequestLimiter({ requestsPerSecond: 1000, maxInFlight: 256 });
 * await limiter.run(() => client.billing.meterEvents.create(params), `${customer}\u0000${meter}`);
 */
export function createRequestLimiter(options: LimiterOptions): RequestLimiter {
  const limit = options.requestsPerSecond;
  const maxPauseMs = options.maxPauseMs ?? DEFAULT_MAX_PAUSE_MS;
  const clock = options.clock ?? systemClock;
  let rate = limit;
  let tokens = Math.max(1, limit * BURST_SECONDS);
  let refilledAt = clock.now();
  let decreasedAt = -Infinity;
  let pausedUntil = 0;
  let inFlight = 0;
  let waking = false;
  /** Requests that may start now, in order. */
  const ready: Waiter[] = [];
  /** Per key: the requests waiting behind the one in flight. A key is busy while it has an entry. */
  const busy = new Map<string, Waiter[]>();

  function refill(now: number): void {
    const seconds = Math.max(0, now - refilledAt) / 1000;
    refilledAt = now;
    if (now - decreasedAt >= DECREASE_COOLDOWN_MS) rate = Math.min(limit, rate + limit * INCREASE_PER_SECOND * seconds);
    tokens = Math.min(Math.max(1, rate * BURST_SECONDS), tokens + rate * seconds);
  }

  function wakeAt(ms: number): void {
    if (waking) return;
    waking = true;
    clock.wakeAfter(Math.max(1, Math.ceil(ms)), () => {
      waking = false;
      pump();
    });
  }

  function pump(): void {
    const now = clock.now();
    refill(now);
    if (pausedUntil > now) {
      if (pausedUntil - now > maxPauseMs) {
        const seconds = Math.ceil((pausedUntil - now) / 1000);
        for (const waiter of ready.splice(0)) waiter.fail(new PausedByProvider(seconds));
        return;
      }
      if (ready.length > 0) wakeAt(pausedUntil - now);
      return;
    }
    while (ready.length > 0 && inFlight < options.maxInFlight) {
      if (tokens < 1) {
        wakeAt(((1 - tokens) / rate) * 1000);
        return;
      }
      tokens -= 1;
      inFlight += 1;
      ready.shift()!.start();
    }
  }

  function done(key: string | undefined): void {
    inFlight -= 1;
    if (key !== undefined) {
      const behind = busy.get(key)!;
      const next = behind.shift();
      if (next === undefined) busy.delete(key);
      else ready.push(next);
    }
    pump();
  }

  return {
    run<T>(send: () => Promise<T>, key?: string): Promise<T> {
      return new Promise<T>((resolve, reject) => {
        const waiter: Waiter = {
          key,
          start: () => {
            // Through a promise, so a send that throws at once still frees its slot.
            Promise.resolve().then(send).then(resolve, reject).finally(() => done(key));
          },
          fail: (error) => {
            reject(error);
            if (key !== undefined) {
              // The key's next request takes its place; the failed one never ran.
              inFlight += 1;
              done(key);
            }
          },
        };
        if (key !== undefined) {
          const behind = busy.get(key);
          if (behind !== undefined) {
            behind.push(waiter);
            return;
          }
          busy.set(key, []);
        }
        ready.push(waiter);
        pump();
      });
    },

    rateLimited(retryAfterSeconds) {
      const now = clock.now();
      refill(now);
      if (now - decreasedAt >= DECREASE_COOLDOWN_MS) {
        rate = Math.max(limit * FLOOR, rate * DECREASE);
        tokens = Math.min(tokens, 0);
        decreasedAt = now;
      }
      if (retryAfterSeconds !== undefined) pausedUntil = Math.max(pausedUntil, now + retryAfterSeconds * 1000);
    },

    currentRate: () => rate,
  };
}
