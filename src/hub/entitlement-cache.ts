import type { CustomerEntitlements } from "../store/entitlement-state-repository.ts";

/**
 * Resolved entitlements per customer, kept for `ttlMs` by the hub's clock. Every write through
 * the hub invalidates its customer at once; writes by other processes are seen when the entry
 * expires, so `ttlMs` bounds how stale another process's view of a limit can be (0 disables).
 * Usage is never cached: checks read it live.
 */
export interface EntitlementCache {
  get(customerId: string, load: () => Promise<CustomerEntitlements | undefined>): Promise<CustomerEntitlements | undefined>;
  invalidate(customerId: string): void;
}

export interface EntitlementCacheOptions {
  ttlMs: number;
  /** Oldest entries go first past this many customers (per-IP limits can mean many). */
  maxEntries: number;
  now: () => Date;
}

interface Entry {
  value: CustomerEntitlements;
  expiresAt: number;
}

/**
 * @example
 * const cache = createEntitlementCache({ ttlMs: 5000, maxEntries: 10_000, now: () => new Date() });
 * const entry = await cache.get("cus_1", () => loadCustomerEntitlements(store, "cus_1", new Date()));
 * cache.invalidate("cus_1"); // after a write
 */
export function createEntitlementCache(options: EntitlementCacheOptions): EntitlementCache {
  const entries = new Map<string, Entry>();
  // One load per customer at a time; an invalidation drops the load in flight, so a read that
  // began before a write can never store what it read after the write's invalidation.
  const loading = new Map<string, Promise<CustomerEntitlements | undefined>>();

  function store(customerId: string, value: CustomerEntitlements): void {
    entries.delete(customerId);
    entries.set(customerId, { value, expiresAt: options.now().getTime() + options.ttlMs });
    while (entries.size > options.maxEntries) entries.delete(entries.keys().next().value!);
  }

  return {
    async get(customerId, load) {
      if (options.ttlMs === 0) return load();
      const entry = entries.get(customerId);
      if (entry && entry.expiresAt > options.now().getTime()) {
        // Re-inserting moves the customer to the young end of the Map's order (least recently used first).
        entries.delete(customerId);
        entries.set(customerId, entry);
        return entry.value;
      }
      entries.delete(customerId);
      const inFlight = loading.get(customerId);
      if (inFlight) return inFlight;
      const promise = load().then(
        (value) => {
          if (loading.get(customerId) === promise) {
            loading.delete(customerId);
            if (value !== undefined) store(customerId, value);
          }
          return value;
        },
        (error: unknown) => {
          if (loading.get(customerId) === promise) loading.delete(customerId);
          throw error;
        },
      );
      loading.set(customerId, promise);
      return promise;
    },
    invalidate(customerId) {
      entries.delete(customerId);
      loading.delete(customerId);
    },
  };
}
