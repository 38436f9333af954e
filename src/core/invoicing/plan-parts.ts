import { BillingError } from "../errors.ts";
import type { LineItem, PricedUsage } from "../pricing/line-item.ts";
import { trueUpLine } from "../pricing/map-usage-to-line-items.ts";
import type { PreparedPlan } from "../pricing/prepare-plan.ts";
import type { InvoicePeriod } from "./invoice.ts";

/** A part of a billing window held on one plan, priced on its own with that plan's usage. */
export interface PricedPart {
  readonly period: InvoicePeriod;
  readonly plan: PreparedPlan;
  readonly priced: PricedUsage;
  /** Held on the plan's trial: no flat fee and no minimum commitment for this part. */
  readonly trial?: boolean;
}

/** A window's lines once its parts are joined. */
export interface JoinedParts {
  /** The plan held at the window's last instant: it bills the flat fees and the minimum commitment. */
  readonly plan: PreparedPlan;
  readonly currency: string;
  readonly lineItems: readonly LineItem[];
  readonly subtotal: number;
}

const instant = (at: Date) => at.toISOString().replace(".000Z", "Z");

/**
 * Joins the parts of a window cut at plan changes (in time order) into one invoice's lines.
 *
 * - One part: its lines as they are (a customer who did not change plan gets exactly what
 *   pricing the whole window gives).
 * - Several: each part's usage charges (charges on a meter), priced on the part's plan with the
 *   part's usage, in time order, each described with its plan and part; then the flat fees of the
 *   plan held at the window's last instant, once; then that plan's minimum-commitment true-up over
 *   all the lines. Included units, tiers and free events apply per part: each plan's allowance
 *   covers the usage made on it. Flat fees are not split (no proration): the window pays the flat
 *   fees of the plan it ends on, as a period is billed with the prices at its last instant.
 *
 * A part held on a plan's trial prices its usage as the plan says (a trial waives the plan's
 * subscription fee, not what is used); a window whose last part is a trial bills no flat fee and
 * no minimum commitment.
 *
 * Parts in other currencies than the last are refused: an invoice has one currency.
 *
 * @example
 * // pro (flat 4900, API at 0.5 past 1000 included) from Oct 10, free (API not charged) before it
 * joinPlanParts([{ period: oct1_oct10, plan: free, priced: ... }, { period: oct10_nov1, plan: pro, priced: ... }])
 * // { plan: pro, lineItems: [API calls (plan pro, …), Platform fee 4900, true-up?], subtotal: ... }
 */
export function joinPlanParts(parts: readonly PricedPart[]): JoinedParts {
  const last = parts[parts.length - 1];
  if (last === undefined) throw new BillingError("INTERNAL", "a window has at least one part", { field: "parts" });
  if (parts.length === 1 && last.trial !== true) return { plan: last.plan, currency: last.priced.currency, lineItems: last.priced.lineItems, subtotal: last.priced.subtotal };
  const lineItems: LineItem[] = [];
  let subtotal = 0;
  for (const part of parts) {
    if (part.priced.currency !== last.priced.currency) {
      throw new BillingError("CATALOG_INVALID", `plan "${part.plan.key}" bills in ${part.priced.currency} and plan "${last.plan.key}" in ${last.priced.currency}: one invoice cannot hold both`, {
        field: `plans.${part.plan.key}.currency`,
      });
    }
    const label = parts.length === 1 ? "" : ` (plan ${part.plan.key}${part.trial === true ? " on trial" : ""}, ${instant(part.period.from)} to ${instant(part.period.to)})`;
    for (const line of part.priced.lineItems) {
      if (line.meter === null) continue;
      lineItems.push({ ...line, description: `${line.description}${label}` });
      subtotal += line.amount;
    }
  }
  // A window that ends on trial bills no flat fee and no commitment: the trial is what was offered.
  if (last.trial !== true) {
    for (const line of last.priced.lineItems) {
      if (line.model !== "flat") continue;
      lineItems.push(line);
      subtotal += line.amount;
    }
    const trueUp = trueUpLine(last.plan, subtotal);
    if (trueUp !== undefined) {
      lineItems.push(trueUp);
      subtotal += trueUp.amount;
    }
  }
  if (!Number.isSafeInteger(subtotal)) throw new BillingError("INVALID_AMOUNT", `the subtotal of plan "${last.plan.key}" is too large to represent exactly`, { field: "subtotal" });
  return { plan: last.plan, currency: last.priced.currency, lineItems, subtotal };
}
