import { z } from "zod";
import { requireFeature, type Catalog } from "../../core/catalog/index.ts";
import { CREDIT_SOURCES, DEFAULT_CREDIT_SOURCE, type CreditGrant, type Rollover } from "../../core/credits/types.ts";
import { cmp, parseDecimal, sign, toDecimalString, ZERO, type Decimal } from "../../core/decimal.ts";
import { BillingError } from "../../core/errors.ts";
import { normalizeCurrency } from "../../core/money.ts";
import { storableText } from "../../core/storable-text.ts";
import { parseWith } from "../../core/validation.ts";
import type { CreditGrantWrite } from "../../store/credits/credit-repository.ts";
import { dateSchema, metadataSchema } from "../customer-input.ts";

/** A credit amount as sent: a number or a decimal string (checked by `parseCreditAmount`). */
export const amountSchema = z.union([z.number(), z.string().max(64)]);

/** What `credits.grant` accepts (also the body of `POST /v1/customers/:id/credits`). */
export const grantInputSchema = z.strictObject({
  /** Your idempotency key, unique per customer ("welcome-2026"): a retry is not granted twice. */
  id: storableText().min(1).max(255),
  /** Money: whole minor units of `currency` (1000 = $10.00). Units: units of `feature`, a number or a decimal string. Positive. */
  amount: amountSchema,
  /** For a money grant: the catalog's currency. Give exactly one of `currency` and `feature`. */
  currency: z.string().max(16).optional(),
  /** For a unit grant: a metered feature whose usage the units pay for. */
  feature: z.string().max(128).optional(),
  /** Lower numbers are drawn first (default 0). */
  priority: z.number().int().min(-1_000_000).max(1_000_000).default(0),
  /** When the credit can first be drawn (default now). */
  effectiveAt: dateSchema.optional(),
  /** Exclusive; omitted or null = never. */
  expiresAt: dateSchema.nullable().optional(),
  /** What is left at the end of each billing period: "none" expires, "all" carries (default), { cap } carries up to cap. */
  rollover: z.union([z.enum(["none", "all"]), z.strictObject({ cap: amountSchema })]).default("all"),
  source: z.enum(CREDIT_SOURCES).default(DEFAULT_CREDIT_SOURCE),
  metadata: metadataSchema.optional(),
});

export type CreditGrantInput = z.input<typeof grantInputSchema>;

/** Money lines are JS integers of minor units: a grant stays where they are exact. */
const MAX_AMOUNT = parseDecimal(Number.MAX_SAFE_INTEGER);

/**
 * A credit amount, exact: a decimal, positive, at most Number.MAX_SAFE_INTEGER; INVALID_AMOUNT
 * naming `field` otherwise. Whole minor units for money are checked by `requireMinorUnits`.
 * @example toDecimalString(parseCreditAmount("12.5", "amount")) // "12.5"
 */
export function parseCreditAmount(input: unknown, field: string): Decimal {
  const amount = parseDecimal(input, { field, code: "INVALID_AMOUNT" });
  if (sign(amount) <= 0) throw new BillingError("INVALID_AMOUNT", `${field} must be positive, got ${toDecimalString(amount)}`, { field });
  if (cmp(amount, MAX_AMOUNT) > 0) throw new BillingError("INVALID_AMOUNT", `${field} must be at most ${toDecimalString(MAX_AMOUNT)}, got ${toDecimalString(amount)}`, { field });
  return amount;
}

/** Refuses a money amount with a fraction: money credits are whole minor units of `currency`. */
export function requireMinorUnits(amount: Decimal, currency: string, field: string): void {
  if (toDecimalString(amount).includes(".")) {
    throw new BillingError("INVALID_AMOUNT", `${field} is whole minor units of ${currency} (1000 = 10.00 in a 2-decimal currency), got ${toDecimalString(amount)}`, { field });
  }
}

/**
 * Validates a grant against the catalog: a positive amount (whole minor units for money), the
 * catalog's currency, a feature whose usage can be drawn against, an expiry after the start.
 * Nothing is written before this has passed.
 */
