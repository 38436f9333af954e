import { describe, expect, it } from "vitest";
import { calendarBuckets } from "../../src/core/buckets.ts";

const at = (iso: string) => new Date(iso);

describe("calendarBuckets", () => {
  it("clips the first and last day to the window, as in its docblock", () => {
    expect(calendarBuckets({ from: at("2026-03-10T12:00:00Z"), to: at("2026-03-12T00:00:00Z") }, "day")).toEqual([
      { start: at("2026-03-10T00:00:00Z"), from: at("2026-03-10T12:00:00Z"), to: at("2026-03-11T00:00:00Z") },
      { start: at("2026-03-11T00:00:00Z"), from: at("2026-03-11T00:00:00Z"), to: at("2026-03-12T00:00:00Z") },
    ]);
  });

  it("starts weeks on Monday, so March 2026 spans six week buckets", () => {
    const weeks = calendarBuckets({ from: at("2026-03-01T00:00:00Z"), to: at("2026-04-01T00:00:00Z") }, "week");
    expect(weeks.map((w) => w.start.toISOString().slice(0, 10))).toEqual(["2026-02-23", "2026-03-02", "2026-03-09", "2026-03-16", "2026-03-23", "2026-03-30"]);
    expect(weeks[0]!.from).toEqual(at("2026-03-01T00:00:00Z"));
    expect(weeks.at(-1)!.to).toEqual(at("2026-04-01T00:00:00Z"));
  });

  it("cuts months on calendar boundaries, including February of a leap year", () => {
    const months = calendarBuckets({ from: at("2028-01-15T00:00:00Z"), to: at("2028-03-10T00:00:00Z") }, "month");
    expect(months.map((m) => [m.from.toISOString(), m.to.toISOString()])).toEqual([
      ["2028-01-15T00:00:00.000Z", "2028-02-01T00:00:00.000Z"],
      ["2028-02-01T00:00:00.000Z", "2028-03-01T00:00:00.000Z"],
      ["2028-03-01T00:00:00.000Z", "2028-03-10T00:00:00.000Z"],
    ]);
  });

  it("covers a day with 24 hour buckets and a window inside one hour with one", () => {
    expect(calendarBuckets({ from: at("2026-03-10T00:00:00Z"), to: at("2026-03-11T00:00:00Z") }, "hour")).toHaveLength(24);
    expect(calendarBuckets({ from: at("2026-03-10T10:15:00Z"), to: at("2026-03-10T10:45:00Z") }, "hour")).toEqual([
      { start: at("2026-03-10T10:00:00Z"), from: at("2026-03-10T10:15:00Z"), to: at("2026-03-10T10:45:00Z") },
    ]);
  });

  it("refuses more buckets than the limit, naming groupBy", () => {
    expect(() => calendarBuckets({ from: at("2026-01-01T00:00:00Z"), to: at("2027-01-01T00:00:00Z") }, "hour")).toThrow(
      expect.objectContaining({ code: "INVALID_USAGE", field: "groupBy" }),
    );
    expect(calendarBuckets({ from: at("2026-01-01T00:00:00Z"), to: at("2027-01-01T00:00:00Z") }, "day")).toHaveLength(365);
  });
});
