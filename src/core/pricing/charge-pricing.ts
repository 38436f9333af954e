import { BillingError } from "../errors.ts";
import type { PreparedCharge } from "./prepare-plan.ts";
import type { PreparedPricing } from "./prepared-pricing.ts";
import { pricingFromResolvedPrice, type ResolvedPriceInput } from "./resolved-price.ts";

/** Looks up the synced provider price a charge points at; undefined when there is none. */
export type ResolvePrice = (ref: { readonly lookupKey: string; readonly provider?: string }) => ResolvedPriceInput | undefined;

export interface ChargePricing {
  readonly pricing: PreparedPricing;
  readonly price?: { readonly lookupKey: string; readonly provider?: string; readonly id?: string };
}

/**
 * Prepared forms of resolved prices, per price object, charge model and plan currency. Only
 * frozen prices are kept: a price changed in place after it was prepared would bill stale numbers.
 */
const cache = new WeakMap<object, Map<string, PreparedPricing>>();

function isDeepFrozen(value: unknown): boolean {
  if (typeof value !== "object" || value === null) return true;
  if (!Object.isFrozen(value)) return false;
  return Object.values(value).every(isDeepFrozen);
}

function cached(price: unknown, use: string): PreparedPricing | undefined {
  return typeof price === "object" && price !== null ? cache.get(price)?.get(use) : undefined;
}

function remember(price: unknown, use: string, pricing: PreparedPricing): void {
  if (typeof price !== "object" || price === null || !isDeepFrozen(price)) return;
  const byUse = cache.get(price) ?? new Map<string, PreparedPricing>();
  byUse.set(use, pricing);
  cache.set(price, byUse);
}

/**
 * The numbers a charge bills with: its inline pricing, or the provider price its `price.lookupKey`
 * resolves to. An unresolvable reference is an error naming the lookup key, never a silent zero.
 *
 * @example
 * chargePricing(charge, { currency: "USD", resolvePrice: (ref) => syncedPrices.get(ref.lookupKey) })
 */
export function chargePricing(charge: PreparedCharge, options: { currency: string; resolvePrice: ResolvePrice | undefined }): ChargePricing {
  if (charge.pricing !== undefined) return { pricing: charge.pricing };
  const ref = charge.priceRef;
  const field = `plan.charges.${charge.index}.price`;
  if (ref === undefined) throw new BillingError("INTERNAL", `charge "${charge.key}" has neither inline numbers nor a price`, { field });
  if (options.resolvePrice === undefined) {
    throw new BillingError("CATALOG_INVALID", `charge "${charge.key}" takes its numbers from price "${ref.lookupKey}", but no resolvePrice option was given`, {
      field: `${field}.lookupKey`,
    });
  }
  const price = options.resolvePrice(ref);
  if (price === undefined || price === null) {
    const where = ref.provider === undefined ? "" : ` at ${ref.provider}`;
    throw new BillingError("CATALOG_INVALID", `charge "${charge.key}": no synced price has lookup key "${ref.lookupKey}"${where}`, {
      field: `${field}.lookupKey`,
      ...(ref.provider === undefined ? {} : { provider: ref.provider }),
    });
  }
  const reference = { lookupKey: ref.lookupKey, ...(ref.provider === undefined ? {} : { provider: ref.provider }), ...(typeof price.id === "string" ? { id: price.id } : {}) };
  const use = `${charge.model} ${options.currency}`;
  const hit = cached(price, use);
  if (hit !== undefined) return { pricing: hit, price: reference };
  const pricing = pricingFromResolvedPrice(price, { model: charge.model, lookupKey: ref.lookupKey, currency: options.currency, field });
  remember(price, use, pricing);
  return { pricing, price: reference };
}
