import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { defineCatalog } from "../../../src/core/catalog/index.ts";
import { billingPeriodEndingIn } from "../../../src/core/invoicing/billing-month.ts";
import type { InvoicePeriod } from "../../../src/core/invoicing/invoice.ts";
import { intervalWindow, uninvoicedPieces, type IntervalSpan } from "../../../src/core/invoicing/interval-window.ts";
import { isoWeeksIn, parseRunPeriod } from "../../../src/core/invoicing/run-period.ts";
import { BILLING_INTERVALS } from "../../../src/core/periods.ts";
import { joinPlanParts } from "../../../src/core/invoicing/plan-parts.ts";
import { mapUsageToLineItems } from "../../../src/core/pricing/map-usage-to-line-items.ts";

const d = (iso: string) => new Date(iso);
const p = (from: string, to: string) => ({ from: d(from), to: d(to) });

describe("the window a run of one interval bills", () => {
  const march = p("2026-03-01T00:00:00Z", "2026-04-01T00:00:00Z");

  it("is the whole period when it was all held on the run's interval", () => {
    expect(intervalWindow(march, [{ ...march, interval: "month" }], "month")).toEqual({ window: march, ranges: [march] });
  });

  it("ends at a change to a plan of another interval, and the other interval's run starts there", () => {
    const spans = [
      { ...p("2026-03-01T00:00:00Z", "2026-03-15T00:00:00Z"), interval: "month" as const },
      { ...p("2026-03-15T00:00:00Z", "2026-04-01T00:00:00Z"), interval: "year" as const },
    ];
    expect(intervalWindow(march, spans, "month")?.window).toEqual(p("2026-03-01T00:00:00Z", "2026-03-15T00:00:00Z"));
    const year = p("2026-01-01T00:00:00Z", "2027-01-01T00:00:00Z");
    const yearSpans = [{ ...p("2026-01-01T00:00:00Z", "2026-03-15T00:00:00Z"), interval: "month" as const }, { ...p("2026-03-15T00:00:00Z", "2027-01-01T00:00:00Z"), interval: "year" as const }];
    expect(intervalWindow(year, yearSpans, "year")?.window).toEqual(p("2026-03-15T00:00:00Z", "2027-01-01T00:00:00Z"));
    expect(intervalWindow(march, [{ ...march, interval: "week" }], "month")).toBeUndefined();
  });

  it("runs from the first to the last range when the customer left the interval and came back inside the period, joining adjacent spans", () => {
    const spans = [
      { ...p("2026-03-01T00:00:00Z", "2026-03-05T00:00:00Z"), interval: "month" as const },
      { ...p("2026-03-05T00:00:00Z", "2026-03-09T00:00:00Z"), interval: "month" as const },
      { ...p("2026-03-09T00:00:00Z", "2026-03-16T00:00:00Z"), interval: "week" as const },
      { ...p("2026-03-16T00:00:00Z", "2026-04-01T00:00:00Z"), interval: "month" as const },
    ];
    expect(intervalWindow(march, spans, "month")).toEqual({
      window: march,
      ranges: [p("2026-03-01T00:00:00Z", "2026-03-09T00:00:00Z"), p("2026-03-16T00:00:00Z", "2026-04-01T00:00:00Z")],
    });
  });
});

describe("uninvoiced pieces of a window", () => {
  const w = p("2026-03-01T00:00:00Z", "2026-04-01T00:00:00Z");

  it("are the time no invoiced period covers, in order, wherever the invoiced periods lie", () => {
    expect(uninvoicedPieces(w, [])).toEqual([w]);
    expect(uninvoicedPieces(w, [p("2026-03-09T00:00:00Z", "2026-03-16T00:00:00Z")])).toEqual([p("2026-03-01T00:00:00Z", "2026-03-09T00:00:00Z"), p("2026-03-16T00:00:00Z", "2026-04-01T00:00:00Z")]);
    expect(uninvoicedPieces(w, [p("2026-03-20T00:00:00Z", "2026-05-01T00:00:00Z"), p("2026-02-01T00:00:00Z", "2026-03-02T00:00:00Z")])).toEqual([p("2026-03-02T00:00:00Z", "2026-03-20T00:00:00Z")]);
    expect(uninvoicedPieces(w, [p("2026-02-01T00:00:00Z", "2026-03-10T00:00:00Z"), p("2026-03-05T00:00:00Z", "2026-04-01T00:00:00Z")])).toEqual([]);
  });
});

