import { defineCatalog, type CatalogInput } from "../../src/core/catalog/index.ts";

/** The catalog the store benchmarks share: three summed meters, metered features over them. */
export const benchCatalogInput = {
  currency: "USD",
  meters: {
    api_calls: { aggregation: "sum", unit: "call" },
    llm_tokens: { aggregation: "sum", unit: "token" },
    storage_gb: { aggregation: "sum", unit: "GB" },
  },
  features: {
    api: { type: "metered", meter: "api_calls", reset: "month" },
    tokens: { type: "metered", meter: "llm_tokens", reset: "billing_period" },
  },
  plans: {
    pro: {
      name: "Pro",
      features: { api: 1_000_000_000, tokens: 1_000_000_000 },
      charges: [
        { key: "api", meter: "api_calls", model: "graduated", tiers: [{ upTo: 10_000, unitAmount: "0" }, { upTo: 1_000_000, unitAmount: "0.5", flatAmount: 500 }, { upTo: null, unitAmount: "0.25", flatAmount: 1000 }] },
        { key: "tokens", meter: "llm_tokens", model: "per_unit", unitAmount: "0.002" },
        { key: "storage", meter: "storage_gb", model: "volume", tiers: [{ upTo: 100, unitAmount: "20" }, { upTo: null, unitAmount: "15", flatAmount: 2000 }] },
      ],
    },
  },
  defaultPlan: "pro",
} satisfies CatalogInput;

export const benchCatalog = defineCatalog(benchCatalogInput);

export const METERS = ["api_calls", "llm_tokens", "storage_gb"] as const;

/** Customer ids bench_0000000 … in id order. */
export function customerIds(count: number): string[] {
  return Array.from({ length: count }, (_, i) => `bench_${String(i).padStart(7, "0")}`);
}
