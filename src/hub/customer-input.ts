import { z } from "zod";
import { BillingError } from "../core/errors.ts";
import { storableRecord, storableText } from "../core/storable-text.ts";
import { refineSupportedInstant } from "../core/supported-time.ts";
import { parseWith } from "../core/validation.ts";
import { providerIdsWith, type ProviderIdWith } from "../providers/index.ts";

/** A date as a Date or an ISO 8601 string with an offset ("2026-03-01T00:00:00Z"), in the supported range (1970 to 9999). */
export const dateSchema = z
  .union([z.date(), z.iso.datetime({ offset: true })])
  .transform((value) => (typeof value === "string" ? new Date(value) : value))
  .superRefine(refineSupportedInstant);

/** Free-form metadata (keys of at most 200 characters), with nothing unstorable anywhere inside. */
export const metadataSchema = storableRecord();

export const customerIdSchema = storableText().min(1, "must not be empty").max(255, "must be at most 255 characters");

const providerIdSchema = storableText().min(1).max(255).nullable().optional();

const customerFields = {
  /** What the id stands for: "user", "organization", "team", "session", "ip" or any label of yours. */
  referenceType: storableText().min(1).max(64).optional(),
  email: z.email().max(320).nullable().optional(),
  name: storableText().max(200).nullable().optional(),
  /** ISO 4217 code the customer pays in; fixed once set (its first plan sets it otherwise). */
  currency: z.string().regex(/^[A-Za-z]{3}$/, 'must be a three-letter ISO 4217 code such as "USD"').transform((code) => code.toUpperCase()).optional(),
  /** The customer's ids at each provider; merged key by key, null removes one. */
  providerIds: z.strictObject(Object.fromEntries(providerIdsWith("pushUsage").map((id) => [id, providerIdSchema])) as Record<ProviderIdWith<"pushUsage">, typeof providerIdSchema>).optional(),
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
