import { z } from "zod";
import { cmp, parseDecimal } from "../decimal.ts";
import { keyField, minorAmountField, minorDecimalField, positiveWholeField, quantityField, unitAmountField, percentField } from "./schema-fields.ts";
import { percentTiersSchema, priceTiersSchema } from "./tier-schema.ts";
import { strictFields } from "../strict-fields.ts";

/** The charge models billhub prices usage with. */
export const CHARGE_MODELS = ["flat", "per_unit", "graduated", "volume", "package", "percentage", "graduated_percentage"] as const;
export type ChargeModel = (typeof CHARGE_MODELS)[number];

/**
 * A charge may take its numbers from a provider price instead of inline fields: Stripe by
 * `lookup_key`, Flowglad by price slug. The price synced from the provider then supplies them.
 */
export const priceRefSchema = strictFields({
  lookupKey: keyField,
  /** Which provider's price, when two hold the lookup key (checked against the provider list by `defineCatalog`). */
  provider: z.string().regex(/^[a-z][a-z0-9_]{0,62}$/, "must be a provider id (lower-case letters, digits and underscores)").optional(),
});
export type PriceRef = z.output<typeof priceRefSchema>;

const common = {
  key: keyField,
  /** Shown on the invoice line; the key when absent. */
  description: z.string().min(1).max(500).optional(),
};
const usage = { ...common, meter: keyField };

/** Units of the meter that are free before billing starts (a plan's allowance). */
const includedUnits = quantityField.optional();
const price = priceRefSchema.optional();

const flatCharge = strictFields({ ...common, model: z.literal("flat"), amount: minorAmountField.optional(), price });
const perUnitCharge = strictFields({ ...usage, model: z.literal("per_unit"), unitAmount: unitAmountField.optional(), includedUnits, price });
const graduatedCharge = strictFields({ ...usage, model: z.literal("graduated"), tiers: priceTiersSchema.optional(), includedUnits, price });
const volumeCharge = strictFields({ ...usage, model: z.literal("volume"), tiers: priceTiersSchema.optional(), includedUnits, price });
const packageCharge = strictFields({
  ...usage,
  model: z.literal("package"),
  /** Units per package (Stripe `transform_quantity.divide_by`, Lago `package_size`). */
  packageSize: positiveWholeField.optional(),
  /** Price of one package, minor units. */
  packageAmount: unitAmountField.optional(),
  /** A started package bills in full ("up", the default) or not at all ("down"). */
  round: z.enum(["up", "down"]).optional(),
  includedUnits,
  price,
});
const percentageCharge = strictFields({
  ...usage,
  model: z.literal("percentage"),
  percent: percentField,
  /** Added to the fee of every billed event, minor units. */
  fixedFee: minorDecimalField.optional(),
  /** The first N events are free. */
  freeEvents: z.number().int().min(0).optional(),
  /** The first amount of usage (minor units) is free. */
  freeAmount: minorDecimalField.optional(),
  minFeePerEvent: minorDecimalField.optional(),
  maxFeePerEvent: minorDecimalField.optional(),
});
const graduatedPercentageCharge = strictFields({ ...usage, model: z.literal("graduated_percentage"), tiers: percentTiersSchema });

/** The inline fields each provider-priceable model needs when it has no `price`. */
const INLINE_FIELDS = {
  flat: ["amount"],
  per_unit: ["unitAmount"],
  graduated: ["tiers"],
  volume: ["tiers"],
  package: ["packageSize", "packageAmount"],
} as const;

/**
 * A charge as it appears in a catalog plan's `charges`. Prices are in minor units of the plan's
 * currency; unit prices are decimal strings (Stripe's `unit_amount_decimal` convention).
 *
 * @example
 * chargeSchema.parse({ key: "api", meter: "api_calls", model: "per_unit", unitAmount: "0.5", includedUnits: 1000 });
 * chargeSchema.parse({ key: "api", meter: "api_calls", model: "graduated", price: { lookupKey: "api_graduated" } });
 */
export const chargeSchema = z
  .discriminatedUnion("model", [
    flatCharge,
    perUnitCharge,
    graduatedCharge,
    volumeCharge,
    packageCharge,
    percentageCharge,
    graduatedPercentageCharge,
  ])
  .superRefine((charge, ctx) => {
    if (charge.model === "percentage") {
      if (charge.minFeePerEvent !== undefined && charge.maxFeePerEvent !== undefined && cmp(parseDecimal(charge.minFeePerEvent), parseDecimal(charge.maxFeePerEvent)) > 0) {
        ctx.addIssue({ code: "custom", path: ["maxFeePerEvent"], message: `must not be below minFeePerEvent (${charge.minFeePerEvent})` });
      }
      return;
    }
    if (charge.model === "graduated_percentage") return;
    const inline = INLINE_FIELDS[charge.model].filter((field) => (charge as Record<string, unknown>)[field] !== undefined);
    if (charge.price !== undefined) {
      for (const field of inline) {
        ctx.addIssue({ code: "custom", path: [field], message: `must not be set together with price (the price "${charge.price.lookupKey}" supplies it)` });
      }
      if (charge.model === "package" && charge.round !== undefined) {
        ctx.addIssue({ code: "custom", path: ["round"], message: "must not be set together with price (the price's transform_quantity.round supplies it)" });
      }
      // The provider bills every unit it is sent: an allowance only we know of would make our
      // numbers differ from the provider's invoice. Put a free first tier in the price instead.
      if ("includedUnits" in charge && charge.includedUnits !== undefined) {
        ctx.addIssue({ code: "custom", path: ["includedUnits"], message: "cannot be combined with a provider price; give the provider price a free first tier instead" });
      }
      return;
    }
    for (const field of INLINE_FIELDS[charge.model]) {
      if ((charge as Record<string, unknown>)[field] === undefined) {
        ctx.addIssue({ code: "custom", path: [field], message: `is required for a ${charge.model} charge without a price` });
      }
    }
  });

export type Charge = z.output<typeof chargeSchema>;
export type ChargeInput = z.input<typeof chargeSchema>;

/**
 * A plan-level minimum spend per period: when the period's line items add up to less, a true-up
 * line brings the invoice to `amount`. Counts every line of the plan, flat fees included (as
 * Lago's plan commitment does).
 */
export const minimumCommitmentSchema = strictFields({
  amount: minorAmountField,
  description: z.string().min(1).max(500).optional(),
});
export type MinimumCommitment = z.output<typeof minimumCommitmentSchema>;
