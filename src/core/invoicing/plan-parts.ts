import { BillingError } from "../errors.ts";
import type { LineItem, PricedUsage } from "../pricing/line-item.ts";
import { trueUpLine } from "../pricing/map-usage-to-line-items.ts";
import type { PreparedPlan } from "../pricing/prepare-plan.ts";
import { parseDecimal } from "../decimal.ts";
import type { InvoicePeriod } from "./invoice.ts";
import { prorateAmount, prorationShare, type Proration } from "./proration.ts";

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
  /** For each line, the part it was priced for; null for a line of the whole window (unprorated flat fees, the true-up, the lines of a single part). */
  readonly lineParts: readonly (InvoicePeriod | null)[];
  readonly subtotal: number;
}

const instant = (at: Date) => at.toISOString().replace(".000Z", "Z");

/** How a window's flat fees are billed (see `Proration`); `window` is the whole window the parts tile. */
export interface JoinOptions {
  readonly proration?: Proration;
  readonly window?: InvoicePeriod;
}

/**
 * Joins the parts of a window cut at plan changes (in time order) into one invoice's lines.
 *
 * - One part, not on trial: its lines as they are (a customer who did not change plan gets
 *   exactly what pricing the whole window gives).
 * - Otherwise: each part's usage charges (charges on a meter), priced on the part's plan with the
 *   part's usage, in time order, each described with its plan and part; then the flat fees; then
 *   the minimum-commitment true-up of the plan held at the window's last instant over all the
 *   lines. Included units, tiers and free events apply per part: each plan's allowance covers the
 *   usage made on it.
 * - Flat fees, with proration `none`: those of the plan held at the window's last instant, once
 *   (a period is billed with the prices at its last instant). With `second` or `day`: each part's
 *   own flat fees, each times the part's share of the window (`prorationShare`), rounded once per
 *   line (`prorateAmount`); the shares of a window's parts add up to the whole window, so no instant
 *   pays two plans' fees and none pays nothing.
 *   `window` may be longer than the parts (a billing period cut short where the customer moved to a
 *   plan of another interval): the parts then pay their share of it, one part alone included, and
 *   the rest is billed by the other interval's invoice.
 * - A part held on a plan's trial prices its usage as the plan says (a trial waives the plan's
 *   subscription fee, not what is used) and bills no flat fee; a window whose last part is a
 *   trial bills no minimum commitment either.
 *
 * Parts in other currencies than the last are refused: an invoice has one currency.
 *
 * @example
 * // pro (flat 4900, API at 0.5 past 1000 included) from Oct 10, free (API not charged) before it
 * joinPlanParts([{ period: oct1_oct10, plan: free, priced: ... }, { period: oct10_nov1, plan: pro, priced: ... }])
 * // { plan: pro, lineItems: [API calls (plan pro, …), Platform fee 4900, true-up?], subtotal: ... }
 * joinPlanParts(sameParts, { proration: "day", window: oct1_nov1 })
 * // { plan: pro, lineItems: [API calls (plan pro, …), Platform fee (plan pro, …: 22 of 31 days) 3477, true-up?], ... }
 */
export function joinPlanParts(parts: readonly PricedPart[], options: JoinOptions = {}): JoinedParts {
  const last = parts[parts.length - 1];
  if (last === undefined) throw new BillingError("INTERNAL", "a window has at least one part", { field: "parts" });
  const proration = options.proration ?? "none";
  // One part that fills the window its fee is shared over (or a fee not shared at all): as priced.
  const whole = options.window === undefined || (options.window.from.getTime() === last.period.from.getTime() && options.window.to.getTime() === last.period.to.getTime());
  if (parts.length === 1 && last.trial !== true && (proration === "none" || whole)) {
    return { plan: last.plan, currency: last.priced.currency, lineItems: last.priced.lineItems, lineParts: last.priced.lineItems.map(() => null), subtotal: last.priced.subtotal };
  }
  const lineItems: LineItem[] = [];
  const lineParts: (InvoicePeriod | null)[] = [];
  let subtotal = 0;
  const push = (line: LineItem, part: PricedPart | null) => {
    lineItems.push(line);
    lineParts.push(parts.length === 1 || part === null ? null : part.period);
    subtotal += line.amount;
  };
  for (const part of parts) {
    if (part.priced.currency !== last.priced.currency) {
      throw new BillingError("CATALOG_INVALID", `plan "${part.plan.key}" bills in ${part.priced.currency} and plan "${last.plan.key}" in ${last.priced.currency}: one invoice cannot hold both`, {
        field: `plans.${part.plan.key}.currency`,
      });
    }
    for (const line of part.priced.lineItems) {
      if (line.meter === null) continue;
      push({ ...line, description: `${line.description}${label(parts, part)}` }, part);
    }
  }
  if (proration === "none") {
    if (last.trial !== true) {
      for (const line of last.priced.lineItems) {
        if (line.model !== "flat") continue;
        push(line, null);
      }
    }
  } else {
    const window = options.window ?? { from: parts[0]!.period.from, to: last.period.to };
    for (const part of parts) {
      if (part.trial === true) continue;
      const share = prorationShare(part.period, window, proration);
      if (share.units === 0n) continue;
      const suffix = `${partLabel(part).slice(0, -1)}: ${share.units} of ${share.of} ${share.unit}s)`;
      for (const line of part.priced.lineItems) {
        if (line.model !== "flat") continue;
        const prorated = prorateAmount(parseDecimal(line.exactAmount), share);
        push({ ...line, description: `${line.description}${suffix}`, amount: prorated.amount, exactAmount: prorated.exactAmount }, part);
      }
    }
  }
  // A window that ends on trial bills no commitment: the trial is what was offered.
  if (last.trial !== true) {
    const trueUp = trueUpLine(last.plan, subtotal);
    if (trueUp !== undefined) push(trueUp, null);
  }
  if (!Number.isSafeInteger(subtotal)) throw new BillingError("INVALID_AMOUNT", `the subtotal of plan "${last.plan.key}" is too large to represent exactly`, { field: "subtotal" });
  return { plan: last.plan, currency: last.priced.currency, lineItems, lineParts, subtotal };
}

/** " (plan pro on trial, <from> to <to>)" when the window has several parts; nothing for one. */
function label(parts: readonly PricedPart[], part: PricedPart): string {
  return parts.length === 1 ? "" : partLabel(part);
}

function partLabel(part: PricedPart): string {
  return ` (plan ${part.plan.key}${part.trial === true ? " on trial" : ""}, ${instant(part.period.from)} to ${instant(part.period.to)})`;
}
