import type { Sql } from "../types.ts";

export const OUTBOX_STATUSES = ["pending", "delivered", "dead"] as const;
export type OutboxStatusName = (typeof OUTBOX_STATUSES)[number];

/** One provider's part of the outbox. */
export interface ProviderOutboxCounts {
  provider: string;
  /** Not delivered yet: due now, waiting for a retry, or being sent. */
  pending: number;
  /** Pending rows a forwarder may claim now. */
  due: number;
  /** Pending rows a forwarder holds right now (claimed, lease running). */
  inFlight: number;
  delivered: number;
  dead: number;
  /** When the oldest pending row was queued, and how long ago (database clock), or null. */
  oldestPendingAt: Date | null;
  oldestPendingAgeSeconds: number | null;
}

/**
 * Counts per provider × status, with the oldest pending row's age. Reads the whole table once
 * (delivered rows included); `pendingAndDead` is the cheap variant `/metrics` scrapes.
 *
 * @example
 * await outboxCounts(store) // { at, providers: [{ provider: "stripe", pending: 3, due: 1, inFlight: 2, delivered: 120, dead: 0, ... }] }
 */
export async function outboxCounts(sql: Sql): Promise<{ at: Date; providers: ProviderOutboxCounts[] }> {
  const { rows } = await sql.query<{ provider: string; status: OutboxStatusName; n: number; due: number; in_flight: number; oldest: Date | null; at: Date }>(
    `SELECT provider, status, count(*)::int AS n,
            count(*) FILTER (WHERE status = 'pending' AND next_attempt_at <= now())::int AS due,
            count(*) FILTER (WHERE status = 'pending' AND claim_id IS NOT NULL AND next_attempt_at > now())::int AS in_flight,
            min(created_at) FILTER (WHERE status = 'pending') AS oldest,
            now() AS at
     FROM usage_outbox GROUP BY provider, status`,
  );
  const at = rows[0]?.at ?? (await now(sql));
  return { at, providers: summarize(rows, at) };
}

/** Pending and dead rows per provider and the oldest pending row, read through the partial indexes only. */
export async function pendingAndDead(sql: Sql): Promise<{ at: Date; providers: ProviderOutboxCounts[] }> {
  const { rows } = await sql.query<{ provider: string; status: OutboxStatusName; n: number; due: number; in_flight: number; oldest: Date | null; at: Date }>(
    `SELECT provider, 'pending' AS status, count(*)::int AS n,
            count(*) FILTER (WHERE next_attempt_at <= now())::int AS due,
            count(*) FILTER (WHERE claim_id IS NOT NULL AND next_attempt_at > now())::int AS in_flight,
            min(created_at) AS oldest, now() AS at
     FROM usage_outbox WHERE status = 'pending' GROUP BY provider
     UNION ALL
     SELECT provider, 'dead', count(*)::int, 0, 0, NULL, now() FROM usage_outbox WHERE status = 'dead' GROUP BY provider`,
  );
  const at = rows[0]?.at ?? (await now(sql));
  return { at, providers: summarize(rows, at) };
}

async function now(sql: Sql): Promise<Date> {
  return (await sql.query<{ at: Date }>("SELECT now() AS at")).rows[0]!.at;
}

function summarize(rows: ReadonlyArray<{ provider: string; status: OutboxStatusName; n: number; due: number; in_flight: number; oldest: Date | null }>, at: Date): ProviderOutboxCounts[] {
  const byProvider = new Map<string, ProviderOutboxCounts>();
  for (const row of rows) {
    const counts = byProvider.get(row.provider) ?? { provider: row.provider, pending: 0, due: 0, inFlight: 0, delivered: 0, dead: 0, oldestPendingAt: null, oldestPendingAgeSeconds: null };
    counts[row.status] = row.n;
    if (row.status === "pending") {
      counts.due = row.due;
      counts.inFlight = row.in_flight;
      counts.oldestPendingAt = row.oldest;
      counts.oldestPendingAgeSeconds = row.oldest === null ? null : Math.max(0, Math.floor((at.getTime() - row.oldest.getTime()) / 1000));
    }
    byProvider.set(row.provider, counts);
  }
  return [...byProvider.values()].sort((a, b) => a.provider.localeCompare(b.provider));
}

