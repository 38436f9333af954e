import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { defineCatalog, requireFeature, requireMeter, requirePlan, requireVariant, type CatalogInput } from "../../../src/core/catalog/index.ts";
import { BillingError } from "../../../src/core/errors.ts";

const base: CatalogInput = {
  currency: "usd",
  meters: { api_calls: { aggregation: "sum" }, models: { aggregation: "unique_count", property: "model" } },
  features: {
    api: { type: "metered", meter: "api_calls", reset: "month" },
    seats: { type: "static" },
    sso: { type: "boolean" },
  },
  plans: {
    free: { name: "Free", features: { api: 1000 } },
    pro: { name: "Pro", features: { api: { limit: "100000", variants: { starter: 25000 } }, seats: 20, sso: true } },
    unlimited: { name: "Unlimited", features: { api: null, seats: null, sso: true } },
  },
  defaultPlan: "free",
};

function catalogError(input: unknown): BillingError {
  try {
    defineCatalog(input as CatalogInput);
  } catch (error) {
    if (error instanceof BillingError) return error;
    throw error;
  }
  throw new Error("expected the catalog to be refused");
}

describe("defineCatalog", () => {
  it("resolves a grant for every feature on every plan", () => {
    const catalog = defineCatalog(base);
    expect(catalog.currency).toBe("USD");
    expect(catalog.plans.pro!.grants).toEqual({
      api: { granted: true, limit: "100000", variants: { starter: "25000" }, overage: { kind: "block" } },
      seats: { granted: true, limit: "20", variants: {}, overage: { kind: "block" } },
      sso: { granted: true, limit: null, variants: {}, overage: { kind: "block" } },
    });
  });

  it("resolves a limit the plan does not grant to 0, never to unlimited", () => {
    const free = defineCatalog(base).plans.free!;
    expect(free.grants.seats).toEqual({ granted: false, limit: "0", variants: {}, overage: { kind: "block" } });
    expect(free.grants.sso!.granted).toBe(false);
  });

  it("treats null as unlimited", () => {
    expect(defineCatalog(base).plans.unlimited!.grants.api!.limit).toBeNull();
  });

  it("collects the declared variant names", () => {
    expect([...defineCatalog(base).variants]).toEqual(["starter"]);
  });

  it("defaults a metered feature's reset to the billing period", () => {
    const catalog = defineCatalog({ ...base, features: { ...base.features, api: { type: "metered", meter: "api_calls" } } });
    expect(catalog.features.api).toMatchObject({ reset: "billing_period" });
  });

  it("returns a frozen catalog, and the same catalog when given one", () => {
    const catalog = defineCatalog(base);
    expect(Object.isFrozen(catalog.plans.free!.grants)).toBe(true);
    expect(defineCatalog(catalog)).toBe(catalog);
  });

  it("accepts the sample catalog shipped in fixtures/", () => {
    const sample = JSON.parse(readFileSync(new URL("../../../fixtures/catalog.json", import.meta.url), "utf8"));
    const catalog = defineCatalog(sample);
    expect(Object.keys(catalog.plans)).toEqual(["free", "pro", "enterprise"]);
  });
});

describe("defineCatalog refuses typos and contradictions, naming the path and the valid keys", () => {
  it("refuses a plan that grants an unknown feature", () => {
    const error = catalogError({ ...base, plans: { free: { name: "Free", features: { apii: 10 } } } });
    expect(error.code).toBe("CATALOG_INVALID");
    expect(error.field).toBe("catalog.plans.free.features.apii");
    expect(error.message).toContain("valid features: api, seats, sso");
  });

  it("refuses a metered feature bound to an unknown meter", () => {
    const error = catalogError({ ...base, features: { api: { type: "metered", meter: "api_call" } }, plans: { free: { name: "Free" } } });
    expect(error.field).toBe("catalog.features.api.meter");
    expect(error.message).toContain("valid meters: api_calls, models");
  });

  it("refuses a default plan that is not declared", () => {
    const error = catalogError({ ...base, defaultPlan: "fre" });
    expect(error.field).toBe("catalog.defaultPlan");
    expect(error.details).toEqual({ valid: ["free", "pro", "unlimited"] });
  });

  it("refuses a limit on a boolean flag and a boolean on a limited feature", () => {
    expect(catalogError({ ...base, plans: { free: { name: "Free", features: { sso: 1 } } } }).field).toBe("catalog.plans.free.features.sso");
    expect(catalogError({ ...base, plans: { free: { name: "Free", features: { api: true } } } }).message).toContain("null for unlimited");
  });

  it.each([
    [{ api: -5 }, "catalog.plans.free.features.api"],
    [{ api: "lots" }, "catalog.plans.free.features.api"],
    [{ api: Number.POSITIVE_INFINITY }, "catalog.plans.free.features.api"],
  ])("refuses a negative or non-numeric limit %j", (features, field) => {
    const error = catalogError({ ...base, plans: { free: { name: "Free", features } } });
    expect(error.code).toBe("CATALOG_INVALID");
    expect(error.field).toBe(field);
  });

  it.each([
    [{ ...base, plans: { ...base.plans, free: { name: "Free\u0000", features: { api: 1000 } } } }, "catalog.plans.free.name"],
    [{ ...base, meters: { ...base.meters, api_calls: { aggregation: "sum", unit: "call\u0000" } } }, "catalog.meters.api_calls.unit"],
    [{ ...base, plans: { ...base.plans, free: { name: "Free", metadata: { tier: "a\ud800" }, features: { api: 1000 } } } }, "catalog.plans.free.metadata.tier"],
  ])("refuses text the store cannot keep (a NUL, a lone surrogate), naming where: %#", (input, field) => {
    const error = catalogError(input);
    expect(error.code).toBe("CATALOG_INVALID");
    expect(error.field).toBe(field);
    expect(error.message).toMatch(/NUL|surrogate/);
  });

  it("refuses a unique_count meter without the property it counts", () => {
    expect(catalogError({ ...base, meters: { models: { aggregation: "unique_count" } } }).field).toBe("catalog.meters.models.property");
  });

  it("refuses an unknown aggregation, an unknown reset and an unknown top-level key", () => {
    expect(catalogError({ ...base, meters: { x: { aggregation: "avg" } } }).field).toBe("catalog.meters.x.aggregation");
    expect(catalogError({ ...base, features: { api: { type: "metered", meter: "api_calls", reset: "fortnight" } } }).field).toBe("catalog.features.api.reset");
    expect(catalogError({ ...base, plan: {} }).code).toBe("CATALOG_INVALID");
  });

  it("refuses a catalog without plans", () => {
    expect(catalogError({ currency: "USD", plans: {}, defaultPlan: "x" }).field).toBe("catalog.plans");
  });
});

