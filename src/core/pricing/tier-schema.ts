import { z } from "zod";
import { minorAmountField, percentField, positiveWholeField, unitAmountField } from "./schema-fields.ts";

/**
 * Tiers as Stripe defines them: each tier ends at `upTo` inclusive, the next starts just above it,
 * and the last tier is open-ended (`upTo: null`, or `"inf"` as Stripe spells it on create).
 */
const upToField = z.union([z.literal("inf").transform(() => null), z.null(), positiveWholeField]);

/** One price tier: a unit amount, a flat amount for reaching the tier, or both. */
export const priceTierSchema = z
  .strictObject({
    upTo: upToField,
    unitAmount: unitAmountField.optional(),
    flatAmount: minorAmountField.optional(),
  })
  .refine((tier) => tier.unitAmount !== undefined || tier.flatAmount !== undefined, {
    message: "a tier needs a unitAmount, a flatAmount or both",
  });

/** One tier of a graduated percentage: a rate on the amount inside the tier, and an optional flat amount. */
export const percentTierSchema = z.strictObject({
  upTo: upToField,
  percent: percentField,
  flatAmount: minorAmountField.optional(),
});

/** Checks what Stripe checks: bounds strictly increasing, exactly the last tier open-ended. */
function checkTierOrder(tiers: readonly { upTo: number | null }[], ctx: z.RefinementCtx): void {
  let previous = 0;
  tiers.forEach((tier, index) => {
    const last = index === tiers.length - 1;
    if (tier.upTo === null) {
      if (!last) ctx.addIssue({ code: "custom", path: [index, "upTo"], message: "only the last tier may be open-ended (upTo: null)" });
      return;
    }
    if (last) {
      ctx.addIssue({ code: "custom", path: [index, "upTo"], message: `the last tier must be open-ended (upTo: null), got ${tier.upTo}` });
    }
    if (tier.upTo <= previous) {
      ctx.addIssue({
        code: "custom",
        path: [index, "upTo"],
        message: `tiers must be sorted with increasing upTo and must not overlap: ${tier.upTo} follows ${previous}`,
      });
    }
    previous = Math.max(previous, tier.upTo);
  });
}

export const priceTiersSchema = z.array(priceTierSchema).min(1, "needs at least one tier").superRefine(checkTierOrder);
export const percentTiersSchema = z.array(percentTierSchema).min(1, "needs at least one tier").superRefine(checkTierOrder);

export type PriceTier = z.output<typeof priceTierSchema>;
export type PercentTier = z.output<typeof percentTierSchema>;
