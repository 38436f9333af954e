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
import type { PreparedTier, PreparedTiers, TierCharge } from "./prepared-tiers.ts";
import type { MeterUsage } from "./usage-input.ts";
import { volumeTiersToAmount } from "./volume-tiers.ts";
import { wholeGraduatedTiers, wholeVolumeTiers } from "./whole-quantity-tiers.ts";

export interface LineContext {
  readonly currency: string;
  readonly rounding: RoundingMode;
}

const s = toDecimalString;

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/** "0.005 USD": an exact minor-unit amount in major units, for descriptions. */
function money(value: Decimal, currency: string): string {
  return `${formatMinorDecimal(value, currency)} ${currency}`;
}

/**
 * The tier lines of a tiered charge. A tier's texts are taken from what was written once when it
 * is the billed quantity itself (volume) or a whole tier passed through (graduated): on the
 * invoice hot path, printing BigInts is most of the cost of a line.
 */
function breakdown(charged: readonly TierCharge[], tiers: PreparedTiers, rate: "unitAmount" | "percent", billable: Decimal, billableText: string): LineItemTier[] {
  const lines: LineItemTier[] = [];
  for (const part of charged) {
    const row = tiers.rows[part.tier - 1] as PreparedTier;
    const full = row.full;
    const whole = full !== null && part.quantity.scale === 0 && part.quantity.coef === full.width && part.amount.coef === full.amount && part.amount.scale === tiers.scale;
    const quantity = whole ? full.quantityText : part.quantity === billable ? billableText : s(part.quantity);
    const exactAmount = whole ? full.amountText : s(part.amount);
    lines.push(
      rate === "unitAmount"
        ? { tier: part.tier, upTo: row.upToText, quantity, unitAmount: row.rateText, flatAmount: row.flatText, exactAmount }
        : { tier: part.tier, upTo: row.upToText, quantity, percent: row.rateText, flatAmount: row.flatText, exactAmount },
    );
  }
  return lines;
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
 * chargeToLineItem(plan.charges[0], { pricing }, { quantity: parseDecimal(1200), events: undefined, units: 1200 }, { currency: "USD", rounding: "half_up" })
 * // { chargeKey: "api", model: "per_unit", quantity: "1200", amount: 600, exactAmount: "600", ... }
 */
export function chargeToLineItem(charge: PreparedCharge, { pricing, price }: ChargePricing, usage: MeterUsage, context: LineContext): LineItem {
  const { currency } = context;
  const billable = charge.includedUnits === undefined ? usage.quantity : includedUnitsToBillable({ quantity: usage.quantity, includedUnits: charge.includedUnits });
  const included = charge.includedUnits === undefined ? "" : ` (${s(charge.includedUnits)} included)`;
  // A whole quantity that fits a Number (the usual case) is printed from it and placed among tier
  // bounds with it. Written once: the billable quantity appears in the description and on the line.
  const units = billable === usage.quantity && usage.units !== undefined ? usage.units : billable.scale === 0 ? Number(billable.coef) : Number.NaN;
  const whole = Number.isSafeInteger(units);
  const billableText = whole ? String(units) : s(billable);
  let exact: Decimal;
  /** The text of `exact` when it was already written (tiers of a whole quantity). */
  let exactText: string | undefined;
  let detail: string;
  // The model-specific fields, set by the models that have them.
  let tiers: LineItemTier[] | undefined;
  let packages: string | undefined;
  let billedEvents: number | undefined;
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
      detail = `: ${billableText} × ${money(pricing.unitAmount, currency)}${included}`;
      break;
    case "graduated":
    case "volume": {
      const graduated = pricing.model === "graduated";
      const wholeQuantity = { quantity: billable.coef, units, text: billableText };
      const wholeTiers = !whole ? undefined : graduated ? wholeGraduatedTiers(wholeQuantity, pricing.tiers) : wholeVolumeTiers(wholeQuantity, pricing.tiers);
      if (wholeTiers !== undefined) {
        exact = wholeTiers.amount;
        exactText = wholeTiers.amountText;
        tiers = wholeTiers.tiers;
      } else {
        const tiered = graduated ? graduatedTiersToAmount({ quantity: billable, tiers: pricing.tiers }) : volumeTiersToAmount({ quantity: billable, tiers: pricing.tiers });
        exact = tiered.amount;
        tiers = breakdown(tiered.tiers, pricing.tiers, "unitAmount", billable, billableText);
      }
      detail = `: ${billableText} units, ${pricing.model} tiers${included}`;
      break;
    }
    case "package": {
      const packaged = packagesToAmount({ quantity: billable, packageSize: pricing.packageSize, packageAmount: pricing.packageAmount, round: pricing.round });
      exact = packaged.amount;
      packages = s(packaged.packages);
      detail = `: ${s(packaged.packages)} × ${money(pricing.packageAmount, currency)} per ${s(pricing.packageSize)} units (${billableText} units, rounded ${pricing.round})${included}`;
      break;
    }
    case "percentage": {
      const perEvent = needsEvents(pricing.terms);
      const fee = percentageToAmount({ terms: pricing.terms, total: usage.quantity, events: perEvent ? events(charge, usage) : undefined });
      exact = fee.amount;
      billableQuantity = fee.ratedAmount;
      const fixed = pricing.terms.fixedFee === undefined ? "" : ` + ${money(pricing.terms.fixedFee, currency)} × ${fee.billedEvents} ${fee.billedEvents === 1 ? "event" : "events"}`;
      if (perEvent) billedEvents = fee.billedEvents;
      detail = `: ${s(pricing.terms.percent)} % of ${money(fee.ratedAmount, currency)}${fixed}`;
      break;
    }
    case "graduated_percentage": {
      const tiered = graduatedPercentageToAmount({ total: usage.quantity, tiers: pricing.tiers });
      exact = tiered.amount;
      tiers = breakdown(tiered.tiers, pricing.tiers, "percent", usage.quantity, s(usage.quantity));
      detail = `: graduated rates on ${money(usage.quantity, currency)}`;
      break;
    }
    default: {
      const unknown: never = pricing;
      throw new BillingError("INTERNAL", `unknown pricing ${JSON.stringify(unknown)}`);
    }
  }
  const description = `${charge.label}${detail}`;
  const quantityText = quantity === billable ? billableText : s(quantity);
  const billableQuantityText = billableQuantity === billable ? billableText : s(billableQuantity);
  const amount = roundMinor(exact, context.rounding);
  const exactAmount = exactText ?? s(exact);
  // Built field by field (no spreads), a tiered line with its tiers in the literal: adding a field
  // to a built object costs V8 a second allocation, and this runs once per line on the invoice hot path.
  const line: Mutable<LineItem> =
    tiers === undefined
      ? { chargeKey: charge.key, model: charge.model, meter: charge.meter, description, quantity: quantityText, billableQuantity: billableQuantityText, amount, exactAmount }
      : { chargeKey: charge.key, model: charge.model, meter: charge.meter, description, quantity: quantityText, billableQuantity: billableQuantityText, amount, exactAmount, tiers };
  if (packages !== undefined) line.packages = packages;
  if (billedEvents !== undefined) line.billedEvents = billedEvents;
  if (price !== undefined) line.price = price;
  return line;
}
