import { BillingError } from "../core/errors.ts";
import type { ProviderChange, WebhookDelivery } from "../providers/types.ts";
import { findWebhookEvent, REPROCESSED_OUTCOMES } from "../store/webhooks/webhook-log.ts";
import { applyObjectChange, assertNever, logEvent, logFailure, type DeliveryResult, type ObjectChange } from "./apply-event.ts";
import { priceChange, productChange } from "./apply-catalog-change.ts";
import { customerBillingChange } from "./apply-customer-billing.ts";
import { handOverInvoice } from "./apply-invoice.ts";
import { applyCreditPurchase } from "./apply-credit-purchase.ts";
import { subscriptionChange } from "./apply-subscription.ts";
import type { WebhookDeps } from "./deps.ts";
import type { WebhookProvider } from "./handler.ts";
import { providerDefinition, providerEnvName } from "../providers/index.ts";

/**
 * Verifies one delivery with its provider and applies the change it carries. Throws the
 * provider's BillingError for a bad signature or body (nothing is logged: an unverified event id
 * proves nothing), WEBHOOK_MODE_MISMATCH for a verified event of the other mode than the API
 * key's (logged `failed`, so it shows in the log and at the provider), and whatever applying
 * threw (the event is then logged `failed`).
 */
export async function processDelivery(deps: WebhookDeps, providerId: WebhookProvider, delivery: WebhookDelivery, receivedAt: Date): Promise<DeliveryResult> {
  const change = await webhookParser(deps, providerId)(delivery);
  const keyLivemode = deps.providers.providers.get(providerId)?.livemode;
  if (keyLivemode !== undefined && change.livemode !== null && change.livemode !== keyLivemode) {
    const error = modeMismatch(change, keyLivemode);
    await logFailure(deps, change, receivedAt, error);
    throw error;
  }
  return processChange(deps, change, receivedAt);
}

// A test-mode event must never change what a live hub bills, nor the reverse: the same endpoint
// URL is easily registered in both modes of one account.
function modeMismatch(change: ProviderChange, keyLivemode: boolean): BillingError {
  const mode = (live: boolean) => (live ? "live" : "test");
  return new BillingError(
    "WEBHOOK_MODE_MISMATCH",
    `${change.provider} event ${change.eventId} is a ${mode(change.livemode === true)}-mode event, but the configured ${change.provider} secret key is a ${mode(keyLivemode)}-mode key; it was not applied. Point the ${mode(change.livemode === true)}-mode webhook endpoint at the billhub that holds the ${mode(change.livemode === true)}-mode key`,
    { provider: change.provider, field: "livemode" },
  );
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
    switch (change.kind) {
      case "invoice_created":
        if (await alreadyLogged(deps, change)) return duplicate(change);
        return await handOverInvoice(deps, change, receivedAt);
      case "credit_purchase":
        if (await alreadyLogged(deps, change)) return duplicate(change);
        return await applyCreditPurchase(deps, change, receivedAt);
      case "ignored":
        return await logEvent(deps, change, receivedAt, "ignored", change.reason, null);
      default: {
        const object = objectChange(deps, change);
        if (object.incomplete && (await alreadyLogged(deps, change))) return duplicate(change);
        return await applyObjectChange(deps, change, object, receivedAt);
      }
    }
  } catch (error) {
    await logFailure(deps, change, receivedAt, error);
    throw error;
  }
}

async function alreadyLogged(deps: WebhookDeps, change: ProviderChange): Promise<boolean> {
  const logged = await findWebhookEvent(deps.store, change.provider, change.eventId);
  return logged !== undefined && !REPROCESSED_OUTCOMES.has(logged.outcome);
}

function duplicate(change: ProviderChange): DeliveryResult {
  return { eventId: change.eventId, outcome: "duplicate", error: null };
}

/** The change to one stored object that a change carries, ordered and applied by `applyObjectChange`. */
function objectChange(deps: WebhookDeps, change: Exclude<ProviderChange, { kind: "invoice_created" | "credit_purchase" | "ignored" }>): ObjectChange<unknown> {
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
    default:
      return assertNever(change);
  }
}

function webhookParser(deps: WebhookDeps, id: WebhookProvider): (delivery: WebhookDelivery) => Promise<ProviderChange> {
  const provider = deps.providers.providers.get(id);
  const parse = provider?.parseWebhook;
  if (provider === undefined || parse === undefined) {
    const definition = providerDefinition(id)!;
    const settings = [providerEnvName(definition, "secretKey"), providerEnvName(definition, "webhookSecret")].filter((name) => name !== undefined).join(" and ");
    throw new BillingError("CONFIG_INVALID", `Invalid configuration: ${id} webhooks arrive but the ${id} section is not configured; set ${settings}`, { field: `${id}.secretKey` });
  }
  return (delivery) => parse.call(provider, delivery);
}
