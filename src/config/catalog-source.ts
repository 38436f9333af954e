import { readFileSync } from "node:fs";
import { defineCatalog, type Catalog } from "../core/catalog/index.ts";
import { BillingError } from "../core/errors.ts";
import { providerIdsWith } from "../providers/index.ts";

/** Used when no catalog is configured: one plan, nothing metered, nothing granted. */
const EMPTY_CATALOG = { currency: "USD", plans: { default: { name: "Default" } }, defaultPlan: "default" };

/** The providers whose subscriptions put customers on plans: those whose webhooks bring subscriptions. */
const options = () => ({ providers: providerIdsWith("webhooks") });

/**
 * Resolves `config.catalog` (a JSON file path, a catalog object, or nothing) into a validated
 * catalog. A file that is missing or not JSON is named in the error.
 */
export function resolveCatalog(source: string | object | undefined): Catalog {
  if (source === undefined) return defineCatalog(EMPTY_CATALOG, options());
  if (typeof source !== "string") return defineCatalog(source as Parameters<typeof defineCatalog>[0], options());
  let text: string;
  try {
    text = readFileSync(source, "utf8");
  } catch (error) {
    throw new BillingError("CONFIG_INVALID", `Cannot read catalog file ${source}: ${(error as Error).message}`, { field: "catalog", cause: error });
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new BillingError("CATALOG_INVALID", `Catalog file ${source} is not valid JSON: ${(error as Error).message}`, { field: "catalog", cause: error });
  }
  return defineCatalog(parsed as Parameters<typeof defineCatalog>[0], options());
}
