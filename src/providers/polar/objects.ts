import { z } from "zod";
import type { ProviderProduct, ProviderSubscription } from "../types.ts";

const metadataSchema = z.record(z.string(), z.unknown()).nullish();

/**
 * The parts of Polar's `Product` billhub reads (SDK models, API version 2026-10): `id`, `name`,
 * `is_archived`, `metadata` (strings, numbers, booleans), `modified_at`.
 */
export const polarProductSchema = z.object({
  id: z.string().min(1),
  name: z.string(),
  is_archived: z.boolean(),
  metadata: metadataSchema,
  modified_at: z.string().nullish(),
});

/**
 * The parts of Polar's `Subscription` billhub reads: its `status` (`incomplete`, `incomplete_expired`,
 * `trialing`, `active`, `past_due`, `canceled`, `unpaid`, `paused`), current period,
 * `cancel_at_period_end`, its customer (`customer.external_id` is "your" id for them), its product
 * and its prices (`prices[].id`, each of the one product).
 */
export const polarSubscriptionSchema = z.object({
  id: z.string().min(1),
  status: z.string().min(1),
  current_period_start: z.string().nullish(),
  current_period_end: z.string().nullish(),
  cancel_at_period_end: z.boolean(),
  seats: z.number().nullish(),
  customer_id: z.string().min(1),
  customer: z.object({ id: z.string().min(1), external_id: z.string().nullish() }),
  product: polarProductSchema,
  prices: z.array(z.object({ id: z.string().min(1), product_id: z.string().nullish() })),
});

export type PolarProductData = z.output<typeof polarProductSchema>;
export type PolarSubscriptionData = z.output<typeof polarSubscriptionSchema>;

/** Polar metadata as billhub keeps it: every value as a string (`billhub_plan` among them). */
function stringMetadata(metadata: Record<string, unknown> | null | undefined): Record<string, string> {
  return Object.fromEntries(Object.entries(metadata ?? {}).flatMap(([key, value]) => (["string", "number", "boolean"].includes(typeof value) ? [[key, String(value)]] : [])));
}

function dateOrNull(value: string | null | undefined): Date | null {
  if (value === null || value === undefined) return null;
  const at = new Date(value);
  return Number.isNaN(at.getTime()) ? null : at;
}

/**
 * A Polar product in billhub's terms. Polar has no default price and no lookup keys; its prices
 * come and go with product updates under the same product id.
 */
export function polarProduct(product: PolarProductData): ProviderProduct {
  return { id: product.id, name: product.name, active: !product.is_archived, defaultPriceId: null, metadata: stringMetadata(product.metadata), updated: dateOrNull(product.modified_at) };
}

/**
 * A Polar subscription in billhub's terms. The customer is named by their external id (the id the
 * usage events carry, `provider_ids.polar`), or by Polar's id for a customer without one. Each of
 * its prices is an item keyed by the product id, the key `providerPrices.polar` lists (Polar
 * replaces a product's prices when it changes them; the product id stays), and carries the
 * product's metadata, so `billhub_plan` on the product names the plan.
 */
export function polarSubscription(subscription: PolarSubscriptionData): ProviderSubscription {
  const metadata = stringMetadata(subscription.product.metadata);
  return {
    id: subscription.id,
    providerCustomerId: subscription.customer.external_id ?? subscription.customer_id,
    status: subscription.status,
    cancelAtPeriodEnd: subscription.cancel_at_period_end,
    items: subscription.prices.map((price) => ({
      id: price.id,
      priceId: price.id,
      lookupKey: price.product_id ?? subscription.product.id,
      productId: price.product_id ?? subscription.product.id,
      priceMetadata: metadata,
      quantity: subscription.seats ?? null,
      currentPeriodStart: dateOrNull(subscription.current_period_start),
      currentPeriodEnd: dateOrNull(subscription.current_period_end),
    })),
  };
}
