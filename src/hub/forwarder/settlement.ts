import { BillingError, type BillingErrorCode } from "../../core/errors.ts";
import { redactSecrets } from "../../core/redact.ts";
import type { PushOutcome } from "../../providers/types.ts";
import type { ClaimedRow } from "../../store/outbox/claim.ts";
import type { Settlement } from "../../store/outbox/settle.ts";
import { retryDelay, type BackoffPolicy } from "./backoff.ts";

export interface SettlementPolicy {
  maxAttempts: number;
  backoff: BackoffPolicy;
  random?: () => number;
}

/**
 * Answers that prove the provider did not record the event: refused before sending, refused by
 * the provider on the merits, or rate limited. Anything else (a 5xx, a dropped connection, a
 * timeout, a crash) may have been recorded, so the resend window keeps counting from then.
 */
const NOT_RECORDED = new Set<BillingErrorCode>([
  "PROVIDER_RATE_LIMITED",
  "PROVIDER_AUTH_FAILED",
  "PROVIDER_REJECTED",
  "PROVIDER_NOT_FOUND",
  "PROVIDER_UNSUPPORTED",
  "PROVIDER_CUSTOMER_MISSING",
  "USAGE_TOO_OLD",
  "USAGE_IN_FUTURE",
  "UNKNOWN_METER",
  "INVALID_USAGE",
  "RESEND_WINDOW_PASSED",
]);

/**
 * What becomes of a claimed row after the provider's final answer in this claim: delivered
 * (or already there) → delivered; permanent → dead, error kept; retryable → pending again after
 * the backoff (Retry-After when longer), or dead once the row has used `maxAttempts` claims.
 *
 * @example
 * settlementFor(row, { transactionId: "tx_1", status: "retryable", error }, { maxAttempts: 20, backoff })
 * // { status: "pending", delayMs: 1730, error: { code: "PROVIDER_RATE_LIMITED", ... }, ... }
 */
export function settlementFor(row: ClaimedRow, outcome: PushOutcome, policy: SettlementPolicy): Settlement {
  if (!("error" in outcome)) return { transactionId: row.transactionId, provider: row.provider, status: "delivered", outcome: outcome.status };
  const key = { transactionId: row.transactionId, provider: row.provider };
  // Provider error text is stored where any read key can list it: nothing in it may be a secret.
  const error = { code: outcome.error.code, message: redactSecrets(outcome.error.message), retryAfterSeconds: outcome.error.retryAfterSeconds };
  const failed = { ...key, mayHaveReached: !NOT_RECORDED.has(error.code), priorSentAt: row.priorSentAt };
  if (outcome.status === "permanent") return { ...failed, status: "dead", delayMs: 0, error: { code: error.code, message: error.message } };
  if (row.attempts >= policy.maxAttempts) {
    return { ...failed, status: "dead", delayMs: 0, error: { code: error.code, message: `Gave up after ${row.attempts} attempts: ${error.message}` } };
  }
  return {
    ...failed,
    status: "pending",
    delayMs: retryDelay(row.attempts, error.retryAfterSeconds, policy.backoff, policy.random),
    error: { code: error.code, message: error.message },
  };
}

/**
 * The error for a row not sent because an earlier send may have reached the provider longer
 * ago than its dedupe window safely covers.
 */
export function resendWindowError(row: ClaimedRow, windowMs: number, safeMs: number): BillingError {
  const hours = (ms: number) => `${Math.round(ms / 3_600_000)} h`;
  return new BillingError(
    "RESEND_WINDOW_PASSED",
    `Not resent: transaction ${row.transactionId} may have reached ${row.provider} at ${row.priorSentAt?.toISOString()}, more than ${hours(safeMs)} ago, and ${row.provider} recognizes a resend for only ${hours(windowMs)}, so sending it again could count it twice. Check whether ${row.provider} holds it (its identifier is the transaction id); if it does not, replay this row by id (billhub outbox replay ${row.transactionId} --provider ${row.provider})`,
    { provider: row.provider, details: { transactionId: row.transactionId, firstSentAt: row.priorSentAt?.toISOString() ?? null } },
  );
}
