import { describe, expect, it } from "vitest";
import { defineCatalog, type CatalogInput } from "../../../src/core/catalog/index.ts";
import { parseDecimal } from "../../../src/core/decimal.ts";
import { decideCheck, effectiveLimit, meterSpend, type EffectiveLimit } from "../../../src/core/entitlements/index.ts";
import { BillingError } from "../../../src/core/errors.ts";

const d = parseDecimal;
const resetsAt = new Date("2026-04-01T00:00:00Z");

const input = {
  currency: "USD",
  meters: { api_calls: { aggregation: "sum" } },
  features: { api: { type: "metered", meter: "api_calls", reset: "month" }, seats: { type: "static" } },
  plans: {
    blocked: { name: "Blocked", features: { api: 100 } },
    open: { name: "Open", features: { api: { limit: 100, overage: "allow" } } },
    units: { name: "Units", features: { api: { limit: 100, overage: { maxUnits: "50" } } } },
    spend: {
      name: "Spend",
      features: { api: { limit: 100, overage: { maxSpend: 500 } } },
      // 2 cents a call past 100 included: 25 calls of overage cost 50 cents.
      charges: [{ key: "api", meter: "api_calls", model: "per_unit", unitAmount: "2", includedUnits: 100 }],
    },
  },
  defaultPlan: "blocked",
} satisfies CatalogInput;

const catalog = defineCatalog(input);

function limitOn(plan: keyof typeof input.plans): EffectiveLimit {
  const p = catalog.plans[plan]!;
  const feature = catalog.features.api!;
  const spendAt = p.grants.api!.overage.kind === "max_spend" ? meterSpend(p.pricing, "api_calls") : undefined;
  return effectiveLimit({ feature, grant: p.grants.api!, variant: null, override: undefined, adjustments: [], at: new Date("2026-03-10T00:00:00Z"), window: null, ...(spendAt ? { spendAt } : {}) });
}

function refusalOf(run: () => unknown): BillingError {
  try {
    run();
  } catch (error) {
    if (error instanceof BillingError) return error;
    throw error;
  }
  throw new Error("expected a BillingError");
}

describe("overage policies", () => {
  it("blocks usage past the limit by default, as before", () => {
    const result = decideCheck({ limit: limitOn("blocked"), used: d("100"), amount: d("1"), resetsAt });
    expect(result).toMatchObject({ allowed: false, remaining: 0, refusal: { code: "LIMIT_EXCEEDED", reason: 'Feature "api" has 100 of 100 used; 1 more would exceed the limit' } });
    expect(result.overage).toEqual({ policy: "block", inOverage: false, units: "0", spend: null, maxUnits: null, maxSpend: null });
  });

  it("allows any usage past the limit under allow, and says how far past it usage is", () => {
    const result = decideCheck({ limit: limitOn("open"), used: d("250.5"), amount: d("1000"), resetsAt });
    expect(result).toMatchObject({ allowed: true, limit: 100, used: 250.5, remaining: 0, refusal: null });
    expect(result.overage).toEqual({ policy: "allow", inOverage: true, units: "150.5", spend: null, maxUnits: null, maxSpend: null });
  });

  it("allows usage up to maxUnits past the limit and refuses the smallest step beyond it", () => {
    expect(decideCheck({ limit: limitOn("units"), used: d("100"), amount: d("50"), resetsAt }).allowed).toBe(true);
    const refused = decideCheck({ limit: limitOn("units"), used: d("120"), amount: d("30.001"), resetsAt });
    expect(refused).toMatchObject({ allowed: false, refusal: { code: "LIMIT_EXCEEDED", reason: 'Feature "api" has 120 of 100 used; 30.001 more would exceed the overage cap of 50 units past the limit' } });
    expect(refused.overage).toMatchObject({ policy: "max_units", inOverage: true, units: "20", maxUnits: "50" });
  });

  it("allows overage while its price under the plan's charges stays within maxSpend", () => {
    // 250 calls past the limit cost 500 cents: exactly the cap.
    expect(decideCheck({ limit: limitOn("spend"), used: d("300"), amount: d("50"), resetsAt }).allowed).toBe(true);
    const refused = decideCheck({ limit: limitOn("spend"), used: d("300"), amount: d("51"), resetsAt });
    expect(refused).toMatchObject({ allowed: false, refusal: { code: "LIMIT_EXCEEDED" } });
    expect(refused.overage).toEqual({ policy: "max_spend", inOverage: true, units: "200", spend: 400, maxUnits: null, maxSpend: 500 });
  });

  it("has no overage state for flags, static features and unlimited limits", () => {
    const unlimited = { ...limitOn("open"), limit: null };
    expect(decideCheck({ limit: unlimited, used: d("5"), amount: d("1"), resetsAt }).overage).toBeNull();
  });
});

describe("overage in the catalog", () => {
  const withGrant = (api: unknown, charges: unknown[] = []) =>
    refusalOf(() => defineCatalog({ ...input, plans: { only: { name: "Only", features: { api } as never, charges: charges as never } }, defaultPlan: "only" }));

  it("refuses a policy that is not block, allow, maxUnits or maxSpend, naming the field", () => {
    const error = withGrant({ limit: 100, overage: "sometimes" });
    expect(error.code).toBe("CATALOG_INVALID");
    expect(error.field).toMatch(/^catalog\.plans\.only\.features\.api/);
  });

  it("refuses a negative or fractional spend cap", () => {
    expect(withGrant({ limit: 100, overage: { maxSpend: -1 } }).code).toBe("CATALOG_INVALID");
    expect(withGrant({ limit: 100, overage: { maxSpend: 1.5 } }).code).toBe("CATALOG_INVALID");
  });

  it("refuses a spend cap the plan has no charge on the feature's meter to price", () => {
    const error = withGrant({ limit: 100, overage: { maxSpend: 500 } });
    expect(error).toMatchObject({ code: "CATALOG_INVALID", field: "catalog.plans.only.features.api.overage.maxSpend" });
    expect(error.message).toContain('no charge on meter "api_calls"');
  });

  it("refuses overage on a static feature", () => {
    const error = refusalOf(() => defineCatalog({ ...input, plans: { only: { name: "Only", features: { seats: { limit: 3, overage: "allow" } } } }, defaultPlan: "only" }));
    expect(error).toMatchObject({ code: "CATALOG_INVALID", field: "catalog.plans.only.features.seats.overage" });
  });
});