describe("a yearly flat fee in a period cut by an interval change", () => {
  const catalog = defineCatalog({
    currency: "USD",
    plans: { yearly: { name: "Yearly", interval: "year", charges: [{ key: "platform", model: "flat", amount: 120_000, description: "Platform fee" }] } },
    defaultPlan: "yearly",
  });
  const plan = catalog.plans.yearly!.pricing;
  const priced = mapUsageToLineItems(plan, {});

  it("is shared over the year's real length by day: 292 of 365 days in 2026, 293 of 366 in 2028", () => {
    const from2026 = p("2026-03-15T00:00:00Z", "2027-01-01T00:00:00Z");
    const joined = joinPlanParts([{ period: from2026, plan, priced }], { proration: "day", window: p("2026-01-01T00:00:00Z", "2027-01-01T00:00:00Z") });
    // 120000 × 292 / 365 = 96000 exactly.
    expect(joined.lineItems.map((line) => [line.amount, line.description])).toEqual([[96_000, "Platform fee (plan yearly, 2026-03-15T00:00:00Z to 2027-01-01T00:00:00Z: 292 of 365 days)"]]);
    const from2028 = p("2028-03-15T00:00:00Z", "2029-01-01T00:00:00Z");
    const leap = joinPlanParts([{ period: from2028, plan, priced }], { proration: "day", window: p("2028-01-01T00:00:00Z", "2029-01-01T00:00:00Z") });
    // 120000 × 292 / 366 = 95737.70… → 95738.
    expect(leap.lineItems.map((line) => line.amount)).toEqual([95_738]);
    expect(leap.lineItems[0]!.description).toContain("292 of 366 days");
  });

  it("is billed whole without proration, and whole when the part fills the window", () => {
    const part = p("2026-03-15T00:00:00Z", "2027-01-01T00:00:00Z");
    expect(joinPlanParts([{ period: part, plan, priced }], { proration: "none", window: p("2026-01-01T00:00:00Z", "2027-01-01T00:00:00Z") }).lineItems.map((l) => l.amount)).toEqual([120_000]);
    expect(joinPlanParts([{ period: part, plan, priced }], { proration: "second", window: part }).lineItems.map((l) => [l.amount, l.description])).toEqual([[120_000, "Platform fee"]]);
  });
});

describe("the runs of all intervals together", () => {
  const INNER = p("2026-01-01T00:00:00Z", "2028-01-01T00:00:00Z");
  const runKeys = [
    ...["2026", "2027", "2028"],
    ...Array.from({ length: 36 }, (_, i) => `${2026 + Math.floor(i / 12)}-${String((i % 12) + 1).padStart(2, "0")}`),
    ...[2026, 2027, 2028].flatMap((year) => Array.from({ length: isoWeeksIn(year) }, (_, i) => `${year}-W${String(i + 1).padStart(2, "0")}`)),
  ].map((key) => parseRunPeriod(key));
  const instant = fc.integer({ min: INNER.from.getTime(), max: INNER.to.getTime() - 1 }).map((ms) => new Date(ms));
  const history = fc.tuple(fc.constantFrom(...BILLING_INTERVALS), fc.array(fc.tuple(instant, fc.constantFrom(...BILLING_INTERVALS)), { maxLength: 8 }));
  const cycle = fc.oneof(fc.constant({}), fc.date({ min: d("2020-01-01T00:00:00Z"), max: d("2027-12-31T00:00:00Z"), noInvalidDate: true }).map((anchor) => ({ anchor })));

  it("bill every instant of any plan history once: the ranges each run bills tile time, whatever the changes of interval", () => {
    fc.assert(
      fc.property(history, cycle, ([first, changes], billing) => {
        const sorted = [...changes].sort((a, b) => a[0].getTime() - b[0].getTime());
        const spans: IntervalSpan[] = [];
        let from = d("2019-01-01T00:00:00Z");
        let interval = first;
        for (const [at, next] of sorted) {
          if (at > from) spans.push({ from, to: at, interval });
          from = at > from ? at : from;
          interval = next;
        }
        spans.push({ from, to: d("2030-01-01T00:00:00Z"), interval });
        const billed: InvoicePeriod[] = [];
        for (const run of runKeys) {
          const period = billingPeriodEndingIn(run, billing, run.interval);
          if (period === undefined) continue;
          for (const range of intervalWindow(period, spans, run.interval)?.ranges ?? []) {
            const clipped = { from: range.from > INNER.from ? range.from : INNER.from, to: range.to < INNER.to ? range.to : INNER.to };
            if (clipped.from < clipped.to) billed.push(clipped);
          }
        }
        billed.sort((a, b) => a.from.getTime() - b.from.getTime());
        expect(billed[0]!.from).toEqual(INNER.from);
        for (let i = 1; i < billed.length; i += 1) expect(billed[i]!.from).toEqual(billed[i - 1]!.to);
        expect(billed[billed.length - 1]!.to).toEqual(INNER.to);
      }),
      { numRuns: 150 },
    );
  });
});
