import { randomBytes } from "node:crypto";
import { defineCatalog, type CatalogInput } from "../../src/core/catalog/index.ts";

/** A fresh Standard Webhooks signing secret. */
export function webhookSecret(): string {
  return `whsec_${randomBytes(32).toString("base64")}`;
}

/**
 * The catalog the alert tests share: API calls limited to 100 a month on the free plan (overage
 * allowed), priced at 1 cent a call on the pro plan; alerts at 80 % and 150 calls of the monthly
 * feature, 30 calls of the daily one, and a spend of 50 cents.
 */
export const alertsCatalogInput = {
  currency: "USD",
  meters: { api_calls: { aggregation: "sum" }, exports: { aggregation: "count" } },
  features: {
    api: { type: "metered", meter: "api_calls", reset: "month" },
    api_daily: { type: "metered", meter: "api_calls", reset: "day" },
    exports: { type: "metered", meter: "exports", reset: "month" },
    sso: { type: "boolean" },
  },
  plans: {
    free: { name: "Free", features: { api: { limit: 100, overage: "allow" }, api_daily: { limit: 1000, overage: "allow" }, exports: 5 } },
    pro: {
      name: "Pro",
      features: { api: { limit: 1000, overage: "allow" }, api_daily: null, exports: 100, sso: true },
      charges: [{ key: "api", meter: "api_calls", model: "per_unit", unitAmount: "1", description: "API calls" }],
    },
    unlimited: { name: "Unlimited", features: { api: null, api_daily: null, exports: null } },
  },
  defaultPlan: "free",
  alerts: {
    api_80: { kind: "usage", feature: "api", percent: 80 },
    api_150: { kind: "usage", feature: "api", units: 150 },
    daily_30: { kind: "usage", feature: "api_daily", units: "30" },
    spend_50: { kind: "spend", amount: 50 },
    credits_low: { kind: "credit_balance_low", below: "100" },
  },
} satisfies CatalogInput;

export const alertsCatalog = defineCatalog(alertsCatalogInput);

