import type { ProviderChange } from "../providers/types.ts";
import { findCustomerByProviderId } from "../store/customer-repository.ts";
import { logEvent, type DeliveryResult } from "./apply-event.ts";
import type { WebhookDeps } from "./deps.ts";

type InvoiceEvent = Extract<ProviderChange, { kind: "invoice_created" }>;

/**
 * `invoice_created` (a draft invoice, editable for a while: Stripe's for about an hour) is where invoice-items
 * billing adds the period's usage. The routes only hand it over: to the hub's `onInvoiceCreated`
 * handler when one is given (outcome `applied`), else the event is logged `unhandled` with the
 * invoice in its payload, for a later run to pick up (or to be resent once a handler is configured).
 */
export async function handOverInvoice(deps: WebhookDeps, change: InvoiceEvent, receivedAt: Date): Promise<DeliveryResult> {
  const object = { provider: change.provider, type: "invoice", id: change.invoice.id };
  if (deps.onInvoiceCreated === undefined) {
    return logEvent(deps, change, receivedAt, "unhandled", "no invoice handler is configured (createHub's onInvoiceCreated option); the invoice is kept in this event's payload", object);
  }
  const customer = await findCustomerByProviderId(deps.store, change.provider, change.invoice.providerCustomerId);
  await deps.onInvoiceCreated({ provider: change.provider, eventId: change.eventId, invoice: change.invoice, customerId: customer?.id ?? null });
  return logEvent(deps, change, receivedAt, "applied", null, object);
}
