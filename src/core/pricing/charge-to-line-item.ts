import { isZero, toDecimalString, type Decimal, type RoundingMode } from "../decimal.ts";
import { BillingError } from "../errors.ts";
import { formatMinorDecimal, roundMinor } from "../money.ts";
import type { ChargePricing } from "./charge-pricing.ts";
import { flatFeeToAmount } from "./flat-fee.ts";
import { graduatedPercentageToAmount } from "./graduated-percentage.ts";
import { graduatedTiersToAmount } from "./graduated-tiers.ts";
import { includedUnitsToBillable } from "./included-units.ts";
import type { LineItem, LineItemTier } from "./line-item.ts";
import { packagesToAmount } from "./package.ts";
import { needsEvents, percentageToAmount } from "./percentage.ts";
import { perUnitToAmount } from "./per-unit.ts";
import type { PreparedCharge } from "./prepare-plan.ts";
import type { TierCharge } from "./prepared-tiers.ts";
import type { MeterUsage } from "./usage-input.ts";
import { volumeTiersToAmount } from "./volume-tiers.ts";

export interface LineContext {
  readonly currency: string;
  readonly rounding: RoundingMode;
}

const s = toDecimalString;

function breakdown(tiers: readonly TierCharge[], rate: "unit" | "percent"): LineItemTier[] {
  return tiers.map((tier) => ({
    tier: tier.tier,
    upTo: tier.upTo === null ? null : tier.upTo.toString(),
    quantity: s(tier.quantity),
    ...(rate === "unit" ? { unitAmount: s(tier.unitAmount) } : { percent: s({ coef: tier.unitAmount.coef, scale: tier.unitAmount.scale - 2 }) }),
    flatAmount: s(tier.flatAmount),
    exactAmount: s(tier.amount),
  }));
}

function events(charge: PreparedCharge, usage: MeterUsage): readonly Decimal[] {
  if (usage.events !== undefined) return usage.events;
  if (isZero(usage.quantity)) return [];
  throw new BillingError(
    "INVALID_USAGE",
    `usage.${charge.meter}: charge "${charge.key}" bills per event (fixed fee, free events or a per-event minimum or maximum), so it needs each event's value: pass { quantity, events }`,
    { field: `usage.${charge.meter}.events` },
  );
}

/**
 * Prices one charge for a period's usage of its meter and rounds the line once.
 *
 * @example
 * chargeToLineItem(plan.charges[0], { pricing }, { quantity: parseDecimal(1200), events: undefined }, { currency: "USD", rounding: "half_up" })
 * // { chargeKey: "api", model: "per_unit", quantity: "1200", amount: 600, exactAmount: "600", ... }
 */
export function chargeToLineItem(charge: PreparedCharge, { pricing, price }: ChargePricing, usage: MeterUsage, context: LineContext): LineItem {
  const money = (value: Decimal) => `${formatMinorDecimal(value, context.currency)} ${context.currency}`;
  const billable = charge.includedUnits === undefined ? usage.quantity : includedUnitsToBillable({ quantity: usage.quantity, includedUnits: charge.includedUnits });
  const included = charge.includedUnits === undefined ? "" : ` (${s(charge.includedUnits)} included)`;
  let exact: Decimal;
  let detail: string;
  let extra: Pick<LineItem, "tiers" | "packages" | "billedEvents"> = {};
  let quantity = usage.quantity;
  let billableQuantity = billable;
  switch (pricing.model) {
    case "flat":
      exact = flatFeeToAmount({ amount: pricing.amount }).amount;
      quantity = billableQuantity = { coef: 1n, scale: 0 };
      detail = "";
      break;
    case "per_unit":
      exact = perUnitToAmount({ quantity: billable, unitAmount: pricing.unitAmount }).amount;
      detail = `: ${s(billable)} × ${money(pricing.unitAmount)}${included}`;
      break;
    case "graduated":
    case "volume": {
      const tiered = pricing.model === "graduated" ? graduatedTiersToAmount({ quantity: billable, tiers: pricing.tiers }) : volumeTiersToAmount({ quantity: billable, tiers: pricing.tiers });
      exact = tiered.amount;
      extra = { tiers: breakdown(tiered.tiers, "unit") };
      detail = `: ${s(billable)} units, ${pricing.model} tiers${included}`;
      break;
    }
    case "package": {
      const packaged = packagesToAmount({ quantity: billable, packageSize: pricing.packageSize, packageAmount: pricing.packageAmount, round: pricing.round });
      exact = packaged.amount;
      extra = { packages: s(packaged.packages) };
      detail = `: ${s(packaged.packages)} × ${money(pricing.packageAmount)} per ${s(pricing.packageSize)} units (${s(billable)} units, rounded ${pricing.round})${included}`;
      break;
    }
    case "percentage": {
      const perEvent = needsEvents(pricing.terms);
      const fee = percentageToAmount({ terms: pricing.terms, total: usage.quantity, events: perEvent ? events(charge, usage) : undefined });
      exact = fee.amount;
      billableQuantity = fee.ratedAmount;
      const fixed = pricing.terms.fixedFee === undefined ? "" : ` + ${money(pricing.terms.fixedFee)} × ${fee.billedEvents} ${fee.billedEvents === 1 ? "event" : "events"}`;
      extra = perEvent ? { billedEvents: fee.billedEvents } : {};
      detail = `: ${s(pricing.terms.percent)} % of ${money(fee.ratedAmount)}${fixed}`;
      break;
    }
    case "graduated_percentage": {
      const tiered = graduatedPercentageToAmount({ total: usage.quantity, tiers: pricing.tiers });
      exact = tiered.amount;
      extra = { tiers: breakdown(tiered.tiers, "percent") };
      detail = `: graduated rates on ${money(usage.quantity)}`;
      break;
    }
    default: {
      const unknown: never = pricing;
      throw new BillingError("INTERNAL", `unknown pricing ${JSON.stringify(unknown)}`);
    }
  }
  return {
    chargeKey: charge.key,
    model: charge.model,
    meter: charge.meter,
    description: `${charge.label}${detail}`,
    quantity: s(quantity),
    billableQuantity: s(billableQuantity),
    ...extra,
    ...(price === undefined ? {} : { price }),
    amount: roundMinor(exact, context.rounding),
    exactAmount: s(exact),
  };
}
