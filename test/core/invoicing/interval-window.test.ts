import { describe, expect, it } from "vitest";
import { defineCatalog } from "../../../src/core/catalog/index.ts";
import { intervalWindow, uninvoicedPieces } from "../../../src/core/invoicing/interval-window.ts";
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
