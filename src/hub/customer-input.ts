import { z } from "zod";
import { BillingError } from "../core/errors.ts";
import { parseWith } from "../core/validation.ts";

/** A date as a Date or an ISO 8601 string with an offset ("2026-03-01T00:00:00Z"). */
export const dateSchema = z
  .union([z.date(), z.iso.datetime({ offset: true })])
  .transform((value) => (typeof value === "string" ? new Date(value) : value));

const NUL_MESSAGE = "must not contain a NUL character";

function holdsNul(value: unknown): boolean {
  if (typeof value === "string") return value.includes("\u0000");
  if (value === null || typeof value !== "object") return false;
  return Object.entries(value).some(([key, item]) => key.includes("\u0000") || holdsNul(item));
}

/**
 * Text for a PostgreSQL text or jsonb column: U+0000 is refused here, naming the field, since the
 * store could only fail on it.
 */
export const storableText = () => z.string().refine((value) => !value.includes("\u0000"), NUL_MESSAGE);

/** Free-form metadata (keys of at most 200 characters), with no U+0000 anywhere inside. */
export const metadataSchema = z.record(z.string().max(200), z.unknown()).superRefine((record, ctx) => {
  for (const [key, value] of Object.entries(record)) {
    if (key.includes("\u0000") || holdsNul(value)) ctx.addIssue({ code: "custom", path: [key], message: NUL_MESSAGE });
  }
});

export const customerIdSchema = storableText().min(1, "must not be empty").max(255, "must be at most 255 characters");

const providerIdSchema = storableText().min(1).max(255).nullable().optional();

const customerFields = {
  /** What the id stands for: "user", "organization", "team", "session", "ip" or any label of yours. */
  referenceType: storableText().min(1).max(64).optional(),
  email: z.email().max(320).nullable().optional(),
  name: storableText().max(200).nullable().optional(),
  /** The customer's ids at each provider; merged key by key, null removes one. */
  providerIds: z.strictObject({ stripe: providerIdSchema, flowglad: providerIdSchema }).optional(),
  /** The current billing period; billing-period resets anchor on its start. */
  periodStart: dateSchema.nullable().optional(),
  periodEnd: dateSchema.nullable().optional(),
  /** Merged key by key; a key set to null is removed. */
  metadata: metadataSchema.optional(),
};

function periodInOrder(input: { periodStart?: Date | null; periodEnd?: Date | null }, ctx: z.RefinementCtx): void {
  if (input.periodStart && input.periodEnd && !(input.periodStart < input.periodEnd)) {
    ctx.addIssue({ code: "custom", path: ["periodEnd"], message: "must be after periodStart" });
  }
}

/** What `upsertCustomer` accepts: untrusted, so validated here. */
export const customerInputSchema = z.strictObject({ id: customerIdSchema, ...customerFields }).superRefine(periodInOrder);

/** The same fields without the id, for callers that name the customer elsewhere (`PUT /v1/customers/:id`). */
export const customerFieldsSchema = z.strictObject(customerFields).superRefine(periodInOrder);

export type CustomerInput = z.input<typeof customerInputSchema>;

/** The customer id argument of every per-customer call. */
export function parseCustomerId(value: unknown, field = "customer"): string {
  if (typeof value !== "string") {
    throw new BillingError("VALIDATION_FAILED", `${field} must be a customer id (a string), got ${value === null ? "null" : typeof value}`, { field });
  }
  return parseWith(customerIdSchema, value, "VALIDATION_FAILED", field);
}
