import type { Sql } from "../types.ts";
import { EVENT_COLUMNS, rowToEvent, type EventRow, type UsageEvent, type UsageKind } from "./event-row.ts";

export interface EventListQuery {
  customerId: string;
  meter?: string | undefined;
  kind?: UsageKind | undefined;
  from?: Date | undefined;
  to?: Date | undefined;
  limit: number;
  order: "asc" | "desc";
  /** Keyset position: events strictly after it in `order`. */
  after?: { timestamp: Date; transactionId: string } | undefined;
}

/**
 * One page of a customer's events ordered by (timestamp, transaction id bytewise), fetched by keyset so
 * that pages neither skip nor repeat rows however deep the listing goes. Returns one row more
 * than `limit` when there is a further page.
 */
export async function queryEvents(sql: Sql, q: EventListQuery): Promise<UsageEvent[]> {
  const params: unknown[] = [q.customerId];
  const param = (value: unknown) => {
    params.push(value);
    return `$${params.length}`;
  };
  const conditions = ["e.customer_id = $1"];
  if (q.meter !== undefined) conditions.push(`e.meter = ${param(q.meter)}`);
  if (q.kind !== undefined) conditions.push(`e.kind = ${param(q.kind)}`);
  if (q.from !== undefined) conditions.push(`e.occurred_at >= ${param(q.from.toISOString())}::timestamptz`);
  if (q.to !== undefined) conditions.push(`e.occurred_at < ${param(q.to.toISOString())}::timestamptz`);
  const direction = q.order === "asc" ? "ASC" : "DESC";
  if (q.after !== undefined) {
    const comparison = q.order === "asc" ? ">" : "<";
    conditions.push(
      `(e.occurred_at, e.transaction_id COLLATE "C") ${comparison} (${param(q.after.timestamp.toISOString())}::timestamptz, ${param(q.after.transactionId)}::text COLLATE "C")`,
    );
  }
  const { rows } = await sql.query<EventRow>(
    `SELECT ${EVENT_COLUMNS} FROM usage_events e WHERE ${conditions.join(" AND ")}
     ORDER BY e.occurred_at ${direction}, e.transaction_id COLLATE "C" ${direction} LIMIT ${param(q.limit + 1)}`,
    params,
  );
  return rows.map(rowToEvent);
}

export async function customerExists(sql: Sql, customerId: string): Promise<boolean> {
  const { rows } = await sql.query("SELECT 1 FROM customers WHERE id = $1", [customerId]);
  return rows.length > 0;
}
