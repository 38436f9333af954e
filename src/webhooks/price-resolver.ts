import { BillingError } from "../core/errors.ts";
import type { ResolvePrice } from "../core/pricing/charge-pricing.ts";
import type { ResolvedPrice } from "../core/pricing/resolved-price.ts";
import { pricesInEffectAt, type PriceInEffect } from "../store/webhooks/price-versions.ts";
import type { Sql } from "../store/types.ts";

export interface PriceResolverOptions {
  /** The provider whose price a charge means when its `price` names none. */
  provider?: string;
}

/**
 * The synced prices as they were at `at`, as the `resolvePrice` option of `mapUsageToLineItems`:
 * a charge's `price: { lookupKey, provider? }` resolves to the price that held that lookup key
 * (Stripe) or slug (Flowglad) at that instant. A key no price held then resolves to undefined
 * (pricing reports it by name); a price that cannot price usage, or a key both providers hold
 * with no provider named, throws CATALOG_INVALID saying which.
 *
 * @example
 * const resolvePrice = await resolvePriceAt(store, new Date("2026-02-28T23:59:59.999Z"));
 * mapUsageToLineItems(catalog.plans.pro.pricing, usage, { resolvePrice });
 */
export async function resolvePriceAt(sql: Sql, at: Date, options: PriceResolverOptions = {}): Promise<ResolvePrice> {
  if (!(at instanceof Date) || Number.isNaN(at.getTime())) {
    throw new BillingError("VALIDATION_FAILED", "at must be a valid Date", { field: "at" });
  }
  const byKey = new Map<string, PriceInEffect[]>();
  for (const price of await pricesInEffectAt(sql, at)) {
    const resolved = price.resolved === null ? null : deepFreeze(price.resolved);
    byKey.set(price.lookupKey, [...(byKey.get(price.lookupKey) ?? []), { ...price, resolved }]);
  }
  return (ref) => {
    const provider = ref.provider ?? options.provider;
    const held = (byKey.get(ref.lookupKey) ?? []).filter((price) => provider === undefined || price.provider === provider);
    if (held.length > 1) {
      throw new BillingError("CATALOG_INVALID", `Lookup key "${ref.lookupKey}" is held by a price at ${held.map((price) => price.provider).join(" and ")}; name the provider in the charge's price`, {
        field: "price.provider",
      });
    }
    const price = held[0];
    if (price === undefined) return undefined;
    if (price.resolved === null) {
      throw new BillingError("CATALOG_INVALID", `Price ${price.priceId} (lookup key "${ref.lookupKey}") cannot price usage: ${price.resolveError}`, { field: "price.lookupKey", provider: price.provider });
    }
    return price.resolved;
  };
}

/**
 * The prices that bill a period: those in effect at its last instant (`end` is exclusive).
 * A period is invoiced when it closes, with the prices its subscription has then, so a price
 * change during the period reaches that period's invoice, while one taking effect at or after
 * `end` belongs to the next period only.
 *
 * @example
 * const resolvePrice = await resolvePriceForPeriod(store, { start: march1, end: april1 });
 */
export async function resolvePriceForPeriod(sql: Sql, period: { start: Date; end: Date }, options: PriceResolverOptions = {}): Promise<ResolvePrice> {
  if (!(period.end instanceof Date) || !(period.start instanceof Date) || !(period.start < period.end)) {
    throw new BillingError("VALIDATION_FAILED", "period must be { start, end } Dates with start before end", { field: "period" });
  }
  return resolvePriceAt(sql, new Date(period.end.getTime() - 1), options);
}

function deepFreeze(price: ResolvedPrice): ResolvedPrice {
  const freeze = (value: unknown): void => {
    if (value === null || typeof value !== "object" || Object.isFrozen(value)) return;
    Object.freeze(value);
    for (const inner of Object.values(value)) freeze(inner);
  };
  freeze(price);
  return price;
}
