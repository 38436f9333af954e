import type { BillingError } from "../core/errors.ts";
import { failedOutcome, notAttemptedError, pausedByProviderError } from "./errors.ts";
import { PausedByProvider, type RequestLimiter } from "./request-limiter.ts";
import type { PushOutcome } from "./types.ts";

/** One request's worth of a batch: the events it carries, by their place in the batch. */
export interface Sendable {
  items: ReadonlyArray<{ index: number; transactionId: string }>;
  /** Requests with the same key are sent one at a time, in order (Stripe: one customer's meter). */
  key?: string;
}

/**
 * After this many outages in a batch with no success at all, the rest of the batch is not sent:
 * the provider is down, and sending hundreds more requests would only fail the same way.
 */
const OUTAGES_BEFORE_GIVING_UP = 5;

/**
 * Sends a batch's requests concurrently through the provider's limiter and collects one outcome
 * per event. A failed request never holds up the others: a 429 slows the limiter (and its
 * Retry-After pauses it), an outage fails only its own events. Only a refused API key, or a run
 * of outages without a single success, leaves the rest unsent (retryable, "not sent").
 *
 * @example
 * await sendConcurrently(limiter, requests, async (request) => { await post(request); return delivered(request); }, "stripe");
 */
export async function sendConcurrently<R extends Sendable>(
  limiter: RequestLimiter,
  requests: readonly R[],
  send: (request: R) => Promise<PushOutcome[]>,
  provider: string,
): Promise<Map<number, PushOutcome>> {
  const outcomes = new Map<number, PushOutcome>();
  let stopped: BillingError | undefined;
  let successes = 0;
  let outages = 0;

  const settle = (request: R, answers: readonly PushOutcome[], sent: boolean) => {
    request.items.forEach((item, position) => outcomes.set(item.index, answers[position]!));
    if (!sent) return;
    for (const answer of answers) {
      if (!("error" in answer)) {
        successes += 1;
        continue;
      }
      const { error } = answer;
      if (error.code === "PROVIDER_RATE_LIMITED") limiter.rateLimited(error.retryAfterSeconds);
      else if (error.code === "PROVIDER_AUTH_FAILED") stopped ??= error;
      else if (error.code === "PROVIDER_UNAVAILABLE" && ++outages >= OUTAGES_BEFORE_GIVING_UP && successes === 0) stopped ??= error;
    }
  };
  const unsent = (request: R, error: BillingError) => request.items.map((item) => failedOutcome(item, error));

  await Promise.all(
    requests.map(async (request) => {
      try {
        let sent = false;
        const answers = await limiter.run(() => {
          if (stopped) return Promise.resolve(unsent(request, notAttemptedError(stopped)));
          sent = true;
          return send(request);
        }, request.key);
        settle(request, answers, sent);
      } catch (error) {
        if (!(error instanceof PausedByProvider)) throw error;
        settle(request, unsent(request, pausedByProviderError(provider, error.retryAfterSeconds)), false);
      }
    }),
  );
  return outcomes;
}
