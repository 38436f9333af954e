import { describe, expect, it } from "vitest";
import type { Feature } from "../../../src/core/catalog/index.ts";
import { defineCatalog } from "../../../src/core/catalog/index.ts";
import { resetsAt, resetWindow } from "../../../src/core/entitlements/index.ts";
import { at } from "./fixtures.ts";

const catalog = defineCatalog({
  currency: "USD",
  meters: { m: { aggregation: "sum" } },
  features: {
    period: { type: "metered", meter: "m" },
    month: { type: "metered", meter: "m", reset: "month" },
    week: { type: "metered", meter: "m", reset: "week" },
    day: { type: "metered", meter: "m", reset: "day" },
    hour: { type: "metered", meter: "m", reset: "hour" },
    lifetime: { type: "metered", meter: "m", reset: "never" },
    seats: { type: "static" },
    sso: { type: "boolean" },
  },
  plans: { free: { name: "Free" } },
  defaultPlan: "free",
});
const feature = (key: string) => catalog.features[key] as Feature;
const now = at("2026-03-18T10:30:00Z"); // a Wednesday

describe("reset windows", () => {
  it("anchors a billing-period feature on the customer's period start (the default reset)", () => {
    const window = resetWindow(feature("period"), now, { periodStart: at("2026-02-25T08:00:00Z"), periodEnd: at("2026-03-25T08:00:00Z") });
    expect(window).toEqual({ from: at("2026-02-25T08:00:00Z"), to: at("2026-03-25T08:00:00Z") });
    expect(resetsAt(window)).toEqual(at("2026-03-25T08:00:00Z"));
  });

  it("resets calendar windows on UTC month, Monday, day and hour boundaries", () => {
    expect(resetsAt(resetWindow(feature("month"), now, {}))).toEqual(at("2026-04-01T00:00:00Z"));
    expect(resetsAt(resetWindow(feature("week"), now, {}))).toEqual(at("2026-03-23T00:00:00Z"));
    expect(resetsAt(resetWindow(feature("day"), now, {}))).toEqual(at("2026-03-19T00:00:00Z"));
    expect(resetsAt(resetWindow(feature("hour"), now, {}))).toEqual(at("2026-03-18T11:00:00Z"));
  });

  it("never resets a lifetime feature: the window is all time and resetsAt is null", () => {
    expect(resetWindow(feature("lifetime"), now, {})).toEqual({ from: null, to: null });
    expect(resetsAt(resetWindow(feature("lifetime"), now, {}))).toBeNull();
  });

  it("gives static features and flags no usage window", () => {
    expect(resetWindow(feature("seats"), now, {})).toBeNull();
    expect(resetWindow(feature("sso"), now, {})).toBeNull();
  });
});
