import { add, cmp, neg, sign, sub, toDecimalString, ZERO, type Decimal } from "../decimal.ts";

/**
 * A percentage charge priced per event needs each event's value, none negative, adding up to the
 * period's total. The ledger also holds refunds, bonuses and negative corrections on the meter;
 * these take back the period's latest values first (a refunded payment is typically the latest
 * one), so the values add up to the meter's net total and nothing is counted twice. A period whose
 * takebacks exceed its usage nets to 0. Values taken back to nothing are dropped: they no longer
 * pay a per-event fee.
 *
 * @example
 * netEventValues(["200", "100", "-150", "50"]) // { quantity: "200", events: ["200"] }
 * netEventValues(["200", "100", "-50"])        // { quantity: "250", events: ["200", "50"] }
 */
export function netEventValues(values: readonly Decimal[]): { quantity: string; events: string[] } {
  const kept: Decimal[] = [];
  let takeBack = ZERO;
  for (const value of values) {
    if (sign(value) < 0) takeBack = add(takeBack, neg(value));
    else kept.push(value);
  }
  while (sign(takeBack) > 0 && kept.length > 0) {
    const last = kept[kept.length - 1]!;
    if (cmp(last, takeBack) <= 0) {
      kept.pop();
      takeBack = sub(takeBack, last);
    } else {
      kept[kept.length - 1] = sub(last, takeBack);
      takeBack = ZERO;
    }
  }
  return { quantity: toDecimalString(kept.reduce(add, ZERO)), events: kept.map(toDecimalString) };
}