export function parseGrant(catalog: Catalog, customerId: string, input: unknown, now: Date, providerEvent: string | null = null): CreditGrantWrite {
  const parsed = parseWith(grantInputSchema, input, "VALIDATION_FAILED");
  if ((parsed.currency === undefined) === (parsed.feature === undefined)) {
    throw new BillingError("VALIDATION_FAILED", "give exactly one of currency (a money grant, in minor units) and feature (a grant of units of that feature)", { field: parsed.currency === undefined ? "currency" : "feature" });
  }
  const amount = parseCreditAmount(parsed.amount, "amount");
  let currency: string | null = null;
  let feature: string | null = null;
  if (parsed.currency !== undefined) {
    currency = normalizeCurrency(parsed.currency, "currency");
    if (currency !== catalog.currency) {
      throw new BillingError("CURRENCY_MISMATCH", `currency ${currency} is not the catalog's currency ${catalog.currency}: money credits are drawn against invoices in ${catalog.currency}`, { field: "currency" });
    }
    requireMinorUnits(amount, currency, "amount");
  } else {
    const found = requireFeature(catalog, parsed.feature, "feature");
    const meter = found.type === "metered" ? catalog.meters[found.meter]! : undefined;
    if (meter === undefined || (meter.aggregation !== "sum" && meter.aggregation !== "count")) {
      throw new BillingError("VALIDATION_FAILED", `feature "${found.key}" has no usage that consume() draws down (it must be metered by a sum or count meter)`, { field: "feature" });
    }
    feature = found.key;
  }
  const effectiveAt = parsed.effectiveAt ?? now;
  const expiresAt = parsed.expiresAt ?? null;
  if (expiresAt !== null && !(effectiveAt < expiresAt)) {
    throw new BillingError("VALIDATION_FAILED", `expiresAt (${expiresAt.toISOString()}) must be after effectiveAt (${effectiveAt.toISOString()})`, { field: "expiresAt" });
  }
  let rollover: Rollover;
  if (typeof parsed.rollover === "string") {
    rollover = { policy: parsed.rollover };
  } else {
    const cap = parseDecimal(parsed.rollover.cap, { field: "rollover.cap", code: "INVALID_AMOUNT" });
    if (cmp(cap, ZERO) < 0) throw new BillingError("INVALID_AMOUNT", `rollover.cap must not be negative, got ${toDecimalString(cap)}`, { field: "rollover.cap" });
    if (currency !== null && toDecimalString(cap).includes(".")) throw new BillingError("INVALID_AMOUNT", "rollover.cap is whole minor units for a money grant", { field: "rollover.cap" });
    rollover = { policy: "cap", cap: toDecimalString(cap) };
  }
  return {
    id: parsed.id,
    customerId,
    kind: currency === null ? "units" : "money",
    currency,
    feature,
    amount: toDecimalString(amount),
    priority: parsed.priority,
    effectiveAt,
    expiresAt,
    rollover,
    source: parsed.source,
    metadata: parsed.metadata ?? {},
    providerEvent,
  };
}

/** JSON with sorted keys, so stored metadata (jsonb reorders keys) compares with what was sent. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (value !== null && typeof value === "object") {
    return `{${Object.keys(value).sort().map((key) => `${JSON.stringify(key)}:${canonicalJson((value as Record<string, unknown>)[key])}`).join(",")}}`;
  }
  return JSON.stringify(value);
}

/** The first field in which a retry differs from the stored grant; effectiveAt only when the retry gives it. */
export function differingGrantField(stored: CreditGrant, write: CreditGrantWrite, given: { effectiveAt: boolean }): string | undefined {
  if (stored.currency !== write.currency) return "currency";
  if (stored.feature !== write.feature) return "feature";
  if (stored.amount !== write.amount) return "amount";
  if (stored.priority !== write.priority) return "priority";
  if (given.effectiveAt && stored.effectiveAt.getTime() !== write.effectiveAt.getTime()) return "effectiveAt";
  if ((stored.expiresAt?.getTime() ?? null) !== (write.expiresAt?.getTime() ?? null)) return "expiresAt";
  if (canonicalJson(stored.rollover) !== canonicalJson(write.rollover)) return "rollover";
  if (stored.source !== write.source) return "source";
  if (canonicalJson(stored.metadata) !== canonicalJson(write.metadata)) return "metadata";
  return undefined;
}
