import { defineCatalog } from "../../../src/core/catalog/index.ts";

/** A catalog for credit tests: a plan with no API calls included, one with 100 a month, a priced meter. */
export const creditsCatalog = defineCatalog({
  currency: "USD",
  meters: { api_calls: { aggregation: "sum" }, storage: { aggregation: "max" } },
  features: {
    api: { type: "metered", meter: "api_calls", reset: "month" },
    storage: { type: "metered", meter: "storage", reset: "month" },
    seats: { type: "static" },
  },
  plans: {
    free: { name: "Free", features: { api: 0, storage: 1, seats: 1 } },
    starter: {
      name: "Starter",
      features: { api: 100, storage: 10, seats: 5 },
      charges: [
        { key: "base", model: "flat", amount: 2000 },
        { key: "calls", model: "per_unit", meter: "api_calls", unitAmount: "10" },
      ],
    },
    open: { name: "Open", features: { api: { limit: 10, overage: "allow" }, storage: 10, seats: 5 } },
  },
  defaultPlan: "free",
});
