import type Stripe from "stripe";
import type { z } from "zod";
import { BillingError } from "../../core/errors.ts";
import { zodToBillingError } from "../../core/validation.ts";
import type { ProviderObjects, ProviderObjectType } from "../types.ts";
import { isStripeError, stripeErrorToBillingError } from "./errors.ts";
import { priceSchema, productSchema, subscriptionSchema, toPrice, toProduct, toSubscription } from "./webhook-objects.ts";

type Readers = { [K in ProviderObjectType]?: (id: string) => Promise<ProviderObjects[K] | null> };

/**
 * Re-reads Stripe objects for the webhook routes: a price (always with `expand: ["tiers"]`, which
 * events leave out), a product, a subscription. The answers go through the same schemas as
 * webhook events. A missing object (404, or a product answered `deleted: true`) reads as null.
 *
 * @example
 * const read = createStripeObjectReader(client, () => new Date());
 * const price = await read("price", "price_123"); // ProviderPrice with tiers, or null
 */
export function createStripeObjectReader(client: Stripe, now: () => Date) {
  async function fetch<T>(request: () => Promise<T>): Promise<T | null> {
    try {
      return await request();
    } catch (error) {
      if (isStripeError(error) && error.statusCode === 404) return null;
      throw stripeErrorToBillingError(error, now());
    }
  }

  const readers: Readers = {
    async price(id) {
      const price = await fetch(() => client.prices.retrieve(id, { expand: ["tiers"] }));
      return price && toPrice(read(priceSchema, price, "price"));
    },
    async product(id) {
      const product = await fetch(() => client.products.retrieve(id));
      if (product === null || (product as { deleted?: boolean }).deleted === true) return null;
      return toProduct(read(productSchema, product, "product"));
    },
    async subscription(id) {
      const subscription = await fetch(() => client.subscriptions.retrieve(id));
      return subscription && toSubscription(read(subscriptionSchema, subscription, "subscription"));
    },
  };

  return async function readObject<T extends ProviderObjectType>(type: T, id: string): Promise<ProviderObjects[T] | null> {
    const reader = readers[type];
    if (reader === undefined) {
      throw new BillingError("PROVIDER_UNSUPPORTED", `Stripe has no ${type} objects to re-read; it re-reads ${Object.keys(readers).join(", ")}`, { provider: "stripe" });
    }
    return reader(id);
  };
}

function read<S extends z.ZodType>(schema: S, response: unknown, what: string): z.output<S> {
  const result = schema.safeParse(response);
  if (result.success) return result.data;
  const error = zodToBillingError(result.error, "PROVIDER_REJECTED", what);
  throw new BillingError("PROVIDER_REJECTED", `Stripe's ${what} response is not what billhub reads: ${error.message}`, { provider: "stripe", ...(error.details ? { details: error.details } : {}) });
}
