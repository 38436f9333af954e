import type { Aggregation } from "../../core/catalog/index.ts";
import { canonicalDecimal } from "../../core/decimal.ts";
import type { BucketUnit } from "../../core/buckets.ts";
import type { Sql } from "../types.ts";

/** The part of a catalog meter the SQL needs. */
export interface MeterSpec {
  key: string;
  aggregation: Aggregation;
  /** The counted property of a unique_count meter. */
  property?: string | undefined;
}

/** A half-open window; null = unbounded on that side. */
export interface Bounds {
  from: Date | null;
  to: Date | null;
}

/**
 * How each aggregation reads the ledger (alias `e`), in SQL so that only the result leaves the
 * database. Refunds, bonuses and negative corrections count in sum and count meters: a usage
 * event counts 1 on a count meter and an adjustment or correction counts its quantity (the number
 * of events it adds or takes back). max, last and unique_count look at usage and corrections only;
 * `last` breaks a tie on the timestamp by the greater transaction id (bytewise, so every database
 * and driver gives the same answer).
 */
export function aggregateSql(aggregation: Aggregation, propertyParam: string): string {
  switch (aggregation) {
    case "sum":
      return "COALESCE(sum(e.quantity), 0)";
    case "count":
      return "COALESCE(sum(CASE WHEN e.kind = 'usage' THEN 1 ELSE e.quantity END), 0)";
    case "max":
      return "COALESCE(max(e.quantity) FILTER (WHERE e.kind IN ('usage', 'correction')), 0)";
    case "last":
      return `COALESCE((array_agg(e.quantity ORDER BY e.occurred_at DESC, e.transaction_id COLLATE "C" DESC) FILTER (WHERE e.kind IN ('usage', 'correction')))[1], 0)`;
    case "unique_count":
      return `count(DISTINCT e.properties ->> ${propertyParam}) FILTER (WHERE e.kind IN ('usage', 'correction'))`;
    default: {
      const unknown: never = aggregation;
      throw new Error(`unknown aggregation ${String(unknown)}`);
    }
  }
}

/** Every filter pair must match the property's text form. */
function filterSql(filterParam: string): string {
  return `NOT EXISTS (SELECT 1 FROM jsonb_each_text(${filterParam}::jsonb) f WHERE (e.properties ->> f.key) IS DISTINCT FROM f.value)`;
}

const fromParam = (at: Date | null) => (at === null ? "-infinity" : at.toISOString());
const toParam = (at: Date | null) => (at === null ? "infinity" : at.toISOString());
const hasFilter = (filter: Record<string, string> | undefined): filter is Record<string, string> => filter !== undefined && Object.keys(filter).length > 0;

export interface UsageValueQuery {
  customerId: string;
  meter: MeterSpec;
  bounds: Bounds;
  /** Count only events at or after this feature's latest reset before the window's end. */
  sinceResetOf?: string;
  filter?: Record<string, string> | undefined;
}

/**
 * One customer's aggregate of one meter over a window, and whether the customer exists, in one
 * round trip. The value is a canonical exact decimal.
 */
export async function queryUsageValue(sql: Sql, q: UsageValueQuery): Promise<{ known: boolean; value: string }> {
  const params: unknown[] = [q.customerId, q.meter.key, fromParam(q.bounds.from), toParam(q.bounds.to)];
  const param = (value: unknown) => {
    params.push(value);
    return `$${params.length}`;
  };
  const conditions = ["e.customer_id = $1", "e.meter = $2", "e.occurred_at >= $3::timestamptz", "e.occurred_at < $4::timestamptz"];
  if (q.sinceResetOf !== undefined) {
    conditions.push(
      `e.occurred_at >= COALESCE((SELECT max(r.reset_at) FROM usage_resets r WHERE r.customer_id = $1 AND r.feature = ${param(q.sinceResetOf)} AND r.reset_at < $4::timestamptz), '-infinity')`,
    );
  }
  if (hasFilter(q.filter)) conditions.push(filterSql(param(JSON.stringify(q.filter))));
  const property = q.meter.aggregation === "unique_count" ? param(q.meter.property) + "::text" : "NULL";
  const { rows } = await sql.query<{ known: boolean; value: string }>(
    `SELECT EXISTS (SELECT 1 FROM customers WHERE id = $1) AS known,
            (SELECT ${aggregateSql(q.meter.aggregation, property)} FROM usage_events e WHERE ${conditions.join(" AND ")})::text AS value`,
    params,
  );
  const row = rows[0]!;
  return { known: row.known, value: canonicalDecimal(row.value) };
}

export interface BucketQuery {
  /** Each customer with its own window (billing periods differ per customer). */
  scopes: ReadonlyArray<{ customerId: string; from: Date; to: Date }>;
  meters: readonly MeterSpec[];
  unit: BucketUnit;
  filter?: Record<string, string> | undefined;
}

/** One aggregate: of a UTC calendar bucket (bucket = its start), or of the whole window (bucket = null). */
export interface BucketRow {
  customerId: string;
  meter: string;
  bucket: Date | null;
  value: string;
}

/**
 * Aggregates per customer × meter × calendar bucket (UTC; weeks start on Monday) plus the
 * window total of each pair, in one statement: one grouped SELECT per distinct aggregation,
 * joined with UNION ALL. Pairs and buckets without events are absent.
 */
export async function queryUsageBuckets(sql: Sql, q: BucketQuery): Promise<BucketRow[]> {
  if (q.scopes.length === 0 || q.meters.length === 0) return [];
  const params: unknown[] = [
    q.scopes.map((s) => s.customerId),
    q.scopes.map((s) => s.from.toISOString()),
    q.scopes.map((s) => s.to.toISOString()),
    q.unit,
  ];
  const param = (value: unknown) => {
    params.push(value);
    return `$${params.length}`;
  };
  const filter = hasFilter(q.filter) ? ` AND ${filterSql(param(JSON.stringify(q.filter)))}` : "";
  const groups = new Map<string, { aggregation: Aggregation; property: string | undefined; keys: string[] }>();
  for (const meter of q.meters) {
    const id = `${meter.aggregation}:${meter.property ?? ""}`;
    const group = groups.get(id) ?? { aggregation: meter.aggregation, property: meter.property, keys: [] };
    group.keys.push(meter.key);
    groups.set(id, group);
  }
  const selects = [...groups.values()].map((group) => {
    const property = group.aggregation === "unique_count" ? `${param(group.property)}::text` : "NULL";
    return `SELECT e.customer_id, e.meter, e.bucket, (${aggregateSql(group.aggregation, property)})::text AS value
      FROM (SELECT e.*, date_trunc($4, e.occurred_at, 'UTC') AS bucket
            FROM unnest($1::text[], $2::timestamptz[], $3::timestamptz[]) AS c(customer_id, from_at, to_at)
            JOIN usage_events e ON e.customer_id = c.customer_id AND e.occurred_at >= c.from_at AND e.occurred_at < c.to_at
            WHERE e.meter = ANY(${param(group.keys)}::text[])${filter}) e
      GROUP BY GROUPING SETS ((e.customer_id, e.meter, e.bucket), (e.customer_id, e.meter))`;
  });
  const { rows } = await sql.query<{ customer_id: string; meter: string; bucket: Date | null; value: string }>(selects.join("\nUNION ALL\n"), params);
  return rows.map((row) => ({ customerId: row.customer_id, meter: row.meter, bucket: row.bucket, value: canonicalDecimal(row.value) }));
}
