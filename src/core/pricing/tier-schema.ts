import { z } from "zod";
import { cmp, isDecimalLike, parseDecimal, sign, toDecimalString, type Decimal } from "../decimal.ts";
import { minorAmountField, percentField, unitAmountField } from "./schema-fields.ts";
import { strictFields } from "../strict-fields.ts";

const UP_TO_ALLOWED = 'must be the tier\'s inclusive upper bound, a number above 0 (a decimal string such as "0.5" when not whole), or null (or "inf") for the open-ended last tier';

/**
 * Tiers as Stripe defines them: each tier ends at `upTo` inclusive, the next starts just above it,
 * and the last tier is open-ended (`upTo: null`, or `"inf"` as Stripe spells it on create). A
 * bound may be fractional for metered quantities such as GB or hours (`"0.5"`, as Lago allows;
 * written as a decimal string, as every non-whole number in a catalog is). A whole bound comes out
 * as a number, a fractional one as a canonical decimal string. One field with one message, so a bad bound says what is allowed
 * instead of a union's "Invalid input".
 */
const upToField = z.union([z.string(), z.number(), z.null()], { error: UP_TO_ALLOWED }).transform((value, ctx): number | string | null => {
  if (value === null || value === "inf") return null;
  if (typeof value === "number" && !Number.isSafeInteger(value)) {
    ctx.addIssue({ code: "custom", message: `${UP_TO_ALLOWED}; a bound that is not a whole number must be a decimal string such as "0.5", got ${value}` });
    return z.NEVER;
  }
  if (!isDecimalLike(value)) {
    ctx.addIssue({ code: "custom", message: `${UP_TO_ALLOWED}, got ${JSON.stringify(value)}` });
    return z.NEVER;
  }
  const bound = parseDecimal(value);
  if (sign(bound) <= 0) {
    ctx.addIssue({ code: "custom", message: `${UP_TO_ALLOWED}; it must be above 0, got ${JSON.stringify(value)}` });
    return z.NEVER;
  }
  // Whole bounds come out as numbers (as they always have), fractional ones as decimal strings.
  const text = toDecimalString(bound);
  return !text.includes(".") && Number.isSafeInteger(Number(text)) ? Number(text) : text;
});

/** One price tier: a unit amount, a flat amount for reaching the tier, or both. */
export const priceTierSchema = strictFields({
    upTo: upToField,
    unitAmount: unitAmountField.optional(),
    flatAmount: minorAmountField.optional(),
  })
  .refine((tier) => tier.unitAmount !== undefined || tier.flatAmount !== undefined, {
    message: "a tier needs a unitAmount, a flatAmount or both",
  });

/** One tier of a graduated percentage: a rate on the amount inside the tier, and an optional flat amount. */
export const percentTierSchema = strictFields({
  upTo: upToField,
  percent: percentField,
  flatAmount: minorAmountField.optional(),
});

/** Checks what Stripe checks: bounds strictly increasing, exactly the last tier open-ended. */
function checkTierOrder(tiers: readonly { upTo: number | string | null }[], ctx: z.RefinementCtx): void {
  let previous: Decimal = parseDecimal(0);
  tiers.forEach((tier, index) => {
    const last = index === tiers.length - 1;
    if (tier.upTo === null) {
      if (!last) ctx.addIssue({ code: "custom", path: [index, "upTo"], message: "only the last tier may be open-ended (upTo: null)" });
      return;
    }
    if (last) {
      ctx.addIssue({ code: "custom", path: [index, "upTo"], message: `the last tier must be open-ended (upTo: null), got ${tier.upTo}` });
    }
    const bound = parseDecimal(tier.upTo);
    if (cmp(bound, previous) <= 0) {
      ctx.addIssue({
        code: "custom",
        path: [index, "upTo"],
        message: `tiers must be sorted with increasing upTo and must not overlap: ${tier.upTo} follows ${toDecimalString(previous)}`,
      });
    }
    if (cmp(bound, previous) > 0) previous = bound;
  });
}

export const priceTiersSchema = z.array(priceTierSchema).min(1, "needs at least one tier").superRefine(checkTierOrder);
export const percentTiersSchema = z.array(percentTierSchema).min(1, "needs at least one tier").superRefine(checkTierOrder);

export type PriceTier = z.output<typeof priceTierSchema>;
export type PercentTier = z.output<typeof percentTierSchema>;
