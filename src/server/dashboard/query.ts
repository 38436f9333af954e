import { z } from "zod";
import { runPeriodProblem } from "../../core/invoicing/run-period.ts";
import { storableText } from "../../core/storable-text.ts";
import { parseWith } from "../../core/validation.ts";

/**
 * A page's query, read strictly: a parameter the page does not take, or a value it cannot use,
 * is a 400 page naming the parameter (VALIDATION_FAILED, field `query.<name>`).
 */
export function parseQuery<S extends z.ZodType>(schema: S, query: Record<string, string>, prefix: "query" | "form" = "query"): z.output<S> {
  return parseWith(schema, query, "VALIDATION_FAILED", prefix);
}

/** Text a form sent, as the store can keep it; empty means "not given". */
export const text = (max: number) =>
  z
    .string()
    .max(max, `must be at most ${max} characters`)
    .transform((value) => value.trim())
    .pipe(storableText())
    .transform((value) => (value === "" ? undefined : value));

/** A run period: a month `2026-10`, a year `2026` (yearly plans) or an ISO week `2026-W45` (weekly plans); empty means "not given". */
export const runPeriod = z
  .string()
  .transform((value) => value.trim())
  .superRefine((value, ctx) => {
    const problem = value === "" ? undefined : runPeriodProblem(value);
    if (problem !== undefined) ctx.addIssue({ code: "custom", message: problem });
  })
  .transform((value) => (value === "" ? undefined : value));

/** One of `values`, or nothing when empty. */
export const choice = <T extends string>(values: readonly T[], what: string) =>
  z
    .string()
    .transform((value) => (value === "" ? undefined : value))
    .refine((value) => value === undefined || (values as readonly string[]).includes(value), { message: `must be one of ${values.join(", ")} (${what})` })
    .transform((value) => value as T | undefined);

/** A field of `schema` that must be given: empty or missing is `message`. */
export const required = <T>(schema: z.ZodType<T | undefined, string>, message: string) =>
  z
    .string({ error: message })
    .pipe(schema)
    .refine((value) => value !== undefined, { message })
    .transform((value) => value as T);
