import { createHmac, timingSafeEqual } from "node:crypto";
import { z } from "zod";
import { BillingError } from "../../core/errors.ts";
import type { ProviderChange, WebhookDelivery } from "../types.ts";
import { assertStorableJson, headerOf, MAX_EVENT_ID_LENGTH, rawBodyText } from "../webhook-delivery.ts";
import { polarProduct, polarProductSchema, polarSubscription, polarSubscriptionSchema } from "./objects.ts";

export interface PolarWebhookOptions {
  /** The endpoint's secret (polar.webhookSecret / POLAR_WEBHOOK_SECRET). */
  secret: string | undefined;
  now: () => Date;
}

/** `webhookToleranceSeconds` in @polar-sh/sdk 1.0.1 (`dist/webhooks-*.mjs`): 5 minutes either way. */
const TOLERANCE_S = 300;

/** The subscription events Polar sends (`WebhookEventType` in the SDK's models); each carries the whole subscription. */
const SUBSCRIPTION_EVENTS = new Set([
  "subscription.created",
  "subscription.updated",
  "subscription.active",
  "subscription.canceled",
  "subscription.uncanceled",
  "subscription.revoked",
  "subscription.past_due",
  "subscription.paused",
  "subscription.resumed",
  "subscription.cycled",
  "subscription.migrated",
]);
const PRODUCT_EVENTS = new Set(["product.created", "product.updated"]);

// Every payload is `{ type, timestamp, data }` (`WebhookPayload` for API version 2026-10).
const envelopeSchema = z.object({ type: z.string().min(1), timestamp: z.string().min(1), data: z.unknown() });

/**
 * Verifies a Polar webhook (Standard Webhooks) and maps it to billhub's change union. The
 * signature is checked as `webhooks.validateEvent` in @polar-sh/sdk does it: HMAC-SHA256 over
 * `${webhook-id}.${webhook-timestamp}.${rawBody}`, base64, any `v1,<sig>` entry of
 * `webhook-signature` matching in constant time, with either key Polar's secret stands for (the
 * UTF-8 bytes of the whole secret, Polar's own, or the base64-decoded part after `whsec_`, the
 * Standard Webhooks one), and a timestamp at most 300 s old or ahead. It is done here rather than
 * through the SDK so the clock is billhub's and the SDK stays unloaded.
 *
 * `subscription.*` events carry the whole subscription: `subscription_changed`. `product.created`
 * and `product.updated` carry the product: `product_upserted` (its `billhub_plan` metadata names a
 * plan). Polar sends no price events (prices live on products); every other type (orders,
 * customers, benefits, checkouts, …) is `ignored`. Events are deduplicated on `webhook-id` and
 * ordered by the payload's `timestamp`.
 *
 * @example
 * const change = parsePolarWebhook({ rawBody: await request.text(), headers: request.headers },
 *   { secret: process.env.POLAR_WEBHOOK_SECRET, now: () => new Date() });
 */
