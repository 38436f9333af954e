import type { Sql } from "../../src/store/types.ts";
import { METERS } from "./catalog.ts";

/**
 * Creates the ledger's month partitions for [from, to) before a seed writes into them (otherwise
 * those rows land in the default partition, as events of a month without a partition do).
 */
export async function createLedgerMonths(sql: Sql, from: Date, to: Date): Promise<void> {
  for (let month = Date.UTC(from.getUTCFullYear(), from.getUTCMonth(), 1); month < to.getTime(); ) {
    await sql.query("SELECT usage_events_create_partition($1::timestamptz)", [new Date(month).toISOString()]);
    const at = new Date(month);
    month = Date.UTC(at.getUTCFullYear(), at.getUTCMonth() + 1, 1);
  }
}

/**
 * The statement that writes seeded ledger rows, given its `INSERT INTO usage_events … SELECT …`
 * (without RETURNING): the rows' transaction ids are claimed too, as the record path does.
 */
export function withClaimedIds(insert: string): string {
  return `WITH seeded AS (${insert} RETURNING transaction_id, customer_id, occurred_at)
    INSERT INTO usage_transaction_ids (transaction_id, customer_id, occurred_at) SELECT transaction_id, customer_id, occurred_at FROM seeded`;
}

/**
 * Writes `perCustomer` usage events for each customer straight into the ledger (generate_series,
 * one statement per chunk of customers): seeding is not what a benchmark measures. Events spread
 * evenly over [from, to), meters in turn, quantities 1–97.
 */
export async function seedLedger(sql: Sql, input: { customers: string[]; perCustomer: number; from: Date; to: Date; prefix?: string }): Promise<number> {
  const step = (input.to.getTime() - input.from.getTime()) / input.perCustomer;
  const chunk = Math.max(1, Math.floor(200_000 / input.perCustomer));
  await createLedgerMonths(sql, input.from, input.to);
  for (let at = 0; at < input.customers.length; at += chunk) {
    await sql.query(
      withClaimedIds(`INSERT INTO usage_events (transaction_id, customer_id, meter, quantity, occurred_at, timestamp_given, kind, properties)
       SELECT $5 || c.id || '_' || n, c.id, ($4::text[])[1 + (n % cardinality($4::text[]))], 1 + (n * 7 + c.ord) % 97,
              $2::timestamptz + make_interval(secs => n * $3::float8 / 1000), true, 'usage', '{}'::jsonb
       FROM unnest($1::text[]) WITH ORDINALITY AS c(id, ord), generate_series(0, $6::int - 1) AS n`),
      [input.customers.slice(at, at + chunk), input.from.toISOString(), step, [...METERS], input.prefix ?? "seed_", input.perCustomer],
    );
  }
  await sql.query("ANALYZE usage_events");
  return input.customers.length * input.perCustomer;
}

/** Inserts customer rows (no plan: the catalog's default plan), optionally with a billing period. */
export async function seedCustomers(sql: Sql, ids: string[], period?: { start: Date; end: Date }): Promise<void> {
  await sql.query("INSERT INTO customers (id, period_start, period_end) SELECT unnest($1::text[]), $2, $3", [ids, period?.start ?? null, period?.end ?? null]);
}
