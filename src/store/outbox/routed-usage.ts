import type { Aggregation } from "../../core/catalog/index.ts";
import { canonicalDecimal } from "../../core/decimal.ts";
import { aggregateSql, type MeterSpec } from "../ledger/aggregate.ts";
import type { Sql } from "../types.ts";

/** The ledger's aggregate of the usage queued for one provider, per customer and meter. */
export interface RoutedUsage {
  customerId: string;
  meter: string;
  /** Canonical exact decimal, by the catalog meter's aggregation. */
  value: string;
  aggregation: Aggregation;
  /** Of those events, how many are not delivered yet, and how many are dead. */
  pending: number;
  dead: number;
}

/**
 * Aggregates, per customer and meter, the ledger events timestamped in [from, to) that were
 * queued for `provider` (they have an outbox row for it, whatever its status), by each meter's
 * own aggregation: what the provider should hold for the window. One grouped SELECT per distinct
 * aggregation, joined with UNION ALL.
 *
 * @example
 * await routedUsage(store, { provider: "stripe", meters, from: oct1, to: nov1 })
 * // [{ customerId: "acme", meter: "api_calls", value: "1500", aggregation: "sum", pending: 0, dead: 0 }]
 */
export async function routedUsage(sql: Sql, q: { provider: string; meters: readonly MeterSpec[]; from: Date; to: Date; customerId?: string | undefined }): Promise<RoutedUsage[]> {
  if (q.meters.length === 0) return [];
  const params: unknown[] = [q.provider, q.from.toISOString(), q.to.toISOString(), q.customerId ?? null];
  const param = (value: unknown) => {
    params.push(value);
    return `$${params.length}`;
  };
  const groups = new Map<string, { aggregation: Aggregation; property: string | undefined; keys: string[] }>();
  for (const meter of q.meters) {
    const id = `${meter.aggregation}:${meter.property ?? ""}`;
    const group = groups.get(id) ?? { aggregation: meter.aggregation, property: meter.property, keys: [] };
    group.keys.push(meter.key);
    groups.set(id, group);
  }
  const selects = [...groups.values()].map((group) => {
    const property = group.aggregation === "unique_count" ? `${param(group.property)}::text` : "NULL";
    return `SELECT e.customer_id, e.meter, ${param(group.aggregation)}::text AS aggregation, (${aggregateSql(group.aggregation, property)})::text AS value,
              count(*) FILTER (WHERE o.status = 'pending')::int AS pending, count(*) FILTER (WHERE o.status = 'dead')::int AS dead
       FROM usage_events e JOIN usage_outbox o ON o.transaction_id = e.transaction_id AND o.provider = $1
       WHERE e.occurred_at >= $2::timestamptz AND e.occurred_at < $3::timestamptz AND ($4::text IS NULL OR e.customer_id = $4)
         AND e.meter = ANY(${param(group.keys)}::text[])
       GROUP BY e.customer_id, e.meter`;
  });
  const { rows } = await sql.query<{ customer_id: string; meter: string; aggregation: Aggregation; value: string; pending: number; dead: number }>(selects.join("\nUNION ALL\n"), params);
  return rows.map((row) => ({ customerId: row.customer_id, meter: row.meter, value: canonicalDecimal(row.value), aggregation: row.aggregation, pending: row.pending, dead: row.dead }));
}

/** Customers known at `provider` (their `provider_ids` name it), optionally just one. */
export async function customersAt(sql: Sql, provider: string, customerId?: string): Promise<Array<{ customerId: string; providerCustomerId: string }>> {
  const { rows } = await sql.query<{ id: string; provider_customer_id: string }>(
    "SELECT id, provider_ids ->> $1 AS provider_customer_id FROM customers WHERE provider_ids ->> $1 IS NOT NULL AND ($2::text IS NULL OR id = $2) ORDER BY id",
    [provider, customerId ?? null],
  );
  return rows.map((row) => ({ customerId: row.id, providerCustomerId: row.provider_customer_id }));
}

/** Provider ids of some customers (`provider_ids`), by customer id. */
export async function providerIdsOf(sql: Sql, customerIds: readonly string[]): Promise<Map<string, Record<string, string>>> {
  const { rows } = await sql.query<{ id: string; provider_ids: Record<string, string> }>("SELECT id, provider_ids FROM customers WHERE id = ANY($1::text[])", [[...customerIds]]);
  return new Map(rows.map((row) => [row.id, row.provider_ids]));
}
