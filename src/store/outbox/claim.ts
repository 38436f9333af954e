import { canonicalDecimal } from "../../core/decimal.ts";
import type { Sql, Store } from "../types.ts";

/** One outbox row claimed for delivery, with the ledger event and the customer's provider ids. */
export interface ClaimedRow {
  transactionId: string;
  provider: string;
  role: "primary" | "mirror";
  customerId: string;
  /** Claims of this row so far, this one included. */
  attempts: number;
  /** `first_sent_at` before this claim: when an earlier request may first have reached the provider. */
  priorSentAt: Date | null;
  /** The database's clock at the claim. */
  claimedAt: Date;
  /** The ledger event; null only if the ledger row is missing (never written without one). */
  event: { meter: string; quantity: string; timestamp: Date; properties: Record<string, unknown> } | null;
  /** The customers table's `provider_ids` (empty when the customer row is gone). */
  providerIds: Record<string, string>;
}

export interface ClaimOptions {
  /** Providers this forwarder can deliver to; rows for others stay for a forwarder that can. */
  providers: readonly string[];
  limit: number;
  leaseMs: number;
  /** Unique per claim; settling checks it. */
  claimId: string;
  /** Who claims, for operators (e.g. `host:pid`). */
  claimedBy: string;
}

/**
 * The planner settings the claim runs with. Without table statistics (PGlite never gathers any,
 * and PostgreSQL's autovacuum gathers them only a while after a burst of usage) the planner
 * guesses that few rows are pending and due, so it reads every due row through a bitmap scan
 * and sorts them all to keep the oldest `limit`: at 60,000 pending rows that sort was 45 ms on
 * PostgreSQL and 90–120 ms on PGlite per claim, instead of 1–3 ms through the due index read in
 * order. With bitmap and sequential scans off, reading `usage_outbox_due` in order is the only
 * cheap plan left, whatever the statistics say. SET LOCAL ends with the claim's transaction.
 */
export const CLAIM_PLANNER_SETTINGS = "SET LOCAL enable_bitmapscan = off; SET LOCAL enable_seqscan = off";

/**
 * The claim statement: $1 providers, $2 limit, $3 claim id, $4 claimer, $5 lease in ms. The
 * update reaches the rows it locked by their physical address (ctid), which stays theirs while
 * the lock is held: one heap visit per row instead of a primary-key lookup (a third of the
 * update's time on PGlite). The claimed rows come back as one JSON array in one row: on PGlite,
 * whose wire-protocol reader copies every field of every row into a buffer of its own, twelve
 * fields of a thousand rows cost the forwarder's thread more than the UPDATE's index work, and
 * kept its garbage collector busy; one JSON text is read once and parsed natively.
 */
export const CLAIM_SQL = `WITH due AS (
  SELECT ctid AS row_id, first_sent_at AS prior_sent_at
  FROM usage_outbox
  WHERE status = 'pending' AND next_attempt_at <= now() AND provider = ANY($1::text[])
  ORDER BY next_attempt_at
  LIMIT $2
  FOR UPDATE SKIP LOCKED
),
claimed AS (
  UPDATE usage_outbox o
  SET attempts = o.attempts + 1,
      claim_id = $3,
      claimed_by = $4,
      next_attempt_at = now() + $5 * interval '1 millisecond',
      first_sent_at = COALESCE(o.first_sent_at, now())
  FROM due
  WHERE o.ctid = due.row_id
  RETURNING o.transaction_id, o.provider, o.role, o.customer_id, o.attempts, due.prior_sent_at
)
SELECT now() AS claimed_at, json_agg(json_build_object(
    'transaction_id', c.transaction_id, 'provider', c.provider, 'role', c.role, 'customer_id', c.customer_id,
    'attempts', c.attempts, 'prior_sent_at', c.prior_sent_at, 'meter', e.meter, 'quantity', e.quantity::text,
    'occurred_at', e.occurred_at, 'properties', e.properties, 'provider_ids', cu.provider_ids
  ) ORDER BY e.occurred_at, c.transaction_id) AS rows
FROM claimed c
LEFT JOIN usage_transaction_ids t ON t.transaction_id = c.transaction_id
LEFT JOIN usage_events e ON e.customer_id = t.customer_id AND e.occurred_at = t.occurred_at AND e.transaction_id = t.transaction_id
LEFT JOIN customers cu ON cu.id = c.customer_id`;

/** One claimed row as the claim's JSON holds it (timestamps as JSON text). */
type ClaimRow = {
  transaction_id: string;
  provider: string;
  role: "primary" | "mirror";
  customer_id: string;
  attempts: number;
  prior_sent_at: string | null;
  meter: string | null;
  quantity: string | null;
  occurred_at: string | null;
  properties: Record<string, unknown> | null;
  provider_ids: Record<string, string> | null;
};

/**
 * Claims due rows in one short transaction: the oldest due pending rows not locked by another
 * forwarder (FOR UPDATE SKIP LOCKED, so any number of forwarders share one database), counted
 * as an attempt, stamped with the claim and leased: next_attempt_at moves to the lease's end, so
 * the rows are not due again unless the claimer neither settles nor extends them in time. No
 * transaction stays open while the provider is called. Times are the database's, one clock for
 * every forwarder on every machine.
 *
 * @example
 * const rows = await claimDue(store, { providers: ["stripe"], limit: 100, leaseMs: 60_000, claimId: randomUUID(), claimedBy: "host:42" });
 */
export async function claimDue(store: Store, options: ClaimOptions): Promise<ClaimedRow[]> {
  if (options.providers.length === 0 || options.limit <= 0) return [];
  const claim = await store.transaction(async (tx) => {
    await tx.exec(CLAIM_PLANNER_SETTINGS);
    const result = await tx.query<{ claimed_at: Date; rows: ClaimRow[] | null }>(CLAIM_SQL, [options.providers, options.limit, options.claimId, options.claimedBy, options.leaseMs]);
    return result.rows[0]!;
  });
  const claimedAt = claim.claimed_at;
  return (claim.rows ?? []).map((row) => ({
    transactionId: row.transaction_id,
    provider: row.provider,
    role: row.role,
    customerId: row.customer_id,
    attempts: row.attempts,
    priorSentAt: row.prior_sent_at === null ? null : new Date(row.prior_sent_at),
    claimedAt,
    event:
      row.meter === null || row.quantity === null || row.occurred_at === null
        ? null
        : { meter: row.meter, quantity: canonicalDecimal(row.quantity), timestamp: new Date(row.occurred_at), properties: row.properties ?? {} },
    providerIds: row.provider_ids ?? {},
  }));
}

/**
 * Extends the lease of a claim's unsettled rows (a heartbeat while the provider is slow), so a
 * live forwarder keeps its rows however long the provider takes. Rows another statement has
 * locked are skipped (SKIP LOCKED): they are being settled right now, and waiting for them while
 * holding others is how a heartbeat and a settlement of the same claim deadlocked on PostgreSQL.
 * Returns how many rows it extended.
 */
export async function extendLease(sql: Sql, claimId: string, leaseMs: number): Promise<number> {
  const { rowCount } = await sql.query(
    `UPDATE usage_outbox o SET next_attempt_at = now() + $2 * interval '1 millisecond'
     FROM (SELECT ctid AS row_id FROM usage_outbox WHERE claim_id = $1 AND status = 'pending' FOR UPDATE SKIP LOCKED) held
     WHERE o.ctid = held.row_id`,
    [claimId, leaseMs],
  );
  return rowCount;
}
