import { arrayLiteral } from "../array-literal.ts";
import type { Sql } from "../types.ts";

/** A threshold alert that fired, as stored. */
export interface AlertFiringRecord {
  /** The event id: derived from (customer, alert, window start); every delivery carries it. */
  id: string;
  customerId: string;
  alert: string;
  kind: string;
  windowStart: Date;
  windowEnd: Date | null;
  feature: string | null;
  threshold: string;
  value: string;
  /** The JSON event body delivered to endpoints. */
  body: string;
  firedAt: Date;
}

/** One endpoint's delivery of a firing, as operators see it. */
export interface AlertDeliveryState {
  endpoint: string;
  status: "pending" | "delivered" | "dead";
  attempts: number;
  nextAttemptAt: Date;
  lastAttemptAt: Date | null;
  lastStatus: number | null;
  lastError: string | null;
  deliveredAt: Date | null;
}

/**
 * Stores a firing and queues one delivery per endpoint, unless this (customer, alert, window) has
 * fired already: the unique key decides, so concurrent writers crossing the same threshold store
 * one firing and one set of deliveries between them (a second writer waits for the first's
 * transaction and then does nothing). Returns whether this call fired it.
 *
 * @example
 * await insertFiring(tx, firing, ["ops"]) // true the first time in the window, false after
 */
export async function insertFiring(sql: Sql, firing: AlertFiringRecord, endpoints: readonly string[]): Promise<boolean> {
  const { rows } = await sql.query<{ fired: number }>(
    `WITH fired AS (
       INSERT INTO alert_firings (id, customer_id, alert, kind, window_start, window_end, feature, threshold, value, body, fired_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
       ON CONFLICT DO NOTHING
       RETURNING id
     ),
     queued AS (
       INSERT INTO alert_deliveries (event_id, endpoint)
       SELECT fired.id, endpoint FROM fired, unnest($12::text[]) AS endpoint
       RETURNING 1
     )
     SELECT (SELECT count(*)::int FROM fired) AS fired, (SELECT count(*)::int FROM queued) AS queued`,
    [
      firing.id,
      firing.customerId,
      firing.alert,
      firing.kind,
      firing.windowStart,
      firing.windowEnd,
      firing.feature,
      firing.threshold,
      firing.value,
      firing.body,
      firing.firedAt,
      arrayLiteral(endpoints),
    ],
  );
  return rows[0]!.fired === 1;
}

export interface FiringFilter {
  customerId?: string | undefined;
  alert?: string | undefined;
  kind?: string | undefined;
  /** Only firings with a delivery in this status. */
  deliveryStatus?: "pending" | "delivered" | "dead" | undefined;
  limit: number;
  /** The last row of the previous page: (fired_at, id). */
  after?: { firedAt: Date; id: string } | undefined;
}

type FiringRow = {
  id: string;
  customer_id: string;
  alert: string;
  kind: string;
  window_start: Date;
  window_end: Date | null;
  feature: string | null;
  threshold: string;
  value: string;
  body: string;
  fired_at: Date;
  deliveries: Array<{
    endpoint: string;
    status: AlertDeliveryState["status"];
    attempts: number;
    next_attempt_at: string;
    last_attempt_at: string | null;
    last_status: number | null;
    last_error: string | null;
    delivered_at: string | null;
  }>;
};

const date = (value: string | null): Date | null => (value === null ? null : new Date(value));

/**
 * Firings, newest first, with each endpoint's delivery state; filters are exact matches.
 *
 * @example
 * await listFirings(store, { customerId: "org_42", limit: 50 }) // [{ id: "evt_...", alert: "api_80", deliveries: [...] }, ...]
 */
export async function listFirings(sql: Sql, filter: FiringFilter): Promise<Array<AlertFiringRecord & { deliveries: AlertDeliveryState[] }>> {
  const { rows } = await sql.query<FiringRow>(
    `SELECT f.id, f.customer_id, f.alert, f.kind, f.window_start, f.window_end, f.feature, f.threshold, f.value, f.body, f.fired_at,
            COALESCE((SELECT json_agg(json_build_object('endpoint', d.endpoint, 'status', d.status, 'attempts', d.attempts,
                        'next_attempt_at', d.next_attempt_at, 'last_attempt_at', d.last_attempt_at, 'last_status', d.last_status,
                        'last_error', d.last_error, 'delivered_at', d.delivered_at) ORDER BY d.endpoint)
                      FROM alert_deliveries d WHERE d.event_id = f.id), '[]'::json) AS deliveries
     FROM alert_firings f
     WHERE ($1::text IS NULL OR f.customer_id = $1)
       AND ($2::text IS NULL OR f.alert = $2)
       AND ($3::text IS NULL OR f.kind = $3)
       AND ($4::text IS NULL OR EXISTS (SELECT 1 FROM alert_deliveries d WHERE d.event_id = f.id AND d.status = $4))
       AND ($5::timestamptz IS NULL OR (f.fired_at, f.id) < ($5::timestamptz, $6::text))
     ORDER BY f.fired_at DESC, f.id DESC
     LIMIT $7`,
    [filter.customerId ?? null, filter.alert ?? null, filter.kind ?? null, filter.deliveryStatus ?? null, filter.after?.firedAt ?? null, filter.after?.id ?? null, filter.limit],
  );
  return rows.map((row) => ({
    id: row.id,
    customerId: row.customer_id,
    alert: row.alert,
    kind: row.kind,
    windowStart: row.window_start,
    windowEnd: row.window_end,
    feature: row.feature,
    threshold: row.threshold,
    value: row.value,
    body: row.body,
    firedAt: row.fired_at,
    deliveries: row.deliveries.map((d) => ({
      endpoint: d.endpoint,
      status: d.status,
      attempts: d.attempts,
      nextAttemptAt: new Date(d.next_attempt_at),
      lastAttemptAt: date(d.last_attempt_at),
      lastStatus: d.last_status,
      lastError: d.last_error,
      deliveredAt: date(d.delivered_at),
    })),
  }));
}

/**
 * Which of these event ids have fired already: one primary-key lookup for a whole batch, so
 * writers skip reading usage for thresholds that fired earlier in their window.
 *
 * @example
 * await firedIds(store, ["evt_1...", "evt_2..."]) // Set { "evt_1..." }
 */
export async function firedIds(sql: Sql, ids: readonly string[]): Promise<Set<string>> {
  if (ids.length === 0) return new Set();
  const { rows } = await sql.query<{ id: string }>("SELECT id FROM alert_firings WHERE id = ANY($1::text[])", [arrayLiteral(ids)]);
  return new Set(rows.map((row) => row.id));
}
