import { defineCatalog } from "../../../src/core/catalog/index.ts";
import type { LimitAdjustment } from "../../../src/core/entitlements/index.ts";

export const at = (iso: string): Date => new Date(iso);

export const catalog = defineCatalog({
  currency: "USD",
  meters: { api_calls: { aggregation: "sum" }, tokens: { aggregation: "sum" } },
  features: {
    api: { type: "metered", meter: "api_calls", reset: "month" },
    tokens: { type: "metered", meter: "tokens", reset: "never", minimumLimit: "100" },
    seats: { type: "static", minimumLimit: 1 },
    sso: { type: "boolean" },
  },
  plans: {
    free: { name: "Free", features: { api: 1000, tokens: 500, seats: 1 } },
    pro: { name: "Pro", features: { api: { limit: 100000, variants: { starter: 25000, unlimited: null } }, tokens: null, seats: 20, sso: true } },
  },
  defaultPlan: "free",
});

export function adjustment(fields: Partial<LimitAdjustment> & Pick<LimitAdjustment, "amount">): LimitAdjustment {
  return {
    id: "adj",
    feature: "api",
    recurrence: "once",
    startsAt: at("2026-03-10T00:00:00Z"),
    endsAt: null,
    reason: null,
    metadata: {},
    createdAt: at("2026-03-10T00:00:00Z"),
    ...fields,
  };
}
