import { describe, expect, it } from "vitest";
import { billingPeriodEndingIn, parseBillingMonth } from "../../../src/core/invoicing/billing-month.ts";

const d = (iso: string) => new Date(iso);
const OCTOBER = parseBillingMonth("2026-10");

describe("billing months", () => {
  it("reads YYYY-MM as the UTC calendar month", () => {
    expect(parseBillingMonth("2026-10")).toEqual({ key: "2026-10", from: d("2026-10-01T00:00:00Z"), to: d("2026-11-01T00:00:00Z") });
    expect(parseBillingMonth("2026-12")).toEqual({ key: "2026-12", from: d("2026-12-01T00:00:00Z"), to: d("2027-01-01T00:00:00Z") });
  });

  it("refuses anything else with VALIDATION_FAILED naming the field", () => {
    for (const bad of ["2026-13", "2026-00", "2026-1", "26-10", "2026-10-01", " 2026-10", 202610, null]) {
      expect(() => parseBillingMonth(bad, "options.period")).toThrow(expect.objectContaining({ code: "VALIDATION_FAILED", field: "options.period" }));
    }
  });

  it("refuses months outside 1970-01 to 9999-11 (9999-12 ends in the year 10000) rather than reading 0000-01 as 1900-01", () => {
    for (const bad of ["0000-01", "0099-12", "1969-12", "9999-12"]) {
      expect(() => parseBillingMonth(bad), bad).toThrow(expect.objectContaining({ code: "VALIDATION_FAILED", field: "period", message: expect.stringContaining("1970-01 to 9999-11") }));
    }
    expect(parseBillingMonth("1970-01").from).toEqual(d("1970-01-01T00:00:00Z"));
    expect(parseBillingMonth("9999-11").to).toEqual(d("9999-12-01T00:00:00Z"));
  });
});

describe("the billing period a month's run bills", () => {
  it("is the calendar month for a customer without a cycle", () => {
    expect(billingPeriodEndingIn(OCTOBER, {})).toEqual({ from: d("2026-10-01T00:00:00Z"), to: d("2026-11-01T00:00:00Z") });
  });

  it("is the period of the customer's cycle that ends inside the month", () => {
    const cycle = { periodStart: d("2026-10-15T08:30:00Z"), periodEnd: d("2026-11-15T08:30:00Z") };
    expect(billingPeriodEndingIn(OCTOBER, cycle)).toEqual({ from: d("2026-09-15T08:30:00Z"), to: d("2026-10-15T08:30:00Z") });
    // The current period ends in November: the November run bills it.
    expect(billingPeriodEndingIn(parseBillingMonth("2026-11"), cycle)).toEqual({ from: d("2026-10-15T08:30:00Z"), to: d("2026-11-15T08:30:00Z") });
  });

  it("counts a period ending exactly at the month's end in the month, and one ending at its first instant in the month before", () => {
    const onTheFirst = { periodStart: d("2026-10-01T00:00:00Z"), periodEnd: d("2026-11-01T00:00:00Z") };
    expect(billingPeriodEndingIn(OCTOBER, onTheFirst)).toEqual({ from: d("2026-10-01T00:00:00Z"), to: d("2026-11-01T00:00:00Z") });
    expect(billingPeriodEndingIn(parseBillingMonth("2026-09"), onTheFirst)).toEqual({ from: d("2026-09-01T00:00:00Z"), to: d("2026-10-01T00:00:00Z") });
  });

  it("follows clamped anchors through short months, as Stripe bills them", () => {
    const cycle = { periodStart: d("2026-01-31T00:00:00Z"), periodEnd: d("2026-02-28T00:00:00Z") };
    expect(billingPeriodEndingIn(parseBillingMonth("2026-02"), cycle)).toEqual({ from: d("2026-01-31T00:00:00Z"), to: d("2026-02-28T00:00:00Z") });
    expect(billingPeriodEndingIn(parseBillingMonth("2026-03"), cycle)).toEqual({ from: d("2026-02-28T00:00:00Z"), to: d("2026-03-31T00:00:00Z") });
  });

  it("is undefined when no period of the cycle ends in the month", () => {
    // A current period of a year (an annual plan) ends in neither of these months.
    const annual = { periodStart: d("2026-06-01T00:00:00Z"), periodEnd: d("2027-06-01T00:00:00Z") };
    expect(billingPeriodEndingIn(OCTOBER, annual)).toBeUndefined();
  });
});
