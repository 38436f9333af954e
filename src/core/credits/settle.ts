import { cmp, max, parseDecimal, sign, sub, toDecimalString, ZERO, type Decimal } from "../decimal.ts";
import type { CreditGrant } from "./types.ts";

/** An amount a grant loses at an instant: its expiry, or what a period end does not roll over. */
export interface Forfeit {
  readonly at: Date;
  readonly amount: string;
  readonly reference: string;
}

/** Where a grant stands once expiries and rollovers up to an instant are applied. */
export interface Settlement {
  readonly remaining: string;
  readonly settledThrough: Date;
  readonly forfeits: readonly Forfeit[];
}

/** The ends of the customer's billing periods in (after, through], in order. */
export type PeriodEnds = (after: Date, through: Date) => Date[];

/** What a period end leaves of `remaining` under the grant's rollover policy. */
export function carriedOver(grant: Pick<CreditGrant, "rollover">, remaining: Decimal): Decimal {
  switch (grant.rollover.policy) {
    case "all":
      return remaining;
    case "none":
      return ZERO;
    case "cap": {
      const cap = parseDecimal(grant.rollover.cap);
      return cmp(remaining, cap) > 0 ? cap : remaining;
    }
    default: {
      const unknown: never = grant.rollover;
      throw new Error(`unknown rollover ${JSON.stringify(unknown)}`);
    }
  }
}

/**
 * Applies a grant's period-end rollovers and its expiry from `settledThrough` up to `through`
 * (inclusive), in time order. Nothing is drawn in between: callers settle before every draw, so
 * what is left at each of these instants is what is left now (but for a money grant that waited
 * for an earlier window, which later invoices drew from first: see `moneySettlement`).
 *
 * A rollover counts only period ends after the grant took effect; an expiry takes everything left.
 *
 * @example
 * settle({ remaining: "40", rollover: { policy: "cap", cap: "25" }, expiresAt: null, ... }, [Apr 1], Apr 2)
 * // { remaining: "25", forfeits: [{ at: Apr 1, amount: "15", reference: "rollover:2026-04-01T00:00:00.000Z" }] }
 */
export function settle(grant: CreditGrant, periodEnds: PeriodEnds, through: Date): Settlement {
  if (through <= grant.settledThrough) return { remaining: grant.remaining, settledThrough: grant.settledThrough, forfeits: [] };
  let remaining = parseDecimal(grant.remaining);
  const forfeits: Forfeit[] = [];
  const after = grant.settledThrough > grant.effectiveAt ? grant.settledThrough : grant.effectiveAt;
  const expiry = grant.expiresAt !== null && grant.expiresAt <= through ? grant.expiresAt : null;
  if (grant.rollover.policy !== "all" && sign(remaining) > 0) {
    for (const end of periodEnds(after, expiry ?? through)) {
      if (expiry !== null && end >= expiry) break;
      const kept = carriedOver(grant, remaining);
      const lost = max(sub(remaining, kept), ZERO);
      if (sign(lost) > 0) forfeits.push({ at: end, amount: toDecimalString(lost), reference: `rollover:${end.toISOString()}` });
      remaining = kept;
      if (sign(remaining) === 0) break;
    }
  }
  if (expiry !== null && expiry > grant.settledThrough && sign(remaining) > 0) {
    forfeits.push({ at: expiry, amount: toDecimalString(remaining), reference: "expiry" });
    remaining = ZERO;
  }
  return { remaining: toDecimalString(remaining), settledThrough: through, forfeits };
}
