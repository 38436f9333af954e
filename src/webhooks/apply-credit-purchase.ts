import type { ProviderChange } from "../providers/types.ts";
import { findCustomer, findCustomerByProviderId, type CustomerRecord } from "../store/customer-repository.ts";
import { logEvent, type DeliveryResult } from "./apply-event.ts";
import type { WebhookDeps } from "./deps.ts";

type PurchaseEvent = Extract<ProviderChange, { kind: "credit_purchase" }>;

/**
 * A paid purchase of credit products: handed to the hub's credit handler, which grants it once
 * per purchase and per event (grant ids derive from the purchase, and each grant records the
 * event), then logged `applied`. A purchase by a customer billhub does not know yet is logged
 * `unknown_customer` and granted when the provider redelivers it after the customer is linked.
 * The customer is the one with that provider id, else the one whose own id the provider uses
 * (a provider that names customers by billhub's id unless told otherwise: its customerIdFor).
 */
export async function applyCreditPurchase(deps: WebhookDeps, change: PurchaseEvent, receivedAt: Date): Promise<DeliveryResult> {
  const [first] = change.purchases;
  const object = { provider: change.provider, type: "credit_purchase", id: first!.objectId };
  const customer = await customerOf(deps, change.provider, first!.providerCustomerId);
  if (customer === undefined) {
    const error = `no customer has ${change.provider} id ${JSON.stringify(first!.providerCustomerId)}; set it in the customer's providerIds and the purchase is credited when the event is sent again`;
    return logEvent(deps, change, receivedAt, "unknown_customer", error, object);
  }
  await deps.onCreditPurchase({ provider: change.provider, eventId: change.eventId, created: change.created, customerId: customer.id, purchases: change.purchases });
  return logEvent(deps, change, receivedAt, "applied", null, object);
}

async function customerOf(deps: WebhookDeps, provider: string, providerCustomerId: string): Promise<CustomerRecord | undefined> {
  const linked = await findCustomerByProviderId(deps.store, provider, providerCustomerId);
  if (linked !== undefined) return linked;
  const own = await findCustomer(deps.store, providerCustomerId);
  return own !== undefined && deps.providers.get(provider).customerIdFor(own) === providerCustomerId ? own : undefined;
}
