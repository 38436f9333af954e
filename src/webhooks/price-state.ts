import { div, mul, cmp, parseDecimal, toDecimalString } from "../core/decimal.ts";
import { BillingError } from "../core/errors.ts";
import { resolvedPriceSchema, type ResolvedPrice } from "../core/pricing/resolved-price.ts";
import { stripePriceToResolvedPrice } from "../core/pricing/stripe-price.ts";
import { parseWith } from "../core/validation.ts";
import type { FlowgladPrice, ProviderPrice } from "../providers/types.ts";
import type { PriceState } from "../store/webhooks/price-versions.ts";
import { stateHash } from "./state-hash.ts";

/** Unit prices keep at most Stripe's 12 decimal places. */
const UNIT_SCALE = 12;

/**
 * A Stripe price as the price history stores it: the price itself and, where it can price
 * usage, its ResolvedPrice (through the same mapping pricing uses for Stripe prices). A price that
 * cannot (a `custom_unit_amount` price has no amount) is stored with the reason instead, so the
 * invoice that references it fails naming it rather than billing zero.
 *
 * @example
 * stripePriceState(price).resolved // { scheme: "per_unit", id: "price_1", currency: "USD", unitAmount: "0.5", transformQuantity: null }
 */
export function stripePriceState(price: ProviderPrice): PriceState {
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
  return { lookupKey: price.lookupKey, productId: price.productId, active: price.active, currency: price.currency.toUpperCase(), price: stored, ...resolution, stateHash: stateHash(stored) };
}

/**
 * A Flowglad price as the price history stores it, under its slug. Flowglad bills a usage price
 * as `unitPrice` per `usageEventsPerUnit` events, proportionally, so it becomes a per-unit price
 * of unitPrice / usageEventsPerUnit (exact, or refused when that is no decimal of at most 12
 * places); subscription and single-payment prices become a per-unit price of `unitPrice`.
 *
 * @example
 * flowgladPriceState({ ...price, type: "usage", unitPrice: 1, usageEventsPerUnit: 100 }).resolved?.unitAmount // "0.01"
 */
export function flowgladPriceState(price: FlowgladPrice): PriceState {
  const resolution = resolveOrExplain(() => {
    const perEvents = price.type === "usage" ? (price.usageEventsPerUnit ?? 1) : 1;
    const total = parseDecimal(price.unitPrice);
    const unit = div(total, parseDecimal(perEvents), UNIT_SCALE, "down");
    if (cmp(mul(unit, parseDecimal(perEvents)), total) !== 0) {
      throw new BillingError("CATALOG_INVALID", `Flowglad price ${price.slug ?? price.id} bills ${price.unitPrice} per ${perEvents} events, which is no exact amount per event`, {
        field: "price.usageEventsPerUnit",
      });
    }
    return parseWith(resolvedPriceSchema, { scheme: "per_unit", id: price.id, currency: price.currency.toUpperCase(), unitAmount: toDecimalString(unit), transformQuantity: null }, "CATALOG_INVALID", "price");
  });
  return { lookupKey: price.slug, productId: price.productId, active: price.active, currency: price.currency.toUpperCase(), price, ...resolution, stateHash: stateHash(price) };
}

function resolveOrExplain(resolve: () => ResolvedPrice): { resolved: ResolvedPrice; resolveError: null } | { resolved: null; resolveError: string } {
  try {
    return { resolved: resolve(), resolveError: null };
  } catch (error) {
    if (error instanceof BillingError) return { resolved: null, resolveError: error.message };
    throw error;
  }
}
