import { resolveOrExplain } from "../price-resolution.ts";
import type { ProviderPrice, ProviderPriceState } from "../types.ts";
import { stripePriceToResolvedPrice } from "./price.ts";

/**
 * A Stripe price as the price history stores it: the price itself and, where it can price
 * usage, its ResolvedPrice (through the same mapping pricing uses for Stripe prices). A price that
 * cannot (a `custom_unit_amount` price has no amount) is stored with the reason instead.
 *
 * @example
 * stripePriceState(price).resolved // { scheme: "per_unit", id: "price_1", currency: "USD", unitAmount: "0.5", transformQuantity: null }
 */
export function stripePriceState(price: ProviderPrice): ProviderPriceState {
  const resolution = resolveOrExplain(() =>
    stripePriceToResolvedPrice({
      id: price.id,
      currency: price.currency,
      billing_scheme: price.billingScheme,
      tiers_mode: price.tiersMode,
      transform_quantity: price.transformQuantity && { divide_by: price.transformQuantity.divideBy, round: price.transformQuantity.round },
      unit_amount_decimal: price.unitAmountDecimal,
      tiers: price.tiers?.map((tier) => ({ up_to: tier.upTo, unit_amount_decimal: tier.unitAmountDecimal, flat_amount_decimal: tier.flatAmountDecimal })) ?? null,
    }),
  );
  const stored = { ...price, created: price.created.toISOString() };
  return { lookupKey: price.lookupKey, productId: price.productId, active: price.active, currency: price.currency.toUpperCase(), price: stored, ...resolution };
}