export function parsePolarWebhook(delivery: WebhookDelivery, options: PolarWebhookOptions): ProviderChange {
  const keys = signingKeys(options.secret);
  const body = rawBodyText(delivery, "polar");
  const id = requiredHeader(delivery, "webhook-id");
  const timestamp = requiredHeader(delivery, "webhook-timestamp");
  const signatures = requiredHeader(delivery, "webhook-signature");

  if (!/^\d+$/.test(timestamp)) invalid(`webhook-timestamp must be unix seconds, got ${JSON.stringify(timestamp.slice(0, 20))}`, "headers.webhook-timestamp");
  const sentAt = Number.parseInt(timestamp, 10);
  const nowS = Math.floor(options.now().getTime() / 1000);
  if (nowS - sentAt > TOLERANCE_S) invalid(`Polar webhook timestamp is ${nowS - sentAt}s old, more than ${TOLERANCE_S}s: a replay, or a clock out of sync`, "headers.webhook-timestamp");
  if (sentAt - nowS > TOLERANCE_S) invalid(`Polar webhook timestamp is ${sentAt - nowS}s ahead, more than ${TOLERANCE_S}s: check the server clock`, "headers.webhook-timestamp");

  const expected = keys.map((key) => createHmac("sha256", key).update(`${id}.${timestamp}.${body}`).digest());
  const entries = signatures.trim().split(/\s+/);
  const matched = entries.some((entry) => {
    const [version, signature] = entry.split(",", 2);
    if (version !== "v1" || !signature) return false;
    const given = Buffer.from(signature, "base64");
    return expected.some((digest) => given.length === digest.length && timingSafeEqual(given, digest));
  });
  if (!matched) {
    invalid(`Polar webhook signature did not verify (none of ${entries.length} signature(s) matched). Pass the raw, unparsed request body and the endpoint's own secret`, "headers.webhook-signature");
  }

  if (id.length > MAX_EVENT_ID_LENGTH) {
    throw new BillingError("WEBHOOK_PAYLOAD_INVALID", `Polar webhook-id is ${id.length} characters long, more than the ${MAX_EVENT_ID_LENGTH} billhub's webhook log keeps; it was not applied`, {
      provider: "polar",
      field: "headers.webhook-id",
    });
  }
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch (error) {
    throw new BillingError("WEBHOOK_PAYLOAD_INVALID", `Polar webhook body is not JSON: ${(error as Error).message}`, { provider: "polar", field: "rawBody", cause: error });
  }
  assertStorableJson(json, "polar");
  const envelope = parse(envelopeSchema, json, "");
  const created = new Date(envelope.timestamp);
  if (Number.isNaN(created.getTime())) malformed(`timestamp is not a date: ${JSON.stringify(envelope.timestamp.slice(0, 40))}`, "timestamp");
  const meta = { provider: "polar" as const, eventId: id, eventType: envelope.type, created, livemode: null };

  if (SUBSCRIPTION_EVENTS.has(envelope.type)) {
    const subscription = parse(polarSubscriptionSchema, envelope.data, "data");
    return { ...meta, kind: "subscription_changed", subscription: polarSubscription(subscription), deleted: false };
  }
  if (PRODUCT_EVENTS.has(envelope.type)) {
    return { ...meta, kind: "product_upserted", product: polarProduct(parse(polarProductSchema, envelope.data, "data")) };
  }
  return { ...meta, kind: "ignored", reason: `billhub does not act on Polar ${envelope.type} events` };
}

/** The HMAC keys a Polar secret stands for, as the SDK's `hmacKeys` derives them. */
function signingKeys(secret: string | undefined): Buffer[] {
  if (secret === undefined || secret === "") {
    throw new BillingError("CONFIG_INVALID", "Invalid configuration: polar.webhookSecret (POLAR_WEBHOOK_SECRET) is required to verify Polar webhooks; copy the endpoint's secret from Polar", {
      field: "polar.webhookSecret",
    });
  }
  const utf8 = Buffer.from(secret, "utf8");
  const encoded = secret.startsWith("whsec_") ? secret.slice("whsec_".length) : secret;
  const decoded = /^[A-Za-z0-9+/]+={0,2}$/.test(encoded) ? Buffer.from(encoded, "base64") : Buffer.alloc(0);
  return decoded.length > 0 && !decoded.equals(utf8) ? [utf8, decoded] : [utf8];
}

function parse<S extends z.ZodType>(schema: S, value: unknown, at: string): z.output<S> {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  const path = [at, ...issue.path.map(String)].filter(Boolean).join(".");
  return malformed(`${path || "body"}: ${issue.message}`, path || "rawBody");
}

function malformed(message: string, field: string): never {
  throw new BillingError("WEBHOOK_PAYLOAD_INVALID", `Polar webhook body is malformed: ${message}`, { provider: "polar", field });
}

function requiredHeader(delivery: WebhookDelivery, name: string): string {
  const value = headerOf(delivery, name);
  if (value === undefined || value === "") invalid(`Missing ${name} header: the request did not come from Polar, or a proxy dropped the header`, `headers.${name}`);
  return value;
}

function invalid(message: string, field: string): never {
  throw new BillingError("WEBHOOK_SIGNATURE_INVALID", message, { provider: "polar", field });
}
