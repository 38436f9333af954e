import { div, mul, type Decimal } from "../decimal.ts";

/**
 * Package pricing: usage is counted in packages of `packageSize` units, a started package billing
 * in full (`round: "up"`) or not at all (`"down"`), each at `packageAmount`. This is Stripe's
 * `transform_quantity` (divide_by, round) and Lago's package model; free units come first, through
 * the charge's `includedUnits`.
 *
 * @example Stripe docs, "Set product or subscription quantities" (quantity transformation): 10 USD per 5 users, rounding up; 6 users → 20 USD
 * packagesToAmount({ quantity: parseDecimal(6), packageSize: parseDecimal(5), packageAmount: parseDecimal(1000), round: "up" })
 * // { packages: 2, amount: 2000 }
 */
export function packagesToAmount({
  quantity,
  packageSize,
  packageAmount,
  round,
}: {
  quantity: Decimal;
  packageSize: Decimal;
  packageAmount: Decimal;
  round: "up" | "down";
}): { packages: Decimal; amount: Decimal } {
  const packages = div(quantity, packageSize, 0, round === "up" ? "ceil" : "floor");
  return { packages, amount: mul(packages, packageAmount) };
}

