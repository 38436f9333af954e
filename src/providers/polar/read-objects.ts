import { BillingError } from "../../core/errors.ts";
import type { ProviderObjects, ProviderObjectType } from "../types.ts";
import type { PolarClient } from "./client.ts";
import { polarErrorToBillingError } from "./errors.ts";
import { polarProduct, polarProductSchema, polarSubscription, polarSubscriptionSchema } from "./objects.ts";

/**
 * Re-reads a Polar subscription (GET /v1/subscriptions/{id}) or product (GET /v1/products/{id}),
 * for two webhook changes of one object at the same instant. Resolves null for one Polar no longer
 * has (404). Polar has no price objects of its own to re-read (prices live on products), nor one
 * call for a customer's subscriptions that billhub uses.
 *
 * @example
 * const readObject = createPolarObjectReader(client);
 * await readObject("subscription", "e5b1…") // { id, providerCustomerId, status, items, ... }
 */
export function createPolarObjectReader(client: PolarClient) {
  return async function readObject<T extends ProviderObjectType>(type: T, id: string): Promise<ProviderObjects[T] | null> {
    try {
      if (type === "subscription") return polarSubscription(polarSubscriptionSchema.parse(await client.getSubscription(id))) as ProviderObjects[T];
      if (type === "product") return polarProduct(polarProductSchema.parse(await client.getProduct(id))) as ProviderObjects[T];
    } catch (error) {
      if (error instanceof Error && error.name === "ZodError") throw new BillingError("PROVIDER_REJECTED", `Polar answered a ${type} billhub cannot read: ${error.message}`, { provider: "polar", cause: error });
      const failure = polarErrorToBillingError(error);
      if (failure.code === "PROVIDER_NOT_FOUND") return null;
      throw failure;
    }
    throw new BillingError("PROVIDER_UNSUPPORTED", `billhub does not re-read Polar ${type} objects (Polar prices live on their products)`, { provider: "polar" });
  };
}
