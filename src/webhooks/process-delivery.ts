import { BillingError } from "../core/errors.ts";
import type { ProviderChange, WebhookDelivery } from "../providers/types.ts";
import { findWebhookEvent, REPROCESSED_OUTCOMES } from "../store/webhooks/webhook-log.ts";
import { applyObjectChange, assertNever, logEvent, logFailure, type DeliveryResult, type ObjectChange } from "./apply-event.ts";
import { priceChange, productChange } from "./apply-catalog-change.ts";
import { customerBillingChange } from "./apply-customer-billing.ts";
import { handOverInvoice } from "./apply-invoice.ts";
import { subscriptionChange } from "./apply-subscription.ts";
import type { WebhookDeps } from "./deps.ts";

/**
 * Verifies one delivery with its provider and applies the change it carries. Throws the
 * provider's BillingError for a bad signature or body (nothing is logged: an unverified event id
 * proves nothing), and whatever applying threw (the event is then logged `failed`).
 */
export async function processDelivery(deps: WebhookDeps, providerId: "stripe" | "flowglad", delivery: WebhookDelivery, receivedAt: Date): Promise<DeliveryResult> {
  const change = await webhookParser(deps, providerId)(delivery);
  return processChange(deps, change, receivedAt);
}

/**
 * Applies a verified change once. A change already logged is a duplicate and changes nothing,
 * unless its outcome is one a redelivery reprocesses (failed, unknown_customer, unmapped_plan).
 * A change applied in one transaction is deduplicated there, by the claim of its log entry; the
 * log is read up front only where something happens before that transaction: a re-read from the
 * provider, or the invoice handler.
 */
export async function processChange(deps: WebhookDeps, change: ProviderChange, receivedAt: Date): Promise<DeliveryResult> {
  try {
    const object = objectChange(deps, change);
    if (object === undefined ? change.kind === "invoice_created" : object.incomplete) {
      const logged = await findWebhookEvent(deps.store, change.provider, change.eventId);
      if (logged !== undefined && !REPROCESSED_OUTCOMES.has(logged.outcome)) return { eventId: change.eventId, outcome: "duplicate", error: null };
    }
    return await (object === undefined ? handOver(deps, change, receivedAt) : applyObjectChange(deps, change, object, receivedAt));
  } catch (error) {
    await logFailure(deps, change, receivedAt, error);
    throw error;
  }
}

/** The object a change is about, ordered and applied by `applyObjectChange`; undefined for the rest. */
function objectChange(deps: WebhookDeps, change: ProviderChange): ObjectChange<unknown> | undefined {
  switch (change.kind) {
    case "price_upserted":
    case "price_deleted":
      return priceChange(deps, change) as ObjectChange<unknown>;
    case "product_upserted":
    case "product_deleted":
      return productChange(deps, change) as ObjectChange<unknown>;
    case "subscription_changed":
      return subscriptionChange(deps, change) as ObjectChange<unknown>;
    case "customer_billing_stale":
      return customerBillingChange(deps, change) as ObjectChange<unknown>;
    case "invoice_created":
    case "ignored":
      return undefined;
    default:
      return assertNever(change);
  }
}

/** Changes to no stored object: invoices go to the handler, ignored events are only logged. */
function handOver(deps: WebhookDeps, change: ProviderChange, receivedAt: Date): Promise<DeliveryResult> {
  switch (change.kind) {
    case "invoice_created":
      return handOverInvoice(deps, change, receivedAt);
    case "ignored":
      return logEvent(deps, change, receivedAt, "ignored", change.reason, null);
    default:
      throw new BillingError("INTERNAL", `a ${change.kind} change is applied to its object, not handed over`);
  }
}

function webhookParser(deps: WebhookDeps, id: "stripe" | "flowglad"): (delivery: WebhookDelivery) => Promise<ProviderChange> {
  const provider = deps.providers.providers.get(id);
  const parse = provider?.parseWebhook;
  if (provider === undefined || parse === undefined) {
    const settings = id === "stripe" ? "STRIPE_SECRET_KEY and STRIPE_WEBHOOK_SECRET" : "FLOWGLAD_SECRET_KEY and FLOWGLAD_WEBHOOK_SECRET";
    throw new BillingError("CONFIG_INVALID", `Invalid configuration: ${id} webhooks arrive but the ${id} section is not configured; set ${settings}`, { field: `${id}.secretKey` });
  }
  return (delivery) => parse.call(provider, delivery);
}
