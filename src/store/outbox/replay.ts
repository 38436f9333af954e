import type { Sql } from "../types.ts";

/** A provider whose dedupe of resends ends: rows first sent longer ago than `safeMs` are not resent in bulk. */
export interface ResendWindow {
  provider: string;
  safeMs: number;
}

/**
 * Makes one transaction's dead rows pending again (all its providers, or one), with a fresh
 * attempt budget and due now. Naming the row is the operator's decision to resend it, so the
 * resend window starts over (first_sent_at is cleared). Rows that are not dead are left as they
 * are and returned with their status.
 *
 * @example
 * await replayTransaction(store, "tx_1") // { replayed: ["stripe"], notDead: [] }
 */
export async function replayTransaction(sql: Sql, transactionId: string, provider: string | undefined): Promise<{ replayed: string[]; notDead: Array<{ provider: string; status: string }> }> {
  const { rows } = await sql.query<{ provider: string; status: string; replayed: boolean }>(
    `WITH target AS (
       SELECT transaction_id, provider, status FROM usage_outbox
       WHERE transaction_id = $1 AND ($2::text IS NULL OR provider = $2)
       FOR UPDATE
     ),
     replayed AS (
       UPDATE usage_outbox o
       SET status = 'pending', attempts = 0, next_attempt_at = now(), first_sent_at = NULL, claim_id = NULL
       FROM target t
       WHERE o.transaction_id = t.transaction_id AND o.provider = t.provider AND t.status = 'dead'
       RETURNING o.provider
     )
     SELECT t.provider, t.status, EXISTS (SELECT 1 FROM replayed r WHERE r.provider = t.provider) AS replayed
     FROM target t ORDER BY t.provider`,
    [transactionId, provider ?? null],
  );
  return {
    replayed: rows.filter((row) => row.replayed).map((row) => row.provider),
    notDead: rows.filter((row) => !row.replayed).map((row) => ({ provider: row.provider, status: row.status })),
  };
}

/**
 * Makes every dead row (of one provider, or all) pending again with a fresh attempt budget,
 * except rows whose earlier sends may have reached a provider longer ago than its resend window
 * allows: a resend of those could be counted twice, so they are held back (and counted) for an
 * operator to check at the provider and replay one by one.
 *
 * @example
 * await replayDead(store, { provider: "stripe", windows: [{ provider: "stripe", safeMs: 23 * 3_600_000 }] })
 * // { replayed: 12, heldBack: 1, heldBackExamples: ["tx_9"] }
 */
export async function replayDead(sql: Sql, options: { provider?: string | undefined; windows: readonly ResendWindow[] }): Promise<{ replayed: number; heldBack: number; heldBackExamples: string[] }> {
  const { rows } = await sql.query<{ replayed: number; held_back: number; examples: string[] | null }>(
    `WITH dead AS (
       SELECT o.transaction_id, o.provider,
              EXISTS (SELECT 1 FROM unnest($2::text[], $3::bigint[]) AS w(provider, safe_ms)
                      WHERE w.provider = o.provider AND o.first_sent_at < now() - w.safe_ms * interval '1 millisecond') AS unsafe
       FROM usage_outbox o
       WHERE o.status = 'dead' AND ($1::text IS NULL OR o.provider = $1)
       FOR UPDATE
     ),
     replayed AS (
       UPDATE usage_outbox o
       SET status = 'pending', attempts = 0, next_attempt_at = now(), claim_id = NULL
       FROM dead d
       WHERE o.transaction_id = d.transaction_id AND o.provider = d.provider AND NOT d.unsafe
       RETURNING 1
     )
     SELECT (SELECT count(*)::int FROM replayed) AS replayed,
            (SELECT count(*)::int FROM dead WHERE unsafe) AS held_back,
            (SELECT array_agg(transaction_id) FROM (SELECT transaction_id FROM dead WHERE unsafe ORDER BY transaction_id LIMIT 10) x) AS examples`,
    [options.provider ?? null, options.windows.map((w) => w.provider), options.windows.map((w) => Math.round(w.safeMs))],
  );
  const row = rows[0]!;
  return { replayed: row.replayed, heldBack: row.held_back, heldBackExamples: row.examples ?? [] };
}
