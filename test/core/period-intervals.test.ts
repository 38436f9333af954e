import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { billingPeriodEndingIn } from "../../src/core/invoicing/billing-month.ts";
import { parseRunPeriod } from "../../src/core/invoicing/run-period.ts";
import { BILLING_INTERVALS, billingPeriodAt, windowAt, type BillingCycle } from "../../src/core/periods.ts";

const at = (iso: string) => new Date(iso);
const period = (from: string, to: string) => ({ from: at(from), to: at(to) });

describe("yearly billing periods", () => {
  const leapAnchor = { anchor: at("2024-02-29T00:00:00Z") };

  it("steps twelve months from a Feb 29 anchor, clamping to Feb 28 in common years and back to Feb 29 in leap years", () => {
    expect(billingPeriodAt(at("2024-06-01T00:00:00Z"), leapAnchor, "year")).toEqual(period("2024-02-29T00:00:00Z", "2025-02-28T00:00:00Z"));
    expect(billingPeriodAt(at("2025-02-28T00:00:00Z"), leapAnchor, "year")).toEqual(period("2025-02-28T00:00:00Z", "2026-02-28T00:00:00Z"));
    expect(billingPeriodAt(at("2027-12-31T00:00:00Z"), leapAnchor, "year")).toEqual(period("2027-02-28T00:00:00Z", "2028-02-29T00:00:00Z"));
    expect(billingPeriodAt(at("2028-03-01T00:00:00Z"), leapAnchor, "year")).toEqual(period("2028-02-29T00:00:00Z", "2029-02-28T00:00:00Z"));
  });

  it("is the calendar year without a cycle, and the year's run bills the one yearly period that ends in it", () => {
    expect(billingPeriodAt(at("2026-07-04T12:00:00Z"), {}, "year")).toEqual(period("2026-01-01T00:00:00Z", "2027-01-01T00:00:00Z"));
    expect(billingPeriodEndingIn(parseRunPeriod("2026"), {}, "year")).toEqual(period("2026-01-01T00:00:00Z", "2027-01-01T00:00:00Z"));
    expect(billingPeriodEndingIn(parseRunPeriod("2026"), { periodStart: at("2024-02-29T00:00:00Z") }, "year")).toEqual(period("2025-02-28T00:00:00Z", "2026-02-28T00:00:00Z"));
    expect(billingPeriodEndingIn(parseRunPeriod("2028"), { periodStart: at("2024-02-29T00:00:00Z") }, "year")).toEqual(period("2027-02-28T00:00:00Z", "2028-02-29T00:00:00Z"));
  });

  it("takes an explicit current period only when it is a year long; a monthly one gives only its anchor", () => {
    const yearly = { periodStart: at("2026-03-15T00:00:00Z"), periodEnd: at("2027-03-15T00:00:00Z") };
    expect(billingPeriodAt(at("2026-08-01T00:00:00Z"), yearly, "year")).toEqual(period("2026-03-15T00:00:00Z", "2027-03-15T00:00:00Z"));
    const monthly = { periodStart: at("2026-03-15T00:00:00Z"), periodEnd: at("2026-04-15T00:00:00Z") };
    expect(billingPeriodAt(at("2026-03-20T00:00:00Z"), monthly, "year")).toEqual(period("2026-03-15T00:00:00Z", "2027-03-15T00:00:00Z"));
    expect(billingPeriodAt(at("2026-03-20T00:00:00Z"), monthly)).toEqual(period("2026-03-15T00:00:00Z", "2026-04-15T00:00:00Z"));
  });
});

