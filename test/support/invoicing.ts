import { createHub, type Hub, type HubOptions } from "../../src/hub.ts";
import type { CatalogInput } from "../../src/core/catalog/index.ts";
import type { HubConfigInput } from "../../src/config/schema.ts";
import type { Store, Sql } from "../../src/store/types.ts";
import { storeOf } from "../../src/hub/hub-internals.ts";

/**
 * A catalog billing every way a stored invoice can: a platform fee, API calls past an allowance,
 * a percentage of payments per event, graduated storage, a minimum commitment, and a plan whose
 * API price comes from Stripe by lookup key.
 */
export const INVOICING_CATALOG: CatalogInput = {
  currency: "USD",
  meters: {
    api_calls: { aggregation: "sum" },
    payments: { aggregation: "sum", description: "payment amounts in cents" },
    storage_gb: { aggregation: "max" },
    requests: { aggregation: "count" },
  },
  features: { api: { type: "metered", meter: "api_calls", reset: "billing_period" } },
  plans: {
    free: { name: "Free", features: { api: 1000 } },
    pro: {
      name: "Pro",
      features: { api: 1_000_000 },
      charges: [
        { key: "platform", model: "flat", amount: 4900, description: "Platform fee" },
        { key: "api", meter: "api_calls", model: "per_unit", unitAmount: "0.5", includedUnits: 1000, description: "API calls" },
        { key: "payments", meter: "payments", model: "percentage", percent: "1.2", fixedFee: 10, freeEvents: 1, description: "Payment fees" },
        { key: "storage", meter: "storage_gb", model: "graduated", tiers: [{ upTo: 10, unitAmount: 0 }, { upTo: null, unitAmount: 25 }], description: "Storage" },
      ],
      minimumCommitment: { amount: 10_000 },
    },
    metered: {
      name: "Metered",
      features: { api: null },
      charges: [
        { key: "api", meter: "api_calls", model: "per_unit", price: { lookupKey: "api_calls" }, description: "API calls" },
        { key: "requests", meter: "requests", model: "package", packageSize: 100, packageAmount: 200, round: "up", description: "Requests" },
      ],
    },
  },
  defaultPlan: "free",
};

/** A hub on the test's store and clock, with the invoicing catalog unless told otherwise. */
export function invoicingHub(store: Store, now: () => Date, options: { config?: HubConfigInput; hub?: HubOptions } = {}): Promise<Hub> {
  return createHub({ catalog: INVOICING_CATALOG, ...options.config }, { store, now, ...options.hub });
}

/**
 * Creates (or updates) a customer, on `plan` from its creation, and sets when it was created: a run invoices a customer for a
 * period only if it existed by the period's end (or has usage in it), and `created_at` is the
 * database's own clock, not the hub's test clock.
 */
export async function customer(hub: Hub, id: string, options: { plan?: string; createdAt?: string; periodStart?: string; periodEnd?: string; stripe?: string } = {}): Promise<string> {
  await hub.upsertCustomer({
    id,
    ...(options.periodStart ? { periodStart: options.periodStart } : {}),
    ...(options.periodEnd ? { periodEnd: options.periodEnd } : {}),
    ...(options.stripe ? { providerIds: { stripe: options.stripe } } : {}),
  });
  const createdAt = options.createdAt ?? "2026-01-01T00:00:00Z";
  // On the plan since it was created: a plan change is dated, and invoices price each part of a window on the plan held then.
  if (options.plan) await hub.assign(id, options.plan, { effectiveAt: createdAt });
  await setCreatedAt(storeOf(hub), id, createdAt);
  return id;
}

export async function setCreatedAt(sql: Sql, id: string, at: string): Promise<void> {
  await sql.query("UPDATE customers SET created_at = $2 WHERE id = $1", [id, at]);
}

/** Records usage with a transaction id derived from the customer, meter and timestamp. */
export async function use(hub: Hub, customerId: string, meter: string, quantity: number | string, timestamp: string, extra: Record<string, unknown> = {}) {
  return hub.record({ customerId, meter, quantity, timestamp, transactionId: `${customerId}:${meter}:${timestamp}:${quantity}`.replaceAll(/\s/g, "_"), ...extra });
}
