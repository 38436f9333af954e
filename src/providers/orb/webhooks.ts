import { createHmac, timingSafeEqual } from "node:crypto";
import { z } from "zod";
import { BillingError } from "../../core/errors.ts";
import type { ProviderChange, WebhookDelivery } from "../types.ts";
import { assertStorableJson, headerOf, MAX_EVENT_ID_LENGTH, rawBodyText } from "../webhook-delivery.ts";

export interface OrbWebhookOptions {
  /** The webhook's signing secret (orb.webhookSecret / ORB_WEBHOOK_SECRET). */
  secret: string | undefined;
  now: () => Date;
}

/** `client.webhooks.verifySignature` in orb-billing 6.11 refuses timestamps more than 5 minutes old or ahead. */
const TOLERANCE_MS = 5 * 60_000;

// Orb's webhook body: `{ id, created_at, type, <resource>, properties }`, the resource being the
// full object (for subscription events, the Subscription of `resources/subscriptions.d.ts`,
// with its `customer`); dedupe on `id` (docs.withorb.com/guides/integrations-and-exports/webhooks).
const bodySchema = z.object({
  id: z.string().min(1),
  type: z.string().min(1),
  created_at: z.string().min(1).optional(),
  subscription: z
    .object({
      id: z.string().min(1),
      customer: z.object({ id: z.string().min(1), external_customer_id: z.string().min(1).nullable().optional() }),
    })
    .optional(),
});

/**
 * Verifies an Orb webhook and maps it to billhub's change union. Verification is the SDK's
 * (`resources/webhooks.js` of orb-billing 6.11, `verifySignature`): `X-Orb-Signature` holds
 * space-separated `v1=<hex>` entries, each the HMAC-SHA256, keyed with the secret's UTF-8 bytes,
 * of `v1:${X-Orb-Timestamp}:${rawBody}`; any one that matches passes. The timestamp is ISO 8601
 * without a zone ("UTC by default") and must be within 5 minutes of now. It is done here rather
 * than through the SDK so the clock is billhub's and the SDK stays unloaded.
 *
 * Subscription events (`subscription.created|started|ended|plan_changed|edited|...`) carry the
 * subscription with its customer. Whichever of them arrives, and in whatever order, billhub
 * re-reads the customer's subscriptions from Orb and sets the customer's plan from them (the
 * same path as any provider whose events may arrive out of order): each subscription's plan is
 * matched by its `external_plan_id` against the catalog's `providerPrices.orb`, or by
 * `billhub_plan` in the plan's metadata. Customers are named by their `external_customer_id`,
 * as usage names them. Every other event type is verified, logged once and answered 200 as
 * `ignored`, with the reason.
 *
 * @example
 * const change = parseOrbWebhook({ rawBody: await request.text(), headers: request.headers },
 *   { secret: process.env.ORB_WEBHOOK_SECRET, now: () => new Date() });
 */
