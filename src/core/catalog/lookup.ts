import { BillingError, listKeys } from "../errors.ts";
import type { Catalog, Feature, Meter, Plan } from "./define-catalog.ts";

function unknownKey(code: "UNKNOWN_FEATURE" | "UNKNOWN_PLAN" | "UNKNOWN_METER" | "UNKNOWN_VARIANT", kind: string, key: unknown, valid: Iterable<string>, field: string): BillingError {
  const keys = [...valid].sort();
  return new BillingError(code, `Unknown ${kind} ${JSON.stringify(key)}; valid ${kind}s: ${listKeys(keys)}`, { field, details: { valid: keys } });
}

/** The feature named `key`, or UNKNOWN_FEATURE listing the valid keys. */
export function requireFeature(catalog: Catalog, key: unknown, field = "feature"): Feature {
  const feature = typeof key === "string" ? catalog.features[key] : undefined;
  if (!feature || !Object.hasOwn(catalog.features, key as string)) throw unknownKey("UNKNOWN_FEATURE", "feature", key, Object.keys(catalog.features), field);
  return feature;
}

/** The plan named `key`, or UNKNOWN_PLAN listing the valid keys. */
export function requirePlan(catalog: Catalog, key: unknown, field = "plan"): Plan {
  const plan = typeof key === "string" ? catalog.plans[key] : undefined;
  if (!plan || !Object.hasOwn(catalog.plans, key as string)) throw unknownKey("UNKNOWN_PLAN", "plan", key, Object.keys(catalog.plans), field);
  return plan;
}

/** The meter named `key`, or UNKNOWN_METER listing the valid keys. */
export function requireMeter(catalog: Catalog, key: unknown, field = "meter"): Meter {
  const meter = typeof key === "string" ? catalog.meters[key] : undefined;
  if (!meter || !Object.hasOwn(catalog.meters, key as string)) throw unknownKey("UNKNOWN_METER", "meter", key, Object.keys(catalog.meters), field);
  return meter;
}

/** Checks a variant name against every variant the catalog declares. */
export function requireVariant(catalog: Catalog, name: unknown, field = "variant"): string {
  if (typeof name !== "string" || !catalog.variants.has(name)) throw unknownKey("UNKNOWN_VARIANT", "variant", name, catalog.variants, field);
  return name;
}
