import { createHmac, timingSafeEqual } from "node:crypto";
import { z } from "zod";
import { BillingError } from "../../core/errors.ts";
import type { ProviderChange, WebhookDelivery } from "../types.ts";
import { assertStorableJson, headerOf, MAX_EVENT_ID_LENGTH, rawBodyText } from "../webhook-delivery.ts";

export interface FlowgladWebhookOptions {
  /** `whsec_<base64 key>` (flowglad.webhookSecret / FLOWGLAD_WEBHOOK_SECRET). */
  secret: string | undefined;
  now: () => Date;
}

/** Svix's window, as @flowglad/server's verifyWebhook applies it. */
const MAX_AGE_S = 300;
const MAX_AHEAD_S = 60;

/** Objects whose events mean "this customer's billing changed". */
const BILLING_OBJECTS = new Set(["customer", "subscription", "purchase", "payment"]);

// The body is the event's payload and nothing else: Svix sends a message's payload as the body, and
// Flowglad's payload is a thin reference, the object and its customer, never the object's state
// (flowglad/flowglad platform/flowglad-next/src/utils/svix.ts sendSvixEvent; the payloads are built
// in src/utils/events.ts and src/utils/bookkeeping/processPaymentIntentStatusUpdated.ts). The event
// type and Flowglad's event id travel as Svix message attributes, not in the body or a header.
const bodySchema = z.object({
  id: z.string().min(1),
  object: z.string().min(1),
  // Optional in Flowglad's own payload schema (older events were stored without it).
  customer: z.object({ id: z.string().min(1), externalId: z.string().min(1) }).nullish(),
  // Added to every delivery on 2026-01-26.
  pricingModelId: z.string().nullish(),
});

const EXPECTED_BODY = "Flowglad sends the object reference itself: { id, object, customer: { id, externalId }, pricingModelId }";

/**
 * Verifies a Flowglad webhook (sent through Svix) and maps it to billhub's change union.
 * Verification follows the Svix scheme: HMAC-SHA256 keyed with the base64-decoded secret over
 * `${svix-id}.${svix-timestamp}.${rawBody}`, any `v1,<base64>` entry matching in constant time
 * (Svix signs with every active key of the endpoint, space-separated), timestamps at most 300 s
 * old and 60 s ahead. `svix-id` is the Svix message id, the same on every retry of a message:
 * the event id billhub dedupes on. The body names no event type (payment.succeeded and
 * payment.failed look alike), so the change's `eventType` is the object's type. Flowglad sends no
 * catalog events and no object state, so every billing event becomes `customer_billing_stale`:
 * re-fetch, then apply.
 *
 * @example
 * const change = parseFlowgladWebhook({ rawBody: await request.text(), headers: request.headers },
 *   { secret: "whsec_...", now: () => new Date() });
 * if (change.kind === "customer_billing_stale") await flowglad.getCustomerBilling(change.customer.externalId);
 */
