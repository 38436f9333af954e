import { z } from "zod";
import { BillingError } from "../core/errors.ts";
import { utcDate } from "../core/periods.ts";
import { instantProblem } from "../core/supported-time.ts";
import { transactionIdSchema } from "./ledger/input.ts";

/** Where a page of outbox rows ends: (created_at as the database prints it, transaction id, provider). */
export type OutboxKey = readonly [string, string, string];

// created_at::text as PostgreSQL prints a timestamptz in the ISO DateStyle: "2026-03-10 12:00:00.123456+00".
const PG_TIMESTAMPTZ = /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})(\.\d{1,6})?([+-])(\d{2})(?::(\d{2}))?$/;

/**
 * Why `text` is not a timestamptz as the database prints one, in the supported range; undefined
 * when it is one. The text is kept as printed (it holds microseconds a Date would drop), so it is
 * checked part by part rather than through `Date.parse`, which takes "02-30" and "24:00".
 */
function createdKeyProblem(text: string): string | undefined {
  const match = PG_TIMESTAMPTZ.exec(text);
  if (match === null) return "is not a timestamp";
  const [year, month, day, hours, minutes, seconds, offsetHours, offsetMinutes] = [1, 2, 3, 4, 5, 6, 9, 10].map((i) => Number(match[i] ?? 0)) as [number, number, number, number, number, number, number, number];
  const local = utcDate(year, month - 1, day, hours, minutes, seconds);
  const exists = local.getUTCFullYear() === year && local.getUTCMonth() === month - 1 && local.getUTCDate() === day && hours < 24 && minutes < 60 && seconds < 60;
  if (!exists || offsetHours > 15 || offsetMinutes > 59) return "names a time that does not exist";
  const offsetMs = (match[8] === "-" ? -1 : 1) * (offsetHours * 60 + offsetMinutes) * 60_000;
  return instantProblem(new Date(local.getTime() - offsetMs));
}

const keySchema = z.tuple([
  z.string().superRefine((text, ctx) => {
    const problem = createdKeyProblem(text);
    if (problem !== undefined) ctx.addIssue({ code: "custom", message: problem });
  }),
  transactionIdSchema,
  z.string().min(1).max(64).regex(/^[a-z0-9_]+$/),
]);

/** An opaque cursor for the key a page ended at: base64url of its JSON. */
export function encodeOutboxCursor(key: OutboxKey): string {
  return Buffer.from(JSON.stringify(key)).toString("base64url");
}

/**
 * The key a cursor carries, every part checked, since a cursor comes back from the caller and
 * may be forged: VALIDATION_FAILED naming `cursor` for anything `encodeOutboxCursor` cannot
 * have written.
 *
 * @example
 * decodeOutboxCursor(encodeOutboxCursor(["2026-03-10 12:00:00.123456+00", "tx_1", "manual"])) // the same key
 * decodeOutboxCursor(encodeOutboxCursor(["not-a-date", "a", "b"]))                          // throws VALIDATION_FAILED, field "cursor"
 */
export function decodeOutboxCursor(cursor: string): OutboxKey {
  let parsed: z.ZodSafeParseResult<OutboxKey>;
  try {
    parsed = keySchema.safeParse(JSON.parse(Buffer.from(cursor, "base64url").toString("utf8")));
  } catch (error) {
    throw new BillingError("VALIDATION_FAILED", "cursor is not one this listing returned (it is not base64url JSON); pass nextCursor unchanged", { field: "cursor", cause: error });
  }
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const part = ["its time", "its transaction id", "its provider"][Number(issue.path[0])] ?? "it";
    throw new BillingError("VALIDATION_FAILED", `cursor is not one this listing returned (${part}: ${issue.message}); pass nextCursor unchanged`, { field: "cursor" });
  }
  return parsed.data;
}
