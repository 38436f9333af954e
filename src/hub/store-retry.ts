import { BillingError } from "../core/errors.ts";
import { backoffDelay, sleep, type BackoffPolicy } from "./forwarder/backoff.ts";

export interface StoreRetryPolicy {
  /** Tries in all, the first included; 1 means no retry. */
  attempts: number;
  backoff: BackoffPolicy;
}

/** About 15 s of waiting in all: rides out a failover or a restart, not an outage. */
export const DEFAULT_STORE_RETRY: StoreRetryPolicy = { attempts: 5, backoff: { baseMs: 1_000, capMs: 8_000 } };

/**
 * Runs `step` again, after a growing wait, while it fails because the store is unavailable; any
 * other error, or the last failure, is thrown. Only for steps that are safe to repeat: a
 * transaction that failed may or may not have committed, so the step must find out (as an
 * invoice batch does: a customer already invoiced is counted, not invoiced again).
 *
 * @example
 * const page = await retryWhileStoreUnavailable(() => nextRunCustomers(store, month, after, 500));
 */
export async function retryWhileStoreUnavailable<T>(step: () => Promise<T>, policy: StoreRetryPolicy = DEFAULT_STORE_RETRY): Promise<T> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await step();
    } catch (error) {
      if (attempt >= policy.attempts || !(error instanceof BillingError) || error.code !== "STORE_UNAVAILABLE") throw error;
      await sleep(backoffDelay(attempt, policy.backoff));
    }
  }
}
