import type { LagoSubscription } from "./client.ts";

export interface SubscriptionCache {
  /** The customer's current (active and pending) subscriptions, fetched at most once per TTL; concurrent callers share one fetch. */
  get(externalCustomerId: string): Promise<LagoSubscription[]>;
  /** Stores subscriptions read elsewhere (a webhook's re-read), so usage follows a plan change at once. */
  put(externalCustomerId: string, subscriptions: LagoSubscription[]): void;
}

/**
 * Caches each customer's current Lago subscriptions for `ttlMs`: every event names the
 * subscription it belongs to (`external_subscription_id`), and looking it up per event would
 * spend Lago's 50 requests/s read budget. Failed fetches are not cached.
 */
export function createSubscriptionCache(fetch: (externalCustomerId: string) => Promise<LagoSubscription[]>, ttlMs: number, now: () => Date): SubscriptionCache {
  const entries = new Map<string, { subscriptions: LagoSubscription[]; fetchedAt: number }>();
  const inFlight = new Map<string, Promise<LagoSubscription[]>>();
  return {
    async get(externalCustomerId) {
      const entry = entries.get(externalCustomerId);
      if (entry !== undefined && now().getTime() - entry.fetchedAt < ttlMs) return entry.subscriptions;
      const pending = inFlight.get(externalCustomerId);
      if (pending !== undefined) return pending;
      const fetching = fetch(externalCustomerId)
        .then((subscriptions) => {
          entries.set(externalCustomerId, { subscriptions, fetchedAt: now().getTime() });
          return subscriptions;
        })
        .finally(() => inFlight.delete(externalCustomerId));
      inFlight.set(externalCustomerId, fetching);
      return fetching;
    },
    put(externalCustomerId, subscriptions) {
      entries.set(externalCustomerId, { subscriptions, fetchedAt: now().getTime() });
    },
  };
}
