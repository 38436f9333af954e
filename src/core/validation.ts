import type { z } from "zod";
import { BillingError, type BillingErrorCode } from "./errors.ts";

/** A dotted path for an issue: ["events", 3, "quantity"] → "events.3.quantity". */
export function issuePath(path: readonly PropertyKey[], prefix?: string): string {
  const parts = [...(prefix ? [prefix] : []), ...path.map((p) => String(p))];
  return parts.join(".");
}

/**
 * Turns a zod failure into one BillingError: the first issue names the field, all issues are
 * listed in `details.issues` so a caller can fix everything in one round trip.
 */
export function zodToBillingError(error: z.ZodError, code: BillingErrorCode, prefix?: string): BillingError {
  const issues = error.issues.map((issue) => {
    // An unknown key is reported on its parent; naming the key itself points at the typo.
    const path = issue.code === "unrecognized_keys" && issue.keys.length === 1 ? [...issue.path, ...issue.keys] : issue.path;
    return { field: issuePath(path, prefix), message: issue.message };
  });
  const first = issues[0] ?? { field: prefix ?? "", message: "invalid" };
  const message = issues.length === 1 ? `${first.field || "input"}: ${first.message}` : `${issues.length} problems; first ${first.field || "input"}: ${first.message}`;
  return new BillingError(code, message, { ...(first.field ? { field: first.field } : {}), details: { issues } });
}

/** Parses `input` with `schema` or throws a BillingError with `code`. */
export function parseWith<S extends z.ZodType>(schema: S, input: unknown, code: BillingErrorCode, prefix?: string): z.output<S> {
  const result = schema.safeParse(input);
  if (!result.success) throw zodToBillingError(result.error, code, prefix);
  return result.data;
}
