import { defineCatalog, type CatalogInput } from "../../src/core/catalog/index.ts";

/** The catalog the entitlement tests share: every feature type and every reset strategy. */
export const entitlementsCatalogInput = {
  currency: "USD",
  meters: {
    api_calls: { aggregation: "sum" },
    llm_tokens: { aggregation: "sum" },
    exports: { aggregation: "count" },
    active_models: { aggregation: "unique_count", property: "model" },
  },
  features: {
    api: { type: "metered", meter: "api_calls", reset: "month" },
    api_daily: { type: "metered", meter: "api_calls", reset: "day" },
    api_hourly: { type: "metered", meter: "api_calls", reset: "hour" },
    api_weekly: { type: "metered", meter: "api_calls", reset: "week" },
    tokens: { type: "metered", meter: "llm_tokens", reset: "billing_period" },
    lifetime_tokens: { type: "metered", meter: "llm_tokens", reset: "never", minimumLimit: 10 },
    exports: { type: "metered", meter: "exports", reset: "month" },
    models: { type: "metered", meter: "active_models", reset: "month" },
    seats: { type: "static", minimumLimit: 1 },
    sso: { type: "boolean" },
  },
  plans: {
    free: { name: "Free", features: { api: 100, api_daily: 50, api_hourly: 20, api_weekly: 70, tokens: 1000, lifetime_tokens: 5000, exports: 3, models: 1, seats: 1 } },
    pro: {
      name: "Pro",
      features: {
        api: { limit: 10000, variants: { starter: 2500 } },
        api_daily: 5000,
        api_hourly: 1000,
        api_weekly: 7000,
        tokens: { limit: 100000, variants: { starter: 25000 } },
        lifetime_tokens: null,
        exports: 100,
        models: 5,
        seats: 20,
        sso: true,
      },
    },
    enterprise: { name: "Enterprise", features: { api: null, api_daily: null, api_hourly: null, api_weekly: null, tokens: null, lifetime_tokens: null, exports: null, models: null, seats: null, sso: true } },
  },
  defaultPlan: "free",
} satisfies CatalogInput;

export const entitlementsCatalog = defineCatalog(entitlementsCatalogInput);

/** A clock the test moves by hand. */
export function testClock(iso: string): { now: () => Date; set(iso: string): void; advance(ms: number): void } {
  let current = new Date(iso);
  return {
    now: () => current,
    set(next) {
      current = new Date(next);
    },
    advance(ms) {
      current = new Date(current.getTime() + ms);
    },
  };
}
