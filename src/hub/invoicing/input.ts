import { z } from "zod";
import { runPeriodProblem } from "../../core/invoicing/run-period.ts";
import { storableText } from "../../core/storable-text.ts";
import { dateSchema } from "../customer-input.ts";

/** A run period key: a month "2026-10", a year "2026" or an ISO week "2026-W45". */
const runPeriodSchema = z.string().superRefine((value, ctx) => {
  const problem = runPeriodProblem(value);
  if (problem !== undefined) ctx.addIssue({ code: "custom", message: problem });
});

/** A preview's period: a run period key, or an explicit window. */
export const previewPeriodSchema = z.union([
  runPeriodSchema,
  z
    .strictObject({ from: dateSchema, to: dateSchema })
    .refine((window) => window.from < window.to, { message: "must have from before to", path: ["to"] }),
], { error: 'must be a run period (a month "2026-10", a year "2026" or an ISO week "2026-W45") or { from, to }' });

export const previewOptionsSchema = z.strictObject({ period: previewPeriodSchema.optional() }).default({});

export const runInputSchema = z.strictObject({
  period: runPeriodSchema,
  batchSize: z.number().int().min(1).max(5000).optional(),
  onProgress: z.custom<(progress: { done: number; total: number }) => void>((value) => typeof value === "function", "must be a function").optional(),
  storeRetry: z
    .strictObject({
      attempts: z.number().int().min(1).max(100),
      backoff: z.strictObject({ baseMs: z.number().int().min(0).max(60_000), capMs: z.number().int().min(0).max(600_000) }),
    })
    .optional(),
});

export const listFilterSchema = z
  .strictObject({
    customerId: storableText().min(1).max(255).optional(),
    period: runPeriodSchema.optional(),
    limit: z.number().int().min(1).max(1000).default(100),
    /** The `nextCursor` of the previous page. */
    cursor: z.string().regex(/^[1-9]\d{0,15}$/, "must be a cursor returned by listInvoices").optional(),
  })
  .default({ limit: 100 });

export const exportInputSchema = z.strictObject({
  period: runPeriodSchema,
  format: z.enum(["json", "csv"]),
});
