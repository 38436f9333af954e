import { div, mul, parseDecimal, toDecimalString, toSafeInteger, type Decimal, type RoundingMode } from "../decimal.ts";
import type { InvoicePeriod } from "./invoice.ts";

/**
 * How a flat fee is shared between the parts of a window held on different plans:
 * - `none`: not at all — the plan held at the window's last instant bills its whole fee;
 * - `second`: by each part's share of the window in whole seconds (Stripe's default proration);
 * - `day`: by its share in whole UTC days, each change counting from the start of its day.
 */
export const PRORATIONS = ["none", "second", "day"] as const;
export type Proration = (typeof PRORATIONS)[number];

/** The one rounding of a prorated line: half a minor unit and more rounds up (away from zero). */
export const PRORATION_ROUNDING: RoundingMode = "half_up";

/** How much of a window a part holds, in whole units of the proration. */
export interface ProrationShare {
  readonly units: bigint;
  /** The window's units; the parts of a window add up to it. */
  readonly of: bigint;
  readonly unit: "second" | "day";
}

const SECOND_MS = 1000;
const DAY_MS = 86_400_000;

/** The instant moved back to the start of its unit: every bound of every part moves the same way, so parts still tile the window. */
function floorTo(at: Date, unitMs: number): bigint {
  return BigInt(Math.floor(at.getTime() / unitMs));
}

/**
 * A part's share of its window. Seconds: the bounds are taken to the whole second (millisecond
 * parts dropped), as Stripe prorates "down to the second". Days: to the start of their UTC day, so a
 * change on the 10th at 15:00 bills the new plan from the 10th 00:00 and the old one until then;
 * two changes on one day leave the earlier part 0 days. A window shorter than one unit (no whole
 * day) is shared by seconds instead, so its fee is never divided by zero.
 *
 * @example
 * prorationShare({ from: nov16, to: dec1 }, { from: nov1, to: dec1 }, "day") // { units: 15n, of: 30n, unit: "day" }
 */
export function prorationShare(part: InvoicePeriod, window: InvoicePeriod, proration: Exclude<Proration, "none">): ProrationShare {
  if (proration === "day") {
    const of = floorTo(window.to, DAY_MS) - floorTo(window.from, DAY_MS);
    if (of > 0n) return { units: clampUnits(floorTo(part.to, DAY_MS) - floorTo(part.from, DAY_MS), of), of, unit: "day" };
  }
  const of = floorTo(window.to, SECOND_MS) - floorTo(window.from, SECOND_MS);
  if (of <= 0n) return { units: part.to.getTime() >= window.to.getTime() ? 1n : 0n, of: 1n, unit: "second" };
  return { units: clampUnits(floorTo(part.to, SECOND_MS) - floorTo(part.from, SECOND_MS), of), of, unit: "second" };
}

function clampUnits(units: bigint, of: bigint): bigint {
  return units < 0n ? 0n : units > of ? of : units;
}

/**
 * A flat fee's prorated amount: `exactAmount × units / of`, rounded once to whole minor units with
 * PRORATION_ROUNDING (integer arithmetic throughout; the quotient is rounded, never a float).
 * The exact share is kept to 12 decimal places for display (a third of a cent has no finite decimal).
 *
 * @example Stripe's prorations guide: a 10 USD plan for the first half of a 30-day month
 * prorateAmount(parseDecimal("1000"), { units: 15n, of: 30n, unit: "day" }) // { amount: 500, exactAmount: "500" }
 */
export function prorateAmount(exactAmount: Decimal, share: ProrationShare): { amount: number; exactAmount: string } {
  const scaled = mul(exactAmount, parseDecimal(share.units.toString()));
  const of = parseDecimal(share.of.toString());
  return {
    amount: toSafeInteger(div(scaled, of, 0, PRORATION_ROUNDING), PRORATION_ROUNDING, "amount"),
    exactAmount: toDecimalString(div(scaled, of, 12, PRORATION_ROUNDING)),
  };
}