describe("lookups", () => {
  const catalog = defineCatalog(base);

  it("finds declared keys", () => {
    expect(requireFeature(catalog, "api").type).toBe("metered");
    expect(requirePlan(catalog, "pro").name).toBe("Pro");
    expect(requireMeter(catalog, "models").property).toBe("model");
    expect(requireVariant(catalog, "starter")).toBe("starter");
  });

  it("throws the matching UNKNOWN_* code listing the valid keys", () => {
    expect(() => requireFeature(catalog, "apicalls")).toThrow(expect.objectContaining({ code: "UNKNOWN_FEATURE", field: "feature", message: 'Unknown feature "apicalls"; valid features: api, seats, sso' }));
    expect(() => requirePlan(catalog, "gold")).toThrow(expect.objectContaining({ code: "UNKNOWN_PLAN" }));
    expect(() => requireMeter(catalog, "tokens")).toThrow(expect.objectContaining({ code: "UNKNOWN_METER" }));
    expect(() => requireVariant(catalog, "premium")).toThrow(expect.objectContaining({ code: "UNKNOWN_VARIANT" }));
  });

  it("does not mistake inherited object members for keys", () => {
    expect(() => requireFeature(catalog, "toString")).toThrow(expect.objectContaining({ code: "UNKNOWN_FEATURE" }));
    expect(() => requirePlan(catalog, "__proto__")).toThrow(expect.objectContaining({ code: "UNKNOWN_PLAN" }));
  });
});

describe("plan charges", () => {
  const priced: CatalogInput = {
    ...base,
    plans: {
      free: { name: "Free" },
      pro: {
        name: "Pro",
        charges: [
          { key: "platform", model: "flat", amount: 4900 },
          { key: "api", meter: "api_calls", model: "per_unit", unitAmount: "0.5", includedUnits: 1000 },
        ],
        minimumCommitment: { amount: 10000 },
      },
    },
  };

  it("prepares each plan's charges for pricing, in the catalog's currency", () => {
    const pro = defineCatalog(priced).plans.pro!;
    expect(pro.pricing.currency).toBe("USD");
    expect([...pro.pricing.meters.keys()]).toEqual(["api_calls"]);
    expect(pro.pricing.minimumCommitment).toEqual({ amount: 10000 });
    expect(defineCatalog(priced).plans.free!.pricing.charges).toEqual([]);
  });

  it("refuses a charge on an undeclared meter, naming the charge and the valid meters", () => {
    const error = catalogError({ ...priced, plans: { free: { name: "Free", charges: [{ key: "x", meter: "tokens", model: "per_unit", unitAmount: "1" }] } } });
    expect(error.field).toBe("catalog.plans.free.charges.0.meter");
    expect(error.message).toContain("valid meters: api_calls, models");
  });

  it("refuses two charges with one key, naming the second", () => {
    const charges = [
      { key: "api", meter: "api_calls", model: "per_unit", unitAmount: "1" },
      { key: "api", meter: "api_calls", model: "per_unit", unitAmount: "2" },
    ];
    expect(catalogError({ ...priced, plans: { free: { name: "Free", charges } } }).field).toBe("catalog.plans.free.charges.1.key");
  });

  it("refuses a malformed charge at its own path", () => {
    const error = catalogError({ ...priced, plans: { free: { name: "Free", charges: [{ key: "api", meter: "api_calls", model: "per_unit", unitAmount: -1 }] } } });
    expect(error.code).toBe("CATALOG_INVALID");
    expect(error.field).toBe("catalog.plans.free.charges.0.unitAmount");
  });
});
