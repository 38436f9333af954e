import { describe, expect, it } from "vitest";
import { historyPeriodEnds, historyRange } from "../../../src/core/credits/history-period-ends.ts";
import type { IntervalSpan } from "../../../src/core/invoicing/interval-window.ts";

const at = (iso: string) => new Date(`${iso}T00:00:00Z`);
const iso = (dates: Date[]) => dates.map((date) => date.toISOString().slice(0, 10));

describe("period ends from a plan history with changes of interval", () => {
  it("ends monthly periods up to a monthly → yearly change, the cut March window at the change, then the year", () => {
    const spans: IntervalSpan[] = [
      { from: at("2025-01-01"), to: at("2026-03-15"), interval: "month" },
      { from: at("2026-03-15"), to: at("2028-01-01"), interval: "year" },
    ];
    expect(iso(historyPeriodEnds({}, spans)(at("2026-01-10"), at("2027-06-01")))).toEqual(["2026-02-01", "2026-03-01", "2026-03-15", "2027-01-01"]);
  });

  it("ends the year at a yearly → monthly change and then every month, with no month end before the change", () => {
    const spans: IntervalSpan[] = [
      { from: at("2026-01-01"), to: at("2026-06-10"), interval: "year" },
      { from: at("2026-06-10"), to: at("2026-10-01"), interval: "month" },
    ];
    expect(iso(historyPeriodEnds({}, spans)(at("2026-02-10"), at("2026-09-01")))).toEqual(["2026-06-10", "2026-07-01", "2026-08-01", "2026-09-01"]);
  });

  it("keeps one end for a month left for a week and come back to: the month's window is billed whole", () => {
    const spans: IntervalSpan[] = [
      { from: at("2026-03-01"), to: at("2026-03-09"), interval: "month" },
      { from: at("2026-03-09"), to: at("2026-03-16"), interval: "week" },
      { from: at("2026-03-16"), to: at("2026-05-01"), interval: "month" },
    ];
    expect(iso(historyPeriodEnds({}, spans)(at("2026-03-02"), at("2026-04-30")))).toEqual(["2026-03-16", "2026-04-01"]);
  });

  it("counts only ends in (after, through]", () => {
    const spans: IntervalSpan[] = [
      { from: at("2026-01-01"), to: at("2026-03-15"), interval: "month" },
      { from: at("2026-03-15"), to: at("2027-01-01"), interval: "year" },
    ];
    const ends = historyPeriodEnds({}, spans);
    expect(iso(ends(at("2026-03-01"), at("2026-03-15")))).toEqual(["2026-03-15"]);
    expect(iso(ends(at("2026-03-15"), at("2026-12-31")))).toEqual([]);
  });

  it("follows the cycle's anchor in each interval", () => {
    const cycle = { periodStart: at("2026-01-20"), periodEnd: at("2026-02-20") };
    const spans: IntervalSpan[] = [
      { from: at("2025-01-20"), to: at("2026-04-01"), interval: "month" },
      { from: at("2026-04-01"), to: at("2027-01-20"), interval: "year" },
    ];
    expect(iso(historyPeriodEnds(cycle, spans)(at("2026-02-01"), at("2027-01-20")))).toEqual(["2026-02-20", "2026-03-20", "2026-04-01", "2027-01-20"]);
  });

  it("reads the whole periods of every interval holding the stretch's ends", () => {
    expect(historyRange({}, at("2026-03-10"), at("2026-05-06"))).toEqual({ from: at("2026-01-01"), to: at("2027-01-01") });
  });
});
