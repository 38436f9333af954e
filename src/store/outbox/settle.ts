import { arrayLiteral } from "../array-literal.ts";
import type { Sql } from "../types.ts";

/** What becomes of one claimed row. */
export type Settlement =
  | { transactionId: string; provider: string; status: "delivered"; outcome: "delivered" | "already_delivered" }
  | {
      transactionId: string;
      provider: string;
      status: "pending" | "dead";
      /** For `pending`: when to try again, from now (the database's clock). */
      delayMs: number;
      error: { code: string; message: string };
      /** False when the answer proves the provider did not record the row (first_sent_at is then taken back). */
      mayHaveReached: boolean;
      /** `first_sent_at` before the claim, restored when `mayHaveReached` is false. */
      priorSentAt: Date | null;
    };

/**
 * Settles a claim's rows in one statement. Only rows this claim still holds are written (same
 * claim id, still pending): a forwarder whose lease ran out and whose rows another forwarder
 * took over changes nothing. Returns the keys that were settled. The statement answers with the
 * keys it could not settle, none in the usual case, rather than with every settled one: on
 * PGlite each field of each answered row costs the forwarder's thread a buffer of its own.
 *
 * @example
 * await settleClaim(store, claimId, [{ transactionId: "tx_1", provider: "stripe", status: "delivered", outcome: "delivered" }]);
 */
export async function settleClaim(sql: Sql, claimId: string, settlements: readonly Settlement[]): Promise<Array<{ transactionId: string; provider: string }>> {
  if (settlements.length === 0) return [];
  const failed = (s: Settlement) => (s.status === "delivered" ? undefined : s);
  const { rows } = await sql.query<{ transaction_id: string; provider: string }>(
    `WITH s AS (
       SELECT * FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::bigint[], $7::text[], $8::text[], $9::boolean[], $10::timestamptz[])
         AS s(transaction_id, provider, status, outcome, delay_ms, error, code, reached, prior_sent_at)
     ),
     settled AS (
       UPDATE usage_outbox o
       SET status = s.status,
           outcome = s.outcome,
           delivered_at = CASE WHEN s.status = 'delivered' THEN now() END,
           next_attempt_at = CASE WHEN s.status = 'pending' THEN now() + s.delay_ms * interval '1 millisecond' ELSE o.next_attempt_at END,
           last_error = COALESCE(s.error, o.last_error),
           last_error_code = CASE WHEN s.error IS NULL THEN o.last_error_code ELSE s.code END,
           last_attempt_at = now(),
           first_sent_at = CASE WHEN s.reached THEN o.first_sent_at ELSE s.prior_sent_at END,
           claim_id = NULL
       FROM s
       WHERE o.transaction_id = s.transaction_id AND o.provider = s.provider AND o.claim_id = $1 AND o.status = 'pending'
       RETURNING o.transaction_id, o.provider
     )
     SELECT s.transaction_id, s.provider FROM s
     WHERE NOT EXISTS (SELECT 1 FROM settled WHERE settled.transaction_id = s.transaction_id AND settled.provider = s.provider)`,
    [
      claimId,
      arrayLiteral(settlements.map((s) => s.transactionId)),
      arrayLiteral(settlements.map((s) => s.provider)),
      arrayLiteral(settlements.map((s) => s.status)),
      arrayLiteral(settlements.map((s) => (s.status === "delivered" ? s.outcome : null))),
      arrayLiteral(settlements.map((s) => Math.max(0, Math.round(failed(s)?.delayMs ?? 0)))),
      arrayLiteral(settlements.map((s) => failed(s)?.error.message ?? null)),
      arrayLiteral(settlements.map((s) => failed(s)?.error.code ?? null)),
      arrayLiteral(settlements.map((s) => failed(s)?.mayHaveReached ?? true)),
      arrayLiteral(settlements.map((s) => failed(s)?.priorSentAt?.toISOString() ?? null)),
    ],
  );
  if (rows.length === 0) return settlements.map((s) => ({ transactionId: s.transactionId, provider: s.provider }));
  const unsettled = new Set(rows.map((row) => `${row.provider}\u0000${row.transaction_id}`));
  return settlements.filter((s) => !unsettled.has(`${s.provider}\u0000${s.transactionId}`)).map((s) => ({ transactionId: s.transactionId, provider: s.provider }));
}
