import pRetry from "p-retry";
import { BillingError } from "../../core/errors.ts";
import type { BillingProvider, ProviderUsageEvent, PushOutcome } from "../../providers/types.ts";
import { retryDelay, type BackoffPolicy } from "./backoff.ts";
import { traced } from "../tracing.ts";

export interface QuickRetryPolicy {
  /** Extra pushes of the still-retryable events after the first one. */
  retries: number;
  backoff: BackoffPolicy;
  /** A wait longer than this is not spent holding a claim: the events are rescheduled instead. */
  maxWaitMs: number;
}

export interface PushOptions {
  policy: QuickRetryPolicy;
  signal?: AbortSignal | undefined;
  sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  random?: () => number;
  /** Told how long each `pushUsage` call took, in seconds. */
  observe?: (seconds: number) => void;
}

/** Thrown inside p-retry when some events are still retryable after a push. */
class StillRetryable extends Error {
  constructor(readonly retryAfterSeconds: number | undefined) {
    super("some events are still retryable");
  }
}

/**
 * Pushes a batch and re-pushes only the events the provider answered retryable, a few times
 * inside one claim (p-retry drives the attempts; the waits are billhub's backoff with jitter, or
 * the provider's Retry-After when longer). This is the only retry layer: the SDKs' own retries
 * are off. Stops early when a wait would exceed `maxWaitMs` or `signal` aborts; the last answer
 * of each event is returned, one per event in input order. A provider that throws (a bug) makes
 * its unanswered events retryable INTERNAL failures, so they are retried and, in the end, dead.
 *
 * @example
 * const outcomes = await pushWithRetries(stripe, events, { policy: { retries: 2, backoff, maxWaitMs: 10_000 }, sleep });
 */
export async function pushWithRetries(provider: BillingProvider, events: readonly ProviderUsageEvent[], options: PushOptions): Promise<PushOutcome[]> {
  const latest = new Map<string, PushOutcome>();
  let remaining: readonly ProviderUsageEvent[] = events;
  let wait = 0;
  try {
    await pRetry(
      async (attempt) => {
        if (attempt > 1) {
          await options.sleep(wait, options.signal);
          // Stopping: the claimed batch was pushed once; what is still retryable is rescheduled.
          if (options.signal?.aborted) return;
        }
        const started = performance.now();
        const batch = remaining;
        const outcomes = await traced("billhub.provider.push_usage", { "billhub.provider": provider.id, "billhub.batch.size": batch.length, "billhub.attempt": attempt }, () => provider.pushUsage(batch), countOutcomes);
        options.observe?.((performance.now() - started) / 1000);
        if (outcomes.length !== remaining.length) {
          throw new Error(`${provider.id}.pushUsage returned ${outcomes.length} outcomes for ${remaining.length} events`);
        }
        for (const outcome of outcomes) latest.set(outcome.transactionId, outcome);
        const retryable = outcomes.filter((outcome) => outcome.status === "retryable");
        if (retryable.length === 0) return;
        remaining = remaining.filter((event) => latest.get(event.transactionId)?.status === "retryable");
        const waits = retryable.map((outcome) => ("error" in outcome ? outcome.error.retryAfterSeconds : undefined)).filter((s): s is number => s !== undefined);
        throw new StillRetryable(waits.length === 0 ? undefined : Math.max(...waits));
      },
      {
        retries: options.policy.retries,
        // The waits are computed here (Retry-After can lengthen them) and slept at the next attempt's start.
        minTimeout: 0,
        factor: 1,
        shouldRetry: ({ error, attemptNumber }) => {
          if (!(error instanceof StillRetryable) || options.signal?.aborted) return false;
          wait = retryDelay(attemptNumber, error.retryAfterSeconds, options.policy.backoff, options.random);
          return wait <= options.policy.maxWaitMs;
        },
      },
    );
  } catch (error) {
    if (!(error instanceof StillRetryable)) {
      const failure = new BillingError("INTERNAL", `${provider.id}.pushUsage failed: ${(error as Error).message}`, { provider: provider.id, retryable: true, cause: error });
      for (const event of remaining) latest.set(event.transactionId, { transactionId: event.transactionId, status: "retryable", error: failure });
    }
  }
  return events.map((event) => latest.get(event.transactionId)!);
}

/** A push span's outcome counts: delivered, retryable and failed events. */
function countOutcomes(outcomes: readonly PushOutcome[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const outcome of outcomes) counts[`billhub.events.${outcome.status}`] = (counts[`billhub.events.${outcome.status}`] ?? 0) + 1;
  return counts;
}
