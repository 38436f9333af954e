import { canonicalDecimal } from "../decimal.ts";
import type { OverageInput } from "./schema.ts";

/**
 * What consume does with usage past a metered feature's limit, resolved from the catalog:
 * - `block`: nothing past the limit (the default);
 * - `allow`: any usage past the limit;
 * - `max_units`: up to `maxUnits` units past the limit (canonical decimal string);
 * - `max_spend`: as long as the units past the limit cost at most `maxSpend` minor units under
 *   the plan's charges on the feature's meter.
 */
export type OveragePolicy =
  | { readonly kind: "block" }
  | { readonly kind: "allow" }
  | { readonly kind: "max_units"; readonly maxUnits: string }
  | { readonly kind: "max_spend"; readonly maxSpend: number };

export const BLOCK_OVERAGE: OveragePolicy = Object.freeze({ kind: "block" });

/**
 * The policy a catalog's `overage` field declares (absent = block).
 *
 * @example
 * overagePolicy({ maxUnits: 500 }) // { kind: "max_units", maxUnits: "500" }
 * overagePolicy(undefined)         // { kind: "block" }
 */
export function overagePolicy(input: OverageInput | undefined): OveragePolicy {
  if (input === undefined || input === "block") return BLOCK_OVERAGE;
  if (input === "allow") return { kind: "allow" };
  if ("maxUnits" in input) return { kind: "max_units", maxUnits: canonicalDecimal(input.maxUnits) };
  return { kind: "max_spend", maxSpend: input.maxSpend };
}
