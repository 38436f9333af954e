/** Exponential backoff settings: the first step and the largest. */
export interface BackoffPolicy {
  baseMs: number;
  capMs: number;
}

/**
 * The wait before attempt `attempt + 1`, with "equal jitter": the exponential step is
 * `min(cap, base × 2^(attempt−1))`; half of it is always waited and the other half is random.
 * Never less than half the step (so retries back off even when unlucky) and spread enough that
 * forwarders which failed together do not retry together.
 *
 * @example
 * backoffDelay(1, { baseMs: 1000, capMs: 60_000 }, () => 0)   // 500
 * backoffDelay(3, { baseMs: 1000, capMs: 60_000 }, () => 1)   // 4000
 * backoffDelay(20, { baseMs: 1000, capMs: 60_000 }, () => 0.5) // 45000
 */
export function backoffDelay(attempt: number, policy: BackoffPolicy, random: () => number = Math.random): number {
  const step = Math.min(policy.capMs, policy.baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(step / 2 + random() * (step / 2));
}

/**
 * The wait before retrying after `attempt` failed: the backoff, or the provider's Retry-After
 * when that is longer (a provider that says when to come back is never asked sooner).
 *
 * @example
 * retryDelay(1, 30, { baseMs: 1000, capMs: 60_000 }) // 30000
 */
export function retryDelay(attempt: number, retryAfterSeconds: number | undefined, policy: BackoffPolicy, random: () => number = Math.random): number {
  return Math.max(backoffDelay(attempt, policy, random), (retryAfterSeconds ?? 0) * 1000);
}

/** Waits `ms`, or less when `signal` aborts (then it resolves early instead of throwing). */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (ms <= 0 || signal?.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener("abort", done, { once: true });
  });
}
