import { describe, expect, it } from "vitest";
import { isoWeeksIn, parseRunPeriod, runPeriodProblem } from "../../../src/core/invoicing/run-period.ts";

const d = (iso: string) => new Date(iso);

describe("run period keys", () => {
  it("reads a month as before, a year as the UTC calendar year and YYYY-Www as the ISO week from Monday 00:00 UTC", () => {
    expect(parseRunPeriod("2026-10")).toEqual({ key: "2026-10", interval: "month", from: d("2026-10-01T00:00:00Z"), to: d("2026-11-01T00:00:00Z") });
    expect(parseRunPeriod("2026")).toEqual({ key: "2026", interval: "year", from: d("2026-01-01T00:00:00Z"), to: d("2027-01-01T00:00:00Z") });
    expect(parseRunPeriod("2026-W45")).toEqual({ key: "2026-W45", interval: "week", from: d("2026-11-02T00:00:00Z"), to: d("2026-11-09T00:00:00Z") });
  });

  it("crosses the year boundary the ISO way: 2026-W53 runs Dec 28 to Jan 4 and 2027-W01 starts there", () => {
    expect(parseRunPeriod("2026-W53")).toMatchObject({ from: d("2026-12-28T00:00:00Z"), to: d("2027-01-04T00:00:00Z") });
    expect(parseRunPeriod("2027-W01")).toMatchObject({ from: d("2027-01-04T00:00:00Z"), to: d("2027-01-11T00:00:00Z") });
    // 2020-W01 starts in December 2019 (Jan 1 2020 is a Wednesday).
    expect(parseRunPeriod("2020-W01").from).toEqual(d("2019-12-30T00:00:00Z"));
    expect([2020, 2026, 2027, 2032].map(isoWeeksIn)).toEqual([53, 53, 52, 53]);
  });

  it("refuses a week 53 in a year of 52 ISO weeks, naming the field and how many weeks the year has", () => {
    expect(() => parseRunPeriod("2027-W53", "options.period")).toThrow(
      expect.objectContaining({ code: "VALIDATION_FAILED", field: "options.period", message: 'options.period names week 53 of 2027, which has 52 ISO weeks; got "2027-W53"' }),
    );
  });

  it("refuses other shapes with the three it accepts", () => {
    for (const bad of ["2026-13", "2026-W00", "2026-W54", "2026-w45", "26", "2026-1", "2026-W5", " 2026", "2026-10-01", "", 2026, null, undefined]) {
      expect(() => parseRunPeriod(bad), String(bad)).toThrow(
        expect.objectContaining({ code: "VALIDATION_FAILED", field: "period", message: expect.stringContaining('must be a run period: a month "2026-10", a year "2026" or an ISO week "2026-W45"') }),
      );
    }
  });

  it("refuses periods outside 1970 to the year 10000, and accepts the ones at its edges", () => {
    for (const bad of ["1969", "1969-12", "1970-W01", "9999", "9999-12", "9999-W52"]) {
      expect(runPeriodProblem(bad), bad).toContain("starts in 1970 or later and ends before the year 10000");
    }
    for (const good of ["1970", "1970-01", "1970-W02", "9998", "9999-11", "9999-W47"]) expect(runPeriodProblem(good), good).toBeUndefined();
  });
});
