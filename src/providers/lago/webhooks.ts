import type { KeyObject } from "node:crypto";
import { z } from "zod";
import { BillingError } from "../../core/errors.ts";
import type { ProviderChange, ProviderProduct, WebhookDelivery } from "../types.ts";
import { assertStorableJson, headerOf, MAX_EVENT_ID_LENGTH, rawBodyText } from "../webhook-delivery.ts";
import { verifyLagoSignature } from "./webhook-signature.ts";

export interface LagoWebhookOptions {
  hmacKey: string | undefined;
  publicKey: KeyObject | undefined;
  issuer: string;
  now: () => Date;
  /** Lago's current state of a plan by code (null when deleted), for plan events. */
  readPlan(code: string): Promise<ProviderProduct | null>;
}

// Lago's webhook body: `{ webhook_type, object_type, organization_id, <object_type>: {...} }`
// (lago-api app/services/webhooks/base_service.rb; `esm/openapi/webhooks.d.ts` of the SDK).
const bodySchema = z.object({
  webhook_type: z.string().min(1),
  object_type: z.string().min(1),
  subscription: z.object({ external_id: z.string().min(1), external_customer_id: z.string().min(1) }).optional(),
  plan: z.object({ code: z.string().min(1) }).optional(),
});

/**
 * Verifies a Lago webhook (see `verifyLagoSignature`: `X-Lago-Signature` by
 * `X-Lago-Signature-Algorithm`, `jwt` or `hmac`) and maps it to billhub's change union. The event
 * id is `X-Lago-Unique-Key`, the id of the webhook at Lago, kept across its retries. Lago's body
 * carries no event time, so:
 * - subscription events (`subscription.started|updated|terminated|canceled|trial_ended|...`)
 *   re-read the customer's current subscriptions (by `external_customer_id`) and set the plan
 *   from them, whatever order the events arrive in;
 * - plan events (`plan.created|updated`) re-read the plan, so the synced product is Lago's
 *   current plan whenever the event arrives; `plan.deleted` removes it (as does a re-read that
 *   finds it gone). The product is keyed by the plan's `code`.
 * Every other event type is verified, logged once and answered 200 as `ignored`, with the reason.
 *
 * @example
 * const change = await parseLagoWebhook({ rawBody: await request.text(), headers: request.headers }, options);
 */
export async function parseLagoWebhook(delivery: WebhookDelivery, options: LagoWebhookOptions): Promise<ProviderChange> {
  const body = rawBodyText(delivery, "lago");
  const signature = requiredHeader(delivery, "x-lago-signature");
  // Lago's webhook endpoints sign with JWT unless set to HMAC; the header says which.
  const algorithm = headerOf(delivery, "x-lago-signature-algorithm") ?? "jwt";
  verifyLagoSignature({ algorithm, signature, body, hmacKey: options.hmacKey, publicKey: options.publicKey, issuer: options.issuer });
  const eventId = requiredHeader(delivery, "x-lago-unique-key");
  if (eventId.length > MAX_EVENT_ID_LENGTH) {
    throw new BillingError("WEBHOOK_PAYLOAD_INVALID", `X-Lago-Unique-Key is ${eventId.length} characters long, more than the ${MAX_EVENT_ID_LENGTH} billhub's webhook log keeps; it was not applied`, { provider: "lago", field: "headers.x-lago-unique-key" });
  }

  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch (error) {
    throw new BillingError("WEBHOOK_PAYLOAD_INVALID", `Lago webhook body is not JSON: ${(error as Error).message}`, { provider: "lago", field: "rawBody", cause: error });
  }
  assertStorableJson(json, "lago");
  const parsed = bodySchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new BillingError("WEBHOOK_PAYLOAD_INVALID", `Lago webhook body is malformed: ${issue.path.join(".") || "body"}: ${issue.message}`, { provider: "lago", field: issue.path.join(".") || "rawBody" });
  }
  const event = parsed.data;
  const meta = { provider: "lago", eventId, eventType: event.webhook_type, created: options.now(), livemode: null };
  const missing = (field: string) => new BillingError("WEBHOOK_PAYLOAD_INVALID", `Lago ${event.webhook_type} webhook carries no ${field}`, { provider: "lago", field });

  if (event.object_type === "subscription" && event.webhook_type.startsWith("subscription.")) {
    const subscription = event.subscription;
    if (subscription === undefined) throw missing("subscription");
    const externalId = subscription.external_customer_id;
    return { ...meta, kind: "customer_billing_stale", customer: { providerCustomerId: externalId, externalId }, object: { type: "subscription", id: subscription.external_id }, pricingModelId: null };
  }
  if (event.object_type === "plan" && event.webhook_type.startsWith("plan.")) {
    const code = event.plan?.code;
    if (code === undefined) throw missing("plan");
    const current = event.webhook_type === "plan.deleted" ? null : await options.readPlan(code);
    return current === null ? { ...meta, kind: "product_deleted", productId: code } : { ...meta, kind: "product_upserted", product: current };
  }
  return { ...meta, kind: "ignored", reason: `billhub does not act on Lago ${event.webhook_type} webhooks: only subscription and plan events change the catalog or a customer's plan` };
}

function requiredHeader(delivery: WebhookDelivery, name: string): string {
  const value = headerOf(delivery, name);
  if (value === undefined || value === "") {
    throw new BillingError("WEBHOOK_SIGNATURE_INVALID", `Missing ${name} header: the request did not come from Lago, or a proxy dropped the header`, { provider: "lago", field: `headers.${name}` });
  }
  return value;
}
