import { z } from "zod";
import { mul, parseDecimal, toDecimalString } from "../core/decimal.ts";
import type { PurchasedCredit } from "./types.ts";

/**
 * A provider's product (or price) sold as prepaid credit: each item bought grants `amount` (whole
 * minor units of the currency paid in, which must be the catalog's) or `units` of a metered feature.
 * The same shape under every provider that sells credit (`stripe.creditProducts`, `flowglad.creditProducts`).
 */
export const creditProductSchema = z.union([
  z.strictObject({ amount: z.number().int().positive().max(Number.MAX_SAFE_INTEGER) }),
  z.strictObject({ feature: z.string().min(1).max(128), units: z.union([z.number().positive(), z.string().regex(/^\d+(\.\d+)?$/, "must be a positive decimal such as \"1000\"")]) }),
]);

export type CreditProduct = z.output<typeof creditProductSchema>;

/** Provider product key (an id, a slug) → what one item of it grants. */
export const creditProductsSchema = z.record(z.string().min(1).max(255), creditProductSchema);

/**
 * The credit `quantity` items of a credit product grant.
 *
 * @example
 * purchasedCredit("prod_pack", { amount: 1000 }, 2, "usd") // { productId: "prod_pack", quantity: 2, currency: "USD", amount: "2000" }
 */
export function purchasedCredit(productId: string, product: CreditProduct, quantity: number, currency: string): PurchasedCredit {
  const items = parseDecimal(quantity);
  if ("amount" in product) return { productId, quantity, currency: currency.toUpperCase(), amount: toDecimalString(mul(parseDecimal(product.amount), items)) };
  return { productId, quantity, feature: product.feature, units: toDecimalString(mul(parseDecimal(product.units), items)) };
}