export function parseOrbWebhook(delivery: WebhookDelivery, options: OrbWebhookOptions): ProviderChange {
  const secret = options.secret;
  if (secret === undefined || secret === "") {
    throw new BillingError("CONFIG_INVALID", "Invalid configuration: orb.webhookSecret (ORB_WEBHOOK_SECRET) is required to verify Orb webhooks; copy the webhook's secret from Orb's webhook settings", {
      field: "orb.webhookSecret",
    });
  }
  const body = rawBodyText(delivery, "orb");
  const timestamp = requiredHeader(delivery, "x-orb-timestamp");
  const signatures = requiredHeader(delivery, "x-orb-signature");

  // "The timestamp header does not include a timezone (it is UTC by default)" (the SDK's verifySignature).
  const sentAt = new Date(/Z|[+-]\d{2}:?\d{2}$/.test(timestamp) ? timestamp : `${timestamp}Z`);
  if (Number.isNaN(sentAt.getTime())) invalid(`X-Orb-Timestamp is not a date: ${JSON.stringify(timestamp.slice(0, 40))}`, "headers.x-orb-timestamp");
  const age = options.now().getTime() - sentAt.getTime();
  if (age > TOLERANCE_MS) invalid(`Orb webhook timestamp is ${Math.round(age / 1000)}s old, more than ${TOLERANCE_MS / 1000}s: a replay, or a clock out of sync`, "headers.x-orb-timestamp");
  if (-age > TOLERANCE_MS) invalid(`Orb webhook timestamp is ${Math.round(-age / 1000)}s ahead, more than ${TOLERANCE_MS / 1000}s: check the server clock`, "headers.x-orb-timestamp");

  const expected = Buffer.from(createHmac("sha256", Buffer.from(secret, "utf8")).update(`v1:${timestamp}:${body}`).digest("hex"));
  const matches = signatures.split(" ").some((entry) => {
    const [version, signature] = entry.split("=");
    if (version !== "v1" || signature === undefined) return false;
    const given = Buffer.from(signature);
    return given.length === expected.length && timingSafeEqual(given, expected);
  });
  if (!matches) invalid("Orb webhook signature did not verify. Pass the raw, unparsed request body and the webhook's own signing secret", "headers.x-orb-signature");

  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch (error) {
    throw new BillingError("WEBHOOK_PAYLOAD_INVALID", `Orb webhook body is not JSON: ${(error as Error).message}`, { provider: "orb", field: "rawBody", cause: error });
  }
  assertStorableJson(json, "orb");
  const parsed = bodySchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new BillingError("WEBHOOK_PAYLOAD_INVALID", `Orb webhook body is malformed: ${issue.path.join(".") || "body"}: ${issue.message}`, { provider: "orb", field: issue.path.join(".") || "rawBody" });
  }
  const event = parsed.data;
  if (event.id.length > MAX_EVENT_ID_LENGTH) {
    throw new BillingError("WEBHOOK_PAYLOAD_INVALID", `Orb webhook id is ${event.id.length} characters long, more than the ${MAX_EVENT_ID_LENGTH} billhub's webhook log keeps; it was not applied`, { provider: "orb", field: "id" });
  }
  const createdAt = event.created_at === undefined ? Number.NaN : Date.parse(event.created_at);
  const meta = { provider: "orb", eventId: event.id, eventType: event.type, created: Number.isNaN(createdAt) ? sentAt : new Date(createdAt), livemode: null };

  if (!event.type.startsWith("subscription.")) {
    return { ...meta, kind: "ignored", reason: `billhub does not act on Orb ${event.type} events: only subscription events change a customer's plan` };
  }
  const subscription = event.subscription;
  if (subscription === undefined) {
    throw new BillingError("WEBHOOK_PAYLOAD_INVALID", `Orb ${event.type} event carries no subscription`, { provider: "orb", field: "subscription" });
  }
  const externalId = subscription.customer.external_customer_id;
  if (externalId === undefined || externalId === null) {
    return {
      ...meta,
      kind: "ignored",
      reason: `Orb customer ${subscription.customer.id} has no external_customer_id, so no billhub customer can be named by it; set it in Orb (billhub's customer id or provider_ids.orb), then resend the event`,
    };
  }
  return {
    ...meta,
    kind: "customer_billing_stale",
    customer: { providerCustomerId: externalId, externalId },
    object: { type: "subscription", id: subscription.id },
    pricingModelId: null,
  };
}

function requiredHeader(delivery: WebhookDelivery, name: string): string {
  const value = headerOf(delivery, name);
  if (value === undefined || value === "") invalid(`Missing ${name} header: the request did not come from Orb, or a proxy dropped the header`, `headers.${name}`);
  return value;
}

function invalid(message: string, field: string): never {
  throw new BillingError("WEBHOOK_SIGNATURE_INVALID", message, { provider: "orb", field });
}