export function parseFlowgladWebhook(delivery: WebhookDelivery, options: FlowgladWebhookOptions): ProviderChange {
  const key = signingKey(options.secret);
  const body = rawBodyText(delivery, "flowglad");
  const id = requiredHeader(delivery, "svix-id");
  const timestamp = requiredHeader(delivery, "svix-timestamp");
  const signatures = requiredHeader(delivery, "svix-signature");

  if (!/^\d+$/.test(timestamp)) invalid(`svix-timestamp must be unix seconds, got ${JSON.stringify(timestamp.slice(0, 20))}`, "headers.svix-timestamp");
  const sentAt = Number.parseInt(timestamp, 10);
  const nowS = Math.floor(options.now().getTime() / 1000);
  if (nowS - sentAt > MAX_AGE_S) invalid(`Flowglad webhook timestamp is ${nowS - sentAt}s old, more than ${MAX_AGE_S}s: a replay, or a clock out of sync`, "headers.svix-timestamp");
  if (sentAt - nowS > MAX_AHEAD_S) invalid(`Flowglad webhook timestamp is ${sentAt - nowS}s ahead, more than ${MAX_AHEAD_S}s: check the server clock`, "headers.svix-timestamp");

  const expected = createHmac("sha256", key).update(`${id}.${timestamp}.${body}`).digest();
  const entries = signatures.trim().split(/\s+/);
  const matched = entries.some((entry) => {
    const [version, signature] = entry.split(",");
    if (version !== "v1" || !signature) return false;
    const given = Buffer.from(signature, "base64");
    return given.length === expected.length && timingSafeEqual(given, expected);
  });
  if (!matched) {
    invalid(
      `Flowglad webhook signature did not verify (none of ${entries.length} signature(s) matched). Pass the raw, unparsed request body and the endpoint's own whsec_ secret`,
      "headers.svix-signature",
    );
  }

  // Svix ids are short; a longer one would not fit the webhook log, so every redelivery would fail.
  if (id.length > MAX_EVENT_ID_LENGTH) {
    throw new BillingError("WEBHOOK_PAYLOAD_INVALID", `Flowglad webhook svix-id is ${id.length} characters long, more than the ${MAX_EVENT_ID_LENGTH} billhub's webhook log keeps; it was not applied`, {
      provider: "flowglad",
      field: "headers.svix-id",
    });
  }
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch (error) {
    throw new BillingError("WEBHOOK_PAYLOAD_INVALID", `Flowglad webhook body is not JSON: ${(error as Error).message}`, { provider: "flowglad", field: "rawBody", cause: error });
  }
  assertStorableJson(json, "flowglad");
  const parsed = bodySchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new BillingError("WEBHOOK_PAYLOAD_INVALID", `Flowglad webhook body is malformed: ${issue.path.join(".") || "body"}: ${issue.message}. ${EXPECTED_BODY}`, {
      provider: "flowglad",
      field: issue.path.join(".") || "rawBody",
    });
  }
  const event = parsed.data;
  const meta = { provider: "flowglad" as const, eventId: id, eventType: event.object, created: new Date(sentAt * 1000), livemode: null };
  if (!BILLING_OBJECTS.has(event.object)) return { ...meta, kind: "ignored", reason: `billhub does not act on Flowglad ${event.object} events` };
  if (!event.customer) return { ...meta, kind: "ignored", reason: `Flowglad ${event.object} event ${event.id} names no customer` };
  return {
    ...meta,
    kind: "customer_billing_stale",
    customer: { providerCustomerId: event.customer.id, externalId: event.customer.externalId },
    object: { type: event.object, id: event.id },
    pricingModelId: event.pricingModelId ?? null,
  };
}

function signingKey(secret: string | undefined): Buffer {
  if (secret === undefined || secret === "") {
    throw new BillingError("CONFIG_INVALID", "Invalid configuration: flowglad.webhookSecret (FLOWGLAD_WEBHOOK_SECRET) is required to verify Flowglad webhooks; copy the endpoint's signing secret (whsec_...)", {
      field: "flowglad.webhookSecret",
    });
  }
  const encoded = secret.startsWith("whsec_") ? secret.slice("whsec_".length) : "";
  const key = Buffer.from(encoded, "base64");
  if (encoded === "" || !/^[A-Za-z0-9+/]*={0,2}$/.test(encoded) || key.toString("base64") !== encoded) {
    throw new BillingError("CONFIG_INVALID", "Invalid configuration: flowglad.webhookSecret (FLOWGLAD_WEBHOOK_SECRET) must be whsec_ followed by a base64 key, as Flowglad shows it", {
      field: "flowglad.webhookSecret",
    });
  }
  return key;
}

function requiredHeader(delivery: WebhookDelivery, name: string): string {
  const value = headerOf(delivery, name);
  if (value === undefined || value === "") invalid(`Missing ${name} header: the request did not come from Flowglad, or a proxy dropped the header`, `headers.${name}`);
  return value;
}

function invalid(message: string, field: string): never {
  throw new BillingError("WEBHOOK_SIGNATURE_INVALID", message, { provider: "flowglad", field });
}
