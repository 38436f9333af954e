import type { Sql, Store } from "../types.ts";

/** One delivery claimed for sending: the firing's event id and body, and the endpoint it goes to. */
export interface ClaimedDelivery {
  eventId: string;
  endpoint: string;
  /** Claims of this delivery so far, this one included. */
  attempts: number;
  body: string;
}

export interface DeliveryClaimOptions {
  limit: number;
  leaseMs: number;
  /** Unique per claim: only this claim may settle the rows. */
  claimId: string;
  /** Who claims, for operators (`host:pid:...`). */
  claimedBy: string;
}

/**
 * Claims due deliveries in one short transaction, as the usage forwarder claims outbox rows: the
 * oldest due pending rows not locked by another sender (FOR UPDATE SKIP LOCKED, so any number of
 * senders share one database), counted as an attempt and leased (next_attempt_at moves to the
 * lease's end). A sender that dies before settling leaves its rows due again when the lease ends.
 *
 * @example
 * await claimDeliveries(store, { limit: 20, leaseMs: 60_000, claimId: randomUUID(), claimedBy: "host:42" })
 */
export async function claimDeliveries(store: Store, options: DeliveryClaimOptions): Promise<ClaimedDelivery[]> {
  if (options.limit <= 0) return [];
  const { rows } = await store.transaction((tx) =>
    tx.query<{ event_id: string; endpoint: string; attempts: number; body: string }>(
      `WITH due AS (
         SELECT event_id, endpoint FROM alert_deliveries
         WHERE status = 'pending' AND next_attempt_at <= now()
         ORDER BY next_attempt_at
         LIMIT $1
         FOR UPDATE SKIP LOCKED
       ),
       claimed AS (
         UPDATE alert_deliveries d
         SET attempts = d.attempts + 1, claim_id = $2, claimed_by = $3, next_attempt_at = now() + $4 * interval '1 millisecond'
         FROM due
         WHERE d.event_id = due.event_id AND d.endpoint = due.endpoint
         RETURNING d.event_id, d.endpoint, d.attempts
       )
       SELECT c.event_id, c.endpoint, c.attempts, f.body FROM claimed c JOIN alert_firings f ON f.id = c.event_id
       ORDER BY f.fired_at, c.event_id, c.endpoint`,
      [options.limit, options.claimId, options.claimedBy, options.leaseMs],
    ),
  );
  return rows.map((row) => ({ eventId: row.event_id, endpoint: row.endpoint, attempts: row.attempts, body: row.body }));
}

/** What becomes of one claimed delivery. */
export type DeliverySettlement =
  | { status: "delivered"; httpStatus: number }
  | { status: "pending" | "dead"; httpStatus: number | null; error: string; /** pending: from now. */ delayMs: number };

/**
 * Settles one claimed delivery, if this claim still holds it (same claim id, still pending): a
 * sender whose lease ran out and whose row another sender took over changes nothing. Returns
 * whether it settled.
 *
 * @example
 * await settleDelivery(store, claimId, { eventId, endpoint: "ops" }, { status: "delivered", httpStatus: 204 })
 */
export async function settleDelivery(sql: Sql, claimId: string, key: { eventId: string; endpoint: string }, settlement: DeliverySettlement): Promise<boolean> {
  const failed = settlement.status === "delivered" ? undefined : settlement;
  const { rowCount } = await sql.query(
    `UPDATE alert_deliveries
     SET status = $4,
         delivered_at = CASE WHEN $4 = 'delivered' THEN now() END,
         next_attempt_at = CASE WHEN $4 = 'pending' THEN now() + $5 * interval '1 millisecond' ELSE next_attempt_at END,
         last_attempt_at = now(),
         last_status = $6,
         last_error = $7,
         claim_id = NULL
     WHERE event_id = $1 AND endpoint = $2 AND claim_id = $3 AND status = 'pending'`,
    [key.eventId, key.endpoint, claimId, settlement.status, Math.max(0, Math.round(failed?.delayMs ?? 0)), settlement.httpStatus, failed?.error ?? null],
  );
  return rowCount === 1;
}

/**
 * Makes dead deliveries pending again, due now with a fresh attempt budget: one firing's (all its
 * endpoints, or one) or every dead delivery (of one endpoint, or all). Returns how many, and the
 * named firing's deliveries that were not dead (left as they are).
 *
 * @example
 * await replayDeliveries(store, { eventId: "evt_…" }) // { replayed: 1, notDead: [] }
 * await replayDeliveries(store, { dead: true })       // { replayed: 12, notDead: [] }
 */
export async function replayDeliveries(
  sql: Sql,
  target: { eventId: string; endpoint?: string | undefined } | { dead: true; endpoint?: string | undefined },
): Promise<{ replayed: number; notDead: Array<{ eventId: string; endpoint: string; status: string }> }> {
  const eventId = "eventId" in target ? target.eventId : null;
  const { rows } = await sql.query<{ event_id: string; endpoint: string; status: string; replayed: boolean }>(
    `WITH target AS (
       SELECT event_id, endpoint, status FROM alert_deliveries
       WHERE ($1::text IS NULL OR event_id = $1) AND ($2::text IS NULL OR endpoint = $2) AND ($1::text IS NOT NULL OR status = 'dead')
       FOR UPDATE
     ),
     replayed AS (
       UPDATE alert_deliveries d
       SET status = 'pending', attempts = 0, next_attempt_at = now(), claim_id = NULL
       FROM target t
       WHERE d.event_id = t.event_id AND d.endpoint = t.endpoint AND t.status = 'dead'
       RETURNING d.event_id, d.endpoint
     )
     SELECT t.event_id, t.endpoint, t.status, EXISTS (SELECT 1 FROM replayed r WHERE r.event_id = t.event_id AND r.endpoint = t.endpoint) AS replayed
     FROM target t ORDER BY t.event_id, t.endpoint`,
    [eventId, target.endpoint ?? null],
  );
  return {
    replayed: rows.filter((row) => row.replayed).length,
    notDead: rows.filter((row) => !row.replayed).map((row) => ({ eventId: row.event_id, endpoint: row.endpoint, status: row.status })),
  };
}

/** Pending and dead deliveries, for `/metrics` and status. */
export async function deliveryCounts(sql: Sql): Promise<{ pending: number; due: number; dead: number }> {
  const { rows } = await sql.query<{ pending: number; due: number; dead: number }>(
    `SELECT count(*) FILTER (WHERE status = 'pending')::int AS pending,
            count(*) FILTER (WHERE status = 'pending' AND next_attempt_at <= now())::int AS due,
            count(*) FILTER (WHERE status = 'dead')::int AS dead
     FROM alert_deliveries WHERE status <> 'delivered'`,
  );
  return rows[0]!;
}
