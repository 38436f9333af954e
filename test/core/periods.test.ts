import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { addMonthsClamped, billingPeriodAt, inWindow, utcDate, windowAt } from "../../src/core/periods.ts";

const at = (iso: string) => new Date(iso);

describe("calendar windows (UTC)", () => {
  const now = at("2026-11-22T10:15:30Z"); // a Sunday

  it("puts month, day and hour windows on UTC boundaries", () => {
    expect(windowAt("month", now)).toEqual({ from: at("2026-11-01T00:00:00Z"), to: at("2026-12-01T00:00:00Z") });
    expect(windowAt("day", now)).toEqual({ from: at("2026-11-22T00:00:00Z"), to: at("2026-11-23T00:00:00Z") });
    expect(windowAt("hour", now)).toEqual({ from: at("2026-11-22T10:00:00Z"), to: at("2026-11-22T11:00:00Z") });
  });

  it("starts weeks on Monday, so a Sunday belongs to the week that began six days earlier", () => {
    expect(windowAt("week", now)).toEqual({ from: at("2026-11-16T00:00:00Z"), to: at("2026-11-23T00:00:00Z") });
    expect(windowAt("week", at("2026-11-23T00:00:00Z")).from).toEqual(at("2026-11-23T00:00:00Z"));
  });

  it("rolls December over into January", () => {
    expect(windowAt("month", at("2026-12-31T23:59:59Z")).to).toEqual(at("2027-01-01T00:00:00Z"));
  });

  it("has no bounds for a lifetime window and an open end for trailing windows", () => {
    expect(windowAt("never", now)).toEqual({ from: null, to: null });
    expect(windowAt("last_30_days", now)).toEqual({ from: at("2026-10-23T10:15:30Z"), to: null });
    expect(windowAt("last_28_days", now).from).toEqual(at("2026-10-25T10:15:30Z"));
  });

  it("refuses a custom window whose end is not after its start", () => {
    expect(() => windowAt({ from: now, to: now }, now)).toThrow(expect.objectContaining({ code: "VALIDATION_FAILED", field: "window.from" }));
  });

  it("treats windows as half-open", () => {
    const w = windowAt("day", now);
    expect(inWindow(w, w.from!)).toBe(true);
    expect(inWindow(w, w.to!)).toBe(false);
  });
});

describe("billing periods", () => {
  it("uses the explicit current period when it contains the time", () => {
    const cycle = { periodStart: at("2026-11-05T12:00:00Z"), periodEnd: at("2026-12-05T12:00:00Z") };
    expect(billingPeriodAt(at("2026-11-22T00:00:00Z"), cycle)).toEqual({ from: cycle.periodStart, to: cycle.periodEnd });
  });

  it("repeats monthly from the period start once the explicit period has passed", () => {
    const cycle = { periodStart: at("2026-10-05T12:00:00Z"), periodEnd: at("2026-11-05T12:00:00Z") };
    expect(billingPeriodAt(at("2026-11-22T00:00:00Z"), cycle)).toEqual({ from: at("2026-11-05T12:00:00Z"), to: at("2026-12-05T12:00:00Z") });
  });

  it("clamps an anchor on the 31st to short months, as Stripe does", () => {
    const anchor = at("2026-01-31T00:00:00Z");
    expect(billingPeriodAt(at("2026-03-10T00:00:00Z"), { anchor })).toEqual({ from: at("2026-02-28T00:00:00Z"), to: at("2026-03-31T00:00:00Z") });
    expect(addMonthsClamped(anchor, 1)).toEqual(at("2026-02-28T00:00:00Z"));
    expect(addMonthsClamped(anchor, 2)).toEqual(at("2026-03-31T00:00:00Z"));
    expect(addMonthsClamped(at("2028-01-31T00:00:00Z"), 1)).toEqual(at("2028-02-29T00:00:00Z"));
  });

  it("works for times before the anchor", () => {
    expect(billingPeriodAt(at("2026-01-10T00:00:00Z"), { anchor: at("2026-03-15T00:00:00Z") })).toEqual({ from: at("2025-12-15T00:00:00Z"), to: at("2026-01-15T00:00:00Z") });
  });

  it("falls back to the calendar month without a cycle", () => {
    expect(billingPeriodAt(at("2026-11-22T00:00:00Z"))).toEqual({ from: at("2026-11-01T00:00:00Z"), to: at("2026-12-01T00:00:00Z") });
  });

  it("always returns a period that contains the time", () => {
    const date = fc.date({ min: at("2000-01-01T00:00:00Z"), max: at("2100-01-01T00:00:00Z"), noInvalidDate: true });
    fc.assert(
      fc.property(date, date, (time, anchor) => {
        const period = billingPeriodAt(time, { anchor });
        return period.from <= time && time < period.to;
      }),
    );
  });
});

describe("calendar arithmetic in years 0–99", () => {
  // Date.UTC reads years 0–99 as 1900–1999; none of these may land in the 20th century.
  it("builds UTC dates in the year given, not 1900 + year", () => {
    expect(utcDate(1, 0, 1).toISOString()).toBe("0001-01-01T00:00:00.000Z");
    expect(utcDate(0, 11, 31, 23, 59, 59, 999).toISOString()).toBe("0000-12-31T23:59:59.999Z");
    expect(utcDate(2026, 9, 1).toISOString()).toBe("2026-10-01T00:00:00.000Z");
  });

  it("keeps month, day and billing-period windows in the year of the time given", () => {
    expect(windowAt("month", at("0050-03-10T00:00:00Z"))).toEqual({ from: at("0050-03-01T00:00:00Z"), to: at("0050-04-01T00:00:00Z") });
    expect(windowAt("day", at("0001-06-15T10:00:00Z"))).toEqual({ from: at("0001-06-15T00:00:00Z"), to: at("0001-06-16T00:00:00Z") });
    expect(addMonthsClamped(at("0099-01-31T00:00:00Z"), 1)).toEqual(at("0099-02-28T00:00:00Z"));
    expect(billingPeriodAt(at("0010-03-20T00:00:00Z"), { anchor: at("0010-01-15T00:00:00Z") })).toEqual({ from: at("0010-03-15T00:00:00Z"), to: at("0010-04-15T00:00:00Z") });
  });
});
