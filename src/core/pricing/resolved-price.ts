import { z } from "zod";
import { parseDecimal } from "../decimal.ts";
import { BillingError } from "../errors.ts";
import { normalizeCurrency } from "../money.ts";
import { zodToBillingError } from "../validation.ts";
import type { ChargeModel } from "./charge-schema.ts";
import type { PreparedPricing } from "./prepared-pricing.ts";
import { prepareTiers } from "./prepared-tiers.ts";
import { positiveWholeField, unitAmountField } from "./schema-fields.ts";
import { priceTiersSchema } from "./tier-schema.ts";

/**
 * A provider price in billhub's own terms: what the price sync stores and what `resolvePrice`
 * returns for a charge's `price.lookupKey`. Amounts are minor units of `currency`, like charges.
 * `stripePriceToResolvedPrice` builds one from a Stripe Price.
 */
export const resolvedPriceSchema = z.discriminatedUnion("scheme", [
  z.strictObject({
    scheme: z.literal("per_unit"),
    /** The provider's id of the price (Stripe `price_...`), shown on line items. */
    id: z.string().min(1).optional(),
    currency: z.string().min(1),
    unitAmount: unitAmountField,
    /** Stripe `transform_quantity`: bill per `divideBy` units, rounding a started package up or down. */
    transformQuantity: z.strictObject({ divideBy: positiveWholeField, round: z.enum(["up", "down"]) }).nullable().optional(),
  }),
  z.strictObject({
    scheme: z.literal("tiered"),
    id: z.string().min(1).optional(),
    currency: z.string().min(1),
    tiersMode: z.enum(["graduated", "volume"]),
    tiers: priceTiersSchema,
  }),
]);

type DeepReadonly<T> = T extends readonly (infer U)[] ? readonly DeepReadonly<U>[] : T extends object ? { readonly [K in keyof T]: DeepReadonly<T[K]> } : T;

export type ResolvedPrice = z.output<typeof resolvedPriceSchema>;
/** What `resolvePrice` may return: a stored price, frozen or not (frozen ones are prepared once). */
export type ResolvedPriceInput = DeepReadonly<z.input<typeof resolvedPriceSchema>>;

/** What a charge of each model accepts from a resolved price. */
const ACCEPTS: Partial<Record<ChargeModel, string>> = {
  flat: "a per_unit price without transformQuantity (the flat amount is its unit amount)",
  per_unit: "a per_unit price without transformQuantity",
  package: "a per_unit price with transformQuantity",
  graduated: "a tiered price with tiersMode graduated",
  volume: "a tiered price with tiersMode volume",
};

function describe(price: ResolvedPrice): string {
  if (price.scheme === "tiered") return `a tiered price with tiersMode ${price.tiersMode}`;
  return price.transformQuantity ? `a per_unit price with transformQuantity (divideBy ${price.transformQuantity.divideBy})` : "a per_unit price without transformQuantity";
}

function toPricing(model: ChargeModel, price: ResolvedPrice): PreparedPricing | undefined {
  if (price.scheme === "tiered") {
    return model === price.tiersMode ? { model, tiers: prepareTiers(price.tiers) } : undefined;
  }
  const transform = price.transformQuantity ?? undefined;
  const unitAmount = parseDecimal(price.unitAmount);
  if (model === "package" && transform !== undefined) {
    return { model, packageSize: parseDecimal(transform.divideBy), packageAmount: unitAmount, round: transform.round };
  }
  if (transform !== undefined) return undefined;
  if (model === "flat") return { model, amount: unitAmount };
  if (model === "per_unit") return { model, unitAmount };
  return undefined;
}

export interface PricingFromPriceContext {
  readonly model: ChargeModel;
  readonly lookupKey: string;
  readonly currency: string;
  /** Path of the charge's price reference, for errors: `plan.charges.2.price`. */
  readonly field: string;
}

/**
 * Turns what `resolvePrice` returned into the numbers a charge needs, refusing a price whose
 * shape or currency does not fit the charge (a silent mismatch would bill the wrong amount).
 *
 * @example
 * pricingFromResolvedPrice({ scheme: "per_unit", currency: "usd", unitAmount: "0.5" }, { model: "per_unit", lookupKey: "api", currency: "USD", field: "plan.charges.0.price" })
 * // { model: "per_unit", unitAmount: 0.5 }
 */
export function pricingFromResolvedPrice(input: unknown, context: PricingFromPriceContext): PreparedPricing {
  const { model, lookupKey, field } = context;
  const parsed = resolvedPriceSchema.safeParse(input);
  if (!parsed.success) {
    const error = zodToBillingError(parsed.error, "CATALOG_INVALID", `${field}(${lookupKey})`);
    throw new BillingError("CATALOG_INVALID", `price "${lookupKey}" resolved to an invalid price: ${error.message}`, { field, details: error.details });
  }
  const price = parsed.data;
  const currency = normalizeCurrency(price.currency, `${field}.currency`);
  if (currency !== context.currency) {
    throw new BillingError("CATALOG_INVALID", `price "${lookupKey}" is in ${currency} but the plan bills in ${context.currency}`, { field });
  }
  const pricing = toPricing(model, price);
  if (pricing === undefined) {
    const accepts = ACCEPTS[model] ?? "no provider price";
    throw new BillingError("CATALOG_INVALID", `price "${lookupKey}" is ${describe(price)}, but a ${model} charge needs ${accepts}`, { field });
  }
  return pricing;
}
