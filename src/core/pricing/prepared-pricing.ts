import { parseDecimal, type Decimal } from "../decimal.ts";
import { BillingError } from "../errors.ts";
import type { Charge } from "./charge-schema.ts";
import type { PercentageTerms } from "./percentage.ts";
import { preparePercentTiers, prepareTiers, type PreparedTiers } from "./prepared-tiers.ts";

/** The numbers a charge model needs, parsed once. */
export type PreparedPricing =
  | { readonly model: "flat"; readonly amount: Decimal }
  | { readonly model: "per_unit"; readonly unitAmount: Decimal }
  | { readonly model: "graduated" | "volume"; readonly tiers: PreparedTiers }
  | { readonly model: "package"; readonly packageSize: Decimal; readonly packageAmount: Decimal; readonly round: "up" | "down" }
  | { readonly model: "percentage"; readonly terms: PercentageTerms }
  | { readonly model: "graduated_percentage"; readonly tiers: PreparedTiers };

const optionalDecimal = (value: string | undefined): Decimal | undefined => (value === undefined ? undefined : parseDecimal(value));

/**
 * The prepared numbers of a charge's inline fields, or undefined when the charge takes them from a
 * provider price (`price`). The charge must have passed `chargeSchema`.
 *
 * @example
 * inlinePricing({ key: "api", meter: "api_calls", model: "per_unit", unitAmount: "0.5" }) // { model: "per_unit", unitAmount: 0.5 }
 */
export function inlinePricing(charge: Charge): PreparedPricing | undefined {
  switch (charge.model) {
    case "flat":
      return charge.amount === undefined ? undefined : { model: "flat", amount: parseDecimal(charge.amount) };
    case "per_unit":
      return charge.unitAmount === undefined ? undefined : { model: "per_unit", unitAmount: parseDecimal(charge.unitAmount) };
    case "graduated":
    case "volume":
      return charge.tiers === undefined ? undefined : { model: charge.model, tiers: prepareTiers(charge.tiers) };
    case "package":
      if (charge.packageSize === undefined || charge.packageAmount === undefined) return undefined;
      return { model: "package", packageSize: parseDecimal(charge.packageSize), packageAmount: parseDecimal(charge.packageAmount), round: charge.round ?? "up" };
    case "percentage":
      return {
        model: "percentage",
        terms: {
          percent: parseDecimal(charge.percent),
          fixedFee: optionalDecimal(charge.fixedFee),
          freeEvents: charge.freeEvents,
          freeAmount: optionalDecimal(charge.freeAmount),
          minFeePerEvent: optionalDecimal(charge.minFeePerEvent),
          maxFeePerEvent: optionalDecimal(charge.maxFeePerEvent),
        },
      };
    case "graduated_percentage":
      return { model: "graduated_percentage", tiers: preparePercentTiers(charge.tiers) };
    default: {
      const unknown: never = charge;
      throw new BillingError("INTERNAL", `unknown charge model ${JSON.stringify(unknown)}`);
    }
  }
}
