import { describe, expect, it } from "vitest";
import { defineCatalog, type CatalogInput } from "../../../src/core/catalog/index.ts";

const base = (interval?: unknown, versionInterval?: unknown): CatalogInput =>
  ({
    currency: "USD",
    plans: {
      monthly: { name: "Monthly" },
      plan: {
        name: "Plan",
        ...(interval === undefined ? {} : { interval }),
        ...(versionInterval === undefined ? {} : { version: 2, versions: { "1": { interval: versionInterval } } }),
      },
    },
    defaultPlan: "monthly",
  }) as CatalogInput;

describe("a plan's billing interval", () => {
  it("is monthly unless the plan says year or week; each version has its own", () => {
    expect(defineCatalog(base()).plans.plan!.interval).toBe("month");
    expect(defineCatalog(base("year")).plans.plan!.interval).toBe("year");
    expect(defineCatalog(base("week")).plans.plan!.interval).toBe("week");
    const versioned = defineCatalog(base("year", "month"));
    expect([versioned.plans.plan!.interval, versioned.plans["plan@2"]!.interval, versioned.plans["plan@1"]!.interval]).toEqual(["year", "year", "month"]);
  });

  it("refuses any other value, naming the field and the allowed values", () => {
    for (const bad of ["monthly", "day", "Year", 12, null]) {
      expect(() => defineCatalog(base(bad)), String(bad)).toThrow(
        expect.objectContaining({ code: "CATALOG_INVALID", field: "catalog.plans.plan.interval", message: expect.stringContaining('must be one of "month", "year", "week"') }),
      );
    }
    expect(() => defineCatalog(base("year", "quarter"))).toThrow(expect.objectContaining({ code: "CATALOG_INVALID", field: "catalog.plans.plan.versions.1.interval" }));
  });
});
