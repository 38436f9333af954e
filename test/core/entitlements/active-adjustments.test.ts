import { describe, expect, it } from "vitest";
import { adjustmentApplies } from "../../../src/core/entitlements/index.ts";
import { windowAt } from "../../../src/core/periods.ts";
import { adjustment, at } from "./fixtures.ts";

const month = (iso: string) => windowAt("month", at(iso));

describe("which adjustments count at a time", () => {
  const once = adjustment({ amount: "500", recurrence: "once", startsAt: at("2026-03-10T00:00:00Z") });
  const recurring = adjustment({ amount: "500", recurrence: "each_period", startsAt: at("2026-03-10T00:00:00Z"), endsAt: at("2026-06-01T00:00:00Z") });

  it("does not count an adjustment before it starts", () => {
    expect(adjustmentApplies(once, at("2026-03-09T23:59:59Z"), month("2026-03-09T23:59:59Z"))).toBe(false);
    expect(adjustmentApplies(recurring, at("2026-03-09T23:59:59Z"), month("2026-03-09T23:59:59Z"))).toBe(false);
  });

  it("counts an adjustment from the instant it starts", () => {
    expect(adjustmentApplies(once, at("2026-03-10T00:00:00Z"), month("2026-03-10T00:00:00Z"))).toBe(true);
  });

  it("counts a one-time adjustment only in the reset window it starts in", () => {
    expect(adjustmentApplies(once, at("2026-03-31T23:59:59Z"), month("2026-03-31T23:59:59Z"))).toBe(true);
    expect(adjustmentApplies(once, at("2026-04-01T00:00:00Z"), month("2026-04-01T00:00:00Z"))).toBe(false);
  });

  it("counts a recurring adjustment in every reset window until it ends", () => {
    expect(adjustmentApplies(recurring, at("2026-04-15T00:00:00Z"), month("2026-04-15T00:00:00Z"))).toBe(true);
    expect(adjustmentApplies(recurring, at("2026-05-31T23:59:59Z"), month("2026-05-31T23:59:59Z"))).toBe(true);
    expect(adjustmentApplies(recurring, at("2026-06-01T00:00:00Z"), month("2026-06-01T00:00:00Z"))).toBe(false);
  });

  it("stops counting a one-time adjustment at its end, even inside its window", () => {
    const short = adjustment({ amount: "500", startsAt: at("2026-03-10T00:00:00Z"), endsAt: at("2026-03-20T00:00:00Z") });
    expect(adjustmentApplies(short, at("2026-03-19T23:59:59Z"), month("2026-03-19T23:59:59Z"))).toBe(true);
    expect(adjustmentApplies(short, at("2026-03-20T00:00:00Z"), month("2026-03-20T00:00:00Z"))).toBe(false);
  });

  it("counts a one-time adjustment for as long as it is active when there is no reset window", () => {
    expect(adjustmentApplies(once, at("2027-01-01T00:00:00Z"), null)).toBe(true);
    expect(adjustmentApplies(once, at("2027-01-01T00:00:00Z"), windowAt("never", at("2027-01-01T00:00:00Z")))).toBe(true);
  });

  it("follows the customer's billing period for a one-time adjustment on a billing-period feature", () => {
    const cycle = { anchor: at("2026-01-15T00:00:00Z") };
    const bonus = adjustment({ amount: "10", startsAt: at("2026-03-20T00:00:00Z") });
    expect(adjustmentApplies(bonus, at("2026-04-14T00:00:00Z"), windowAt("billing_period", at("2026-04-14T00:00:00Z"), cycle))).toBe(true);
    expect(adjustmentApplies(bonus, at("2026-04-15T00:00:00Z"), windowAt("billing_period", at("2026-04-15T00:00:00Z"), cycle))).toBe(false);
  });
});
