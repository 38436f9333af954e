import { describe, expect, it } from "vitest";
import type { Decimal } from "../../../src/core/decimal.ts";
import { needsEvents, percentageToAmount, type PercentageTerms } from "../../../src/core/pricing/percentage.ts";
import { d, str } from "./helpers.ts";

const terms = (overrides: Partial<PercentageTerms>): PercentageTerms => ({
  percent: d("1.2"),
  fixedFee: undefined,
  freeEvents: undefined,
  freeAmount: undefined,
  minFeePerEvent: undefined,
  maxFeePerEvent: undefined,
  ...overrides,
});

const values = (...amounts: number[]): Decimal[] => amounts.map((amount) => d(amount));
const total = (events: readonly Decimal[]) => d(events.reduce((sum, event) => sum + BigInt(event.coef), 0n).toString());

function fee(overrides: Partial<PercentageTerms>, events: Decimal[]) {
  const result = percentageToAmount({ terms: terms(overrides), total: total(events), events });
  return { amount: str(result.amount), billedEvents: result.billedEvents, ratedAmount: str(result.ratedAmount) };
}

// Lago docs, "Percentage": 1.2 % and 0.10 USD per transaction, the first 3 events or 500 USD free.
// Amounts in cents: 200, 100, 100 and 50 USD.
const lagoTerms = { fixedFee: d(10), freeEvents: 3, freeAmount: d(50000) };
const lagoEvents = values(20000, 10000, 10000, 5000);

describe("percentageToAmount", () => {
  it("docblock example: Lago docs, the 4th transaction (50 USD) pays 0.10 USD + 1.2 % of 50 USD = 0.70 USD", () => {
    expect(fee(lagoTerms, lagoEvents)).toEqual({ amount: "70", billedEvents: 1, ratedAmount: "5000" });
  });

  it("Lago docs: the first three transactions, inside both allowances, cost nothing", () => {
    expect(fee(lagoTerms, lagoEvents.slice(0, 3))).toEqual({ amount: "0", billedEvents: 0, ratedAmount: "0" });
  });

  it("ends the free allowance at whichever runs out first: here the amount, mid-event", () => {
    // 400 USD free: 200 USD is free, the 300 USD event crosses the allowance and pays the rate on
    // its last 100 USD plus the fixed fee, and the allowance of 3 events ends there too.
    expect(fee({ fixedFee: d(10), freeEvents: 3, freeAmount: d(40000) }, values(20000, 30000, 10000))).toEqual({
      amount: "260",
      billedEvents: 2,
      ratedAmount: "20000",
    });
  });

  it("makes the first N events entirely free when only free events are set", () => {
    expect(fee({ fixedFee: d(30), freeEvents: 2 }, values(10000, 10000, 10000))).toEqual({ amount: "150", billedEvents: 1, ratedAmount: "10000" });
  });

  it("charges the fixed fee on every event and the rate on every amount without allowances (Stripe-like 2.9 % + 30 cents)", () => {
    expect(fee({ percent: d("2.9"), fixedFee: d(30) }, values(1000, 2500))).toEqual({ amount: "161.5", billedEvents: 2, ratedAmount: "3500" });
  });

  it("raises each event's fee to the per-event minimum and caps it at the maximum", () => {
    const result = fee({ percent: d("1"), minFeePerEvent: d(50), maxFeePerEvent: d(500) }, values(1000, 20000, 100000));
    // 1 % of 10 USD = 10 cents → 50; 1 % of 200 USD = 200; 1 % of 1,000 USD = 1000 → 500
    expect(result.amount).toBe("750");
  });

  it("takes no minimum fee from a free event", () => {
    expect(fee({ percent: d("1"), freeEvents: 1, minFeePerEvent: d(50) }, values(1000, 1000)).amount).toBe("50");
  });

  it("applies the rate to the total less the free amount when no per-event terms are set", () => {
    const result = percentageToAmount({ terms: terms({ freeAmount: d(50000) }), total: d(80000), events: undefined });
    expect([str(result.amount), str(result.ratedAmount)]).toEqual(["360", "30000"]);
    const inside = percentageToAmount({ terms: terms({ freeAmount: d(50000) }), total: d(40000), events: undefined });
    expect(str(inside.amount)).toBe("0");
  });

  it("keeps fractions of a cent exact until the line is rounded", () => {
    expect(fee({ percent: d("2.9") }, values(1234)).amount).toBe("35.786");
  });

  it("knows which terms need each event's value", () => {
    expect(needsEvents(terms({}))).toBe(false);
    expect(needsEvents(terms({ freeAmount: d(100) }))).toBe(false);
    expect(needsEvents(terms({ fixedFee: d(10) }))).toBe(true);
    expect(needsEvents(terms({ freeEvents: 3 }))).toBe(true);
    expect(needsEvents(terms({ maxFeePerEvent: d(10) }))).toBe(true);
  });
});
