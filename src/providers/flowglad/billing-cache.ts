import type { FlowgladCustomerBilling } from "./types.ts";

export interface BillingCache {
  /** The customer's billing, fetched at most once per TTL; concurrent callers share one fetch. */
  get(externalId: string): Promise<FlowgladCustomerBilling>;
  /** Stores billing fetched elsewhere (e.g. after a webhook said it changed). */
  put(externalId: string, billing: FlowgladCustomerBilling): void;
  /** Forgets one customer (or everyone), so the next `get` fetches. */
  invalidate(externalId?: string): void;
}

/**
 * Caches each customer's Flowglad billing for `ttlMs`: sending usage needs the subscription and
 * pricing model per customer, and fetching them for every event would double the calls. Failed
 * fetches are not cached.
 */
export function createBillingCache(fetch: (externalId: string) => Promise<FlowgladCustomerBilling>, ttlMs: number, now: () => Date): BillingCache {
  const entries = new Map<string, { billing: FlowgladCustomerBilling; fetchedAt: number }>();
  const inFlight = new Map<string, Promise<FlowgladCustomerBilling>>();

  return {
    async get(externalId) {
      const entry = entries.get(externalId);
      if (entry !== undefined && now().getTime() - entry.fetchedAt < ttlMs) return entry.billing;
      const pending = inFlight.get(externalId);
      if (pending !== undefined) return pending;
      const fetching = fetch(externalId)
        .then((billing) => {
          entries.set(externalId, { billing, fetchedAt: now().getTime() });
          return billing;
        })
        .finally(() => inFlight.delete(externalId));
      inFlight.set(externalId, fetching);
      return fetching;
    },
    put(externalId, billing) {
      entries.set(externalId, { billing, fetchedAt: now().getTime() });
    },
    invalidate(externalId) {
      if (externalId === undefined) entries.clear();
      else entries.delete(externalId);
    },
  };
}
