import { BillingError } from "../errors.ts";
import { formatMinorUnits } from "../money.ts";
import { chargePricing, type ResolvePrice } from "./charge-pricing.ts";
import { chargeToLineItem } from "./charge-to-line-item.ts";
import type { LineItem, PricedUsage } from "./line-item.ts";
import { minimumCommitmentToTrueUp } from "./minimum-commitment.ts";
import { preparePlan, TRUE_UP_KEY, type PreparedCharge, type PreparedPlan, type PricingPlanInput } from "./prepare-plan.ts";
import { NO_USAGE, readUsage, type UsageInput } from "./usage-input.ts";

/** The line rounding modes billhub offers; half-up unless told otherwise. */
export const LINE_ROUNDING_MODES = ["half_up", "half_even"] as const;
export type LineRoundingMode = (typeof LINE_ROUNDING_MODES)[number];

export interface MapUsageOptions {
  /** How each line's exact amount is rounded to whole minor units. Default "half_up". */
  readonly rounding?: LineRoundingMode;
  /** Supplies the synced provider price for charges that reference one by lookup key. */
  readonly resolvePrice?: ResolvePrice;
  /** The billing period, echoed on the result for the invoice (ISO 8601 or Date). */
  readonly period?: { readonly start: string | Date; readonly end: string | Date };
}

function instant(value: unknown, field: string): number {
  const time = value instanceof Date ? value.getTime() : typeof value === "string" ? Date.parse(value) : Number.NaN;
  if (Number.isNaN(time)) throw new BillingError("VALIDATION_FAILED", `${field} must be an ISO 8601 date-time or a Date`, { field });
  return time;
}

function readPeriod(period: MapUsageOptions["period"]): { start: string; end: string } | undefined {
  if (period === undefined) return undefined;
  const start = instant(period.start, "options.period.start");
  const end = instant(period.end, "options.period.end");
  if (end <= start) throw new BillingError("VALIDATION_FAILED", "options.period.end must be after options.period.start", { field: "options.period.end" });
  return { start: new Date(start).toISOString(), end: new Date(end).toISOString() };
}

/** What no options mean, read once rather than for every priced period. */
const DEFAULTS = Object.freeze({ rounding: "half_up" as LineRoundingMode, resolvePrice: undefined, period: undefined });

function readOptions(options: MapUsageOptions): { rounding: LineRoundingMode; resolvePrice: ResolvePrice | undefined; period: { start: string; end: string } | undefined } {
  if (options.rounding === undefined && options.resolvePrice === undefined && options.period === undefined) return DEFAULTS;
  const rounding = options.rounding ?? "half_up";
  if (!LINE_ROUNDING_MODES.includes(rounding)) {
    throw new BillingError("VALIDATION_FAILED", `options.rounding must be "half_up" or "half_even", got ${JSON.stringify(rounding)}`, { field: "options.rounding" });
  }
  if (options.resolvePrice !== undefined && typeof options.resolvePrice !== "function") {
    throw new BillingError("VALIDATION_FAILED", "options.resolvePrice must be a function", { field: "options.resolvePrice" });
  }
  return { rounding, resolvePrice: options.resolvePrice, period: readPeriod(options.period) };
}

function addMinor(total: number, amount: number, planKey: string): number {
  const sum = total + amount;
  if (!Number.isSafeInteger(sum)) throw new BillingError("INVALID_AMOUNT", `the subtotal of plan "${planKey}" is too large to represent exactly`, { field: "subtotal" });
  return sum;
}

function money(amount: number, currency: string): string {
  return `${formatMinorUnits(amount, currency)} ${currency}`;
}

/** The line that brings `subtotal` up to the plan's minimum commitment, or undefined when none is due. */
export function trueUpLine(plan: PreparedPlan, subtotal: number): LineItem | undefined {
  const commitment = plan.minimumCommitment;
  if (commitment === undefined) return undefined;
  const trueUp = minimumCommitmentToTrueUp({ commitment: commitment.amount, subtotal });
  if (trueUp === 0) return undefined;
  return {
    chargeKey: TRUE_UP_KEY,
    model: "minimum_commitment",
    meter: null,
    description: `${commitment.description ?? "Minimum commitment"}: true-up of ${money(trueUp, plan.currency)} to reach ${money(commitment.amount, plan.currency)}`,
    quantity: "1",
    billableQuantity: "1",
    amount: trueUp,
    exactAmount: String(trueUp),
  };
}

/**
 * Turns a period's aggregated usage into priced line items, to the cent, with Stripe's semantics
 * for the same prices. Pure: no I/O, the same answer for the same input.
 *
 * Every charge gives one line, in plan order; a meter with charges but no usage counts as 0.
 * Each line is rounded once (half-up unless `rounding` says half-even); `subtotal` is the sum of the
 * rounded lines, plus a minimum-commitment true-up line when the plan has one and falls short.
 * Bad plans throw CATALOG_INVALID, bad usage INVALID_USAGE, both naming the field.
 *
 * @example Stripe docs, "Set up tiered pricing" (flat rate example): tiers with flat amounts, graduated, 12 units → 111 USD
 * mapUsageToLineItems(
 *   { key: "fonts", currency: "USD", charges: [{ key: "fonts", meter: "fonts", model: "graduated", tiers: [
 *     { upTo: 5, unitAmount: 500, flatAmount: 1000 }, { upTo: 10, unitAmount: 400, flatAmount: 2000 },
 *     { upTo: 15, unitAmount: 300, flatAmount: 3000 }, { upTo: 20, unitAmount: 200, flatAmount: 4000 },
 *     { upTo: null, unitAmount: 100, flatAmount: 5000 }] }] },
 *   { fonts: 12 },
 * ).subtotal // 11100
 */
export function mapUsageToLineItems(plan: PricingPlanInput | PreparedPlan, usage: UsageInput, options?: MapUsageOptions): PricedUsage {
  const prepared = preparePlan(plan);
  const { rounding, resolvePrice, period } = options === undefined ? DEFAULTS : readOptions(options);
  const usageByMeter = readUsage(usage, prepared.meters);
  // What every charge of the plan is priced with (a LineContext and chargePricing's options).
  const context = { currency: prepared.currency, rounding, resolvePrice };
  const lineItems: LineItem[] = [];
  // Whole minor units, summed as safe integers: every step is exact or refused.
  let subtotal = 0;
  const charges = prepared.charges;
  // An indexed loop: this runs for every priced period, and for-of allocated an iterator here.
  for (let i = 0; i < charges.length; i++) {
    const charge = charges[i] as PreparedCharge;
    const pricing = chargePricing(charge, context);
    const meterUsage = charge.meterPosition < 0 ? NO_USAGE : (usageByMeter[charge.meterPosition] ?? NO_USAGE);
    const line = chargeToLineItem(charge, pricing, meterUsage, context);
    lineItems.push(line);
    subtotal = addMinor(subtotal, line.amount, prepared.key);
  }
  const trueUp = trueUpLine(prepared, subtotal);
  if (trueUp !== undefined) {
    lineItems.push(trueUp);
    subtotal = addMinor(subtotal, trueUp.amount, prepared.key);
  }
  const result: { -readonly [K in keyof PricedUsage]: PricedUsage[K] } = { planKey: prepared.key, currency: prepared.currency, lineItems, subtotal };
  if (period !== undefined) result.period = period;
  return result;
}
