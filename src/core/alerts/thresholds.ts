import type { Alert } from "../catalog/index.ts";
import { cmp, mul, parseDecimal, type Decimal } from "../decimal.ts";

export type UsageAlert = Alert & { readonly kind: "usage" };

/**
 * The usage at which a usage alert fires for a customer whose limit is `limit`: `units`, or
 * `percent` of the limit (exact). null when the alert cannot fire: a percent of an unlimited limit.
 *
 * @example
 * usageThreshold({ kind: "usage", feature: "api", percent: 80, key: "api_80" }, parseDecimal("2500")) // 2000
 * usageThreshold({ kind: "usage", feature: "api", percent: 80, key: "api_80" }, null)                // null
 */
export function usageThreshold(alert: UsageAlert, limit: Decimal | null): Decimal | null {
  if (alert.units !== undefined) return parseDecimal(alert.units);
  if (limit === null) return null;
  const percent = parseDecimal(String(alert.percent));
  // percent / 100, exactly: the same digits two places further right.
  return mul(limit, { coef: percent.coef, scale: percent.scale + 2 });
}

/**
 * Whether `value` has reached `threshold`. An alert fires once per window, so "reached" after a
 * write is the same as "crossed by it or by an earlier write of the window".
 *
 * @example
 * reached(parseDecimal("80"), parseDecimal("80")) // true
 */
export function reached(value: Decimal, threshold: Decimal | null): boolean {
  return threshold !== null && cmp(value, threshold) >= 0;
}