describe("weekly billing periods", () => {
  it("is the ISO week (Monday 00:00 UTC) without a cycle, across the year boundary: 2026-W53 then 2027-W01", () => {
    expect(billingPeriodAt(at("2026-12-31T23:00:00Z"), {}, "week")).toEqual(period("2026-12-28T00:00:00Z", "2027-01-04T00:00:00Z"));
    expect(billingPeriodAt(at("2027-01-04T00:00:00Z"), {}, "week")).toEqual(period("2027-01-04T00:00:00Z", "2027-01-11T00:00:00Z"));
    expect(billingPeriodEndingIn(parseRunPeriod("2026-W53"), {}, "week")).toEqual(period("2026-12-28T00:00:00Z", "2027-01-04T00:00:00Z"));
    expect(billingPeriodEndingIn(parseRunPeriod("2027-W01"), {}, "week")).toEqual(period("2027-01-04T00:00:00Z", "2027-01-11T00:00:00Z"));
  });

  it("steps seven days from the anchor when the cycle has one, and the week's run bills the period ending in it", () => {
    const cycle = { anchor: at("2026-12-02T15:30:00Z") }; // a Wednesday afternoon
    expect(billingPeriodAt(at("2026-12-31T00:00:00Z"), cycle, "week")).toEqual(period("2026-12-30T15:30:00Z", "2027-01-06T15:30:00Z"));
    expect(billingPeriodEndingIn(parseRunPeriod("2026-W53"), cycle, "week")).toEqual(period("2026-12-23T15:30:00Z", "2026-12-30T15:30:00Z"));
    expect(billingPeriodEndingIn(parseRunPeriod("2027-W01"), cycle, "week")).toEqual(period("2026-12-30T15:30:00Z", "2027-01-06T15:30:00Z"));
  });
});

describe("consecutive billing periods of every interval", () => {
  const date = fc.date({ min: at("1971-01-01T00:00:00Z"), max: at("2200-01-01T00:00:00Z"), noInvalidDate: true });
  const cycle: fc.Arbitrary<BillingCycle> = fc.oneof(
    fc.constant({}),
    date.map((anchor) => ({ anchor })),
    // Month ends and Feb 29 are where clamping happens.
    fc.constantFrom("2024-02-29T00:00:00Z", "2026-01-31T23:59:59.999Z", "2025-08-31T12:00:00Z").map((anchor) => ({ anchor: at(anchor) })),
  );

  it("tile time: each contains its instant, the next starts where it ends and the one before ends where it starts", () => {
    fc.assert(
      fc.property(fc.constantFrom(...BILLING_INTERVALS), cycle, date, (interval, billing, time) => {
        const current = billingPeriodAt(time, billing, interval);
        const next = billingPeriodAt(current.to, billing, interval);
        const previous = billingPeriodAt(new Date(current.from.getTime() - 1), billing, interval);
        expect(current.from <= time && time < current.to).toBe(true);
        expect(next.from).toEqual(current.to);
        expect(previous.to).toEqual(current.from);
      }),
      { numRuns: 500 },
    );
  });

  it("are assigned to runs one each: over consecutive run periods of the interval, each bills one period and those follow each other without gap or overlap", () => {
    const keys = { month: (y: number, i: number) => `${y + Math.floor(i / 12)}-${String((i % 12) + 1).padStart(2, "0")}`, year: (y: number, i: number) => String(y + i), week: (y: number, i: number) => `${y}-W${String(i + 1).padStart(2, "0")}` };
    fc.assert(
      fc.property(fc.constantFrom(...BILLING_INTERVALS), cycle, fc.integer({ min: 1975, max: 2150 }), (interval, billing, year) => {
        const runs = Array.from({ length: 24 }, (_, i) => parseRunPeriod(keys[interval](year, i)));
        const billed = runs.map((run) => billingPeriodEndingIn(run, billing, interval));
        expect(billed.every((p) => p !== undefined)).toBe(true);
        for (let i = 1; i < billed.length; i += 1) expect(billed[i]!.from).toEqual(billed[i - 1]!.to);
      }),
      { numRuns: 200 },
    );
  });
});

describe("a cycle's own interval", () => {
  it("makes billingPeriodAt and the billing_period window periods of that interval, and an explicit interval still wins", () => {
    const now = at("2026-03-10T00:00:00Z");
    const yearly: BillingCycle = { anchor: at("2024-02-29T00:00:00Z"), interval: "year" };
    expect(billingPeriodAt(now, yearly)).toEqual(period("2026-02-28T00:00:00Z", "2027-02-28T00:00:00Z"));
    expect(windowAt("billing_period", now, yearly)).toEqual(period("2026-02-28T00:00:00Z", "2027-02-28T00:00:00Z"));
    expect(billingPeriodAt(now, yearly, "month")).toEqual(period("2026-02-28T00:00:00Z", "2026-03-29T00:00:00Z"));
    expect(windowAt("billing_period", now, { interval: "week" })).toEqual(period("2026-03-09T00:00:00Z", "2026-03-16T00:00:00Z"));
    expect(windowAt("billing_period", now, {})).toEqual(period("2026-03-01T00:00:00Z", "2026-04-01T00:00:00Z"));
  });
});
