import { cmp, div, mul, parseDecimal, toDecimalString } from "../../core/decimal.ts";
import { BillingError } from "../../core/errors.ts";
import { resolvedPriceSchema } from "../../core/pricing/resolved-price.ts";
import { parseWith } from "../../core/validation.ts";
import { resolveOrExplain } from "../price-resolution.ts";
import type { ProviderPriceState } from "../types.ts";
import type { FlowgladPrice } from "./types.ts";

/** Unit prices keep at most 12 decimal places (as Stripe's `*_decimal` fields do). */
const UNIT_SCALE = 12;

/**
 * A Flowglad price as the price history stores it, under its slug. Flowglad bills a usage price
 * as `unitPrice` per `usageEventsPerUnit` events, proportionally, so it becomes a per-unit price
 * of unitPrice / usageEventsPerUnit (exact, or refused when that is no decimal of at most 12
 * places); subscription and single-payment prices become a per-unit price of `unitPrice`.
 *
 * @example
 * flowgladPriceState({ ...price, type: "usage", unitPrice: 1, usageEventsPerUnit: 100 }).resolved?.unitAmount // "0.01"
 */
export function flowgladPriceState(price: FlowgladPrice): ProviderPriceState {
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
  return { lookupKey: price.slug, productId: price.productId, active: price.active, currency: price.currency.toUpperCase(), price, ...resolution };
}