/** An outbox row as operators see it. */
export interface OutboxRecord {
  transactionId: string;
  customerId: string;
  provider: string;
  role: "primary" | "mirror";
  status: OutboxStatusName;
  /** Claims so far (each claim is one delivery attempt, its quick retries included). */
  attempts: number;
  nextAttemptAt: Date;
  lastAttemptAt: Date | null;
  lastError: string | null;
  lastErrorCode: string | null;
  deliveredAt: Date | null;
  outcome: "delivered" | "already_delivered" | null;
  firstSentAt: Date | null;
  claimedBy: string | null;
  /** A forwarder holds the row right now. */
  inFlight: boolean;
  createdAt: Date;
}

export interface OutboxListQuery {
  status?: OutboxStatusName | undefined;
  provider?: string | undefined;
  transactionId?: string | undefined;
  /** Keyset position: the (created_at as the database prints it, transaction id, provider) of the last row seen. */
  after?: readonly [string, string, string] | undefined;
  limit: number;
}

/**
 * Outbox rows oldest first, with keyset pagination (stable while rows change status). Returns
 * one row more than `limit` when there is a next page, with the key to continue after.
 */
export async function listOutbox(sql: Sql, q: OutboxListQuery): Promise<{ rows: OutboxRecord[]; next: [string, string, string] | null }> {
  const params: unknown[] = [];
  const param = (value: unknown) => {
    params.push(value);
    return `$${params.length}`;
  };
  const conditions: string[] = [];
  if (q.status !== undefined) conditions.push(`status = ${param(q.status)}`);
  if (q.provider !== undefined) conditions.push(`provider = ${param(q.provider)}`);
  if (q.transactionId !== undefined) conditions.push(`transaction_id = ${param(q.transactionId)}`);
  if (q.after !== undefined) conditions.push(`(created_at, transaction_id, provider) > (${param(q.after[0])}::timestamptz, ${param(q.after[1])}, ${param(q.after[2])})`);
  const { rows } = await sql.query<{
    transaction_id: string;
    customer_id: string;
    provider: string;
    role: "primary" | "mirror";
    status: OutboxStatusName;
    attempts: number;
    next_attempt_at: Date;
    last_attempt_at: Date | null;
    last_error: string | null;
    last_error_code: string | null;
    delivered_at: Date | null;
    outcome: "delivered" | "already_delivered" | null;
    first_sent_at: Date | null;
    claimed_by: string | null;
    in_flight: boolean;
    created_at: Date;
    created_key: string;
  }>(
    `SELECT transaction_id, customer_id, provider, role, status, attempts, next_attempt_at, last_attempt_at, last_error, last_error_code,
            delivered_at, outcome, first_sent_at, claimed_by, (status = 'pending' AND claim_id IS NOT NULL AND next_attempt_at > now()) AS in_flight,
            created_at, created_at::text AS created_key
     FROM usage_outbox
     ${conditions.length === 0 ? "" : `WHERE ${conditions.join(" AND ")}`}
     ORDER BY created_at, transaction_id, provider
     LIMIT ${param(q.limit + 1)}`,
    params,
  );
  const page = rows.slice(0, q.limit);
  const last = page.at(-1);
  return {
    rows: page.map((row) => ({
      transactionId: row.transaction_id,
      customerId: row.customer_id,
      provider: row.provider,
      role: row.role,
      status: row.status,
      attempts: row.attempts,
      nextAttemptAt: row.next_attempt_at,
      lastAttemptAt: row.last_attempt_at,
      lastError: row.last_error,
      lastErrorCode: row.last_error_code,
      deliveredAt: row.delivered_at,
      outcome: row.outcome,
      firstSentAt: row.first_sent_at,
      claimedBy: row.claimed_by,
      inFlight: row.in_flight,
      createdAt: row.created_at,
    })),
    next: rows.length > q.limit && last ? [last.created_key, last.transaction_id, last.provider] : null,
  };
}
