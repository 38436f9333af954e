import { defineCatalog } from "../../src/core/catalog/index.ts";
import type { Sql } from "../../src/store/types.ts";

/** A catalog with one meter of every aggregation and metered features over some of them. */
export const ledgerCatalog = defineCatalog({
  currency: "USD",
  meters: {
    api_calls: { aggregation: "sum", unit: "call" },
    llm_tokens: { aggregation: "sum", unit: "token" },
    storage_gb_hours: { aggregation: "sum", unit: "GB-hour" },
    requests: { aggregation: "count" },
    peak_seats: { aggregation: "max" },
    storage_level: { aggregation: "last" },
    active_models: { aggregation: "unique_count", property: "model" },
  },
  features: {
    api: { type: "metered", meter: "api_calls", reset: "month" },
    tokens: { type: "metered", meter: "llm_tokens", reset: "billing_period" },
    models: { type: "metered", meter: "active_models", reset: "billing_period" },
    seats: { type: "static" },
    sso: { type: "boolean" },
  },
  plans: { free: { name: "Free", features: { api: 1000, tokens: 50000, models: 1, seats: 1 } } },
  defaultPlan: "free",
});

/** A clock tests move by hand. */
export function testClock(start: string): { now: () => Date; set(iso: string): void; advance(ms: number): void } {
  let current = new Date(start);
  return {
    now: () => new Date(current.getTime()),
    set(iso) {
      current = new Date(iso);
    },
    advance(ms) {
      current = new Date(current.getTime() + ms);
    },
  };
}

/** Inserts a customer row directly (the customers API lives elsewhere). */
export async function createCustomer(sql: Sql, id: string, period?: { start: string; end: string }): Promise<string> {
  await sql.query("INSERT INTO customers (id, period_start, period_end) VALUES ($1, $2, $3)", [id, period?.start ?? null, period?.end ?? null]);
  return id;
}

/** Rows of the outbox for some transaction ids, in a stable order. */
export async function outboxOf(sql: Sql, transactionIds: string[]): Promise<Array<{ transaction_id: string; provider: string; role: string; status: string; attempts: number }>> {
  const { rows } = await sql.query<{ transaction_id: string; provider: string; role: string; status: string; attempts: number }>(
    "SELECT transaction_id, provider, role, status, attempts FROM usage_outbox WHERE transaction_id = ANY($1::text[]) ORDER BY transaction_id, provider",
    [transactionIds],
  );
  return rows;
}

/** How many ledger rows carry these transaction ids. */
export async function ledgerCount(sql: Sql, transactionIds: string[]): Promise<number> {
  const { rows } = await sql.query<{ n: number }>("SELECT count(*)::int AS n FROM usage_events WHERE transaction_id = ANY($1::text[])", [transactionIds]);
  return rows[0]!.n;
}
