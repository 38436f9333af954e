import type { ProviderChange } from "../providers/types.ts";
import { findCustomerByProviderId } from "../store/customer-repository.ts";
import { logEvent, type DeliveryResult } from "./apply-event.ts";
import type { WebhookDeps } from "./deps.ts";

type PurchaseEvent = Extract<ProviderChange, { kind: "credit_purchase" }>;

/**
 * A paid purchase of credit products: handed to the hub's credit handler, which grants it once
 * per purchase and per event (grant ids derive from the purchase, and each grant records the
 * event), then logged `applied`. A purchase by a customer billhub does not know yet is logged
 * `unknown_customer` and granted when the provider redelivers it after the customer is linked.
 */
export async function applyCreditPurchase(deps: WebhookDeps, change: PurchaseEvent, receivedAt: Date): Promise<DeliveryResult> {
  const object = { provider: change.provider, type: "credit_purchase", id: change.purchase.objectId };
  const customer = await findCustomerByProviderId(deps.store, change.provider, change.purchase.providerCustomerId);
  if (customer === undefined) {
    const error = `no customer has ${change.provider} id ${JSON.stringify(change.purchase.providerCustomerId)}; set it in the customer's providerIds and the purchase is credited when the event is sent again`;
    return logEvent(deps, change, receivedAt, "unknown_customer", error, object);
  }
  await deps.onCreditPurchase({ provider: change.provider, eventId: change.eventId, created: change.created, customerId: customer.id, purchase: change.purchase });
  return logEvent(deps, change, receivedAt, "applied", null, object);
}
