import { createHmac } from "node:crypto";
import { readFileSync } from "node:fs";
import { stripeEventBody, stripeObject, stripeSignature } from "./stripe-events.ts";

/** The signing secrets webhook tests configure. */
export const STRIPE_WEBHOOK_SECRET = "whsec_test_5f1c0a8e2b4d6f8091a3c5e7";
export const FLOWGLAD_WEBHOOK_SECRET = `whsec_${Buffer.from("billhub-flowglad-test-signing-key!").toString("base64")}`;

const seconds = (date: Date) => Math.floor(date.getTime() / 1000);

/**
 * A Stripe price from the published fixture shape with values that make sense: a monthly
 * per-unit price of `unit_amount_decimal` minor units.
 */
export function stripePrice(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return stripeObject("price", {
    id: "price_api_v1",
    product: "prod_api",
    lookup_key: "api_calls",
    currency: "usd",
    billing_scheme: "per_unit",
    tiers_mode: null,
    unit_amount: null,
    unit_amount_decimal: "0.5",
    transform_quantity: null,
    custom_unit_amount: null,
    created: 1_767_225_600,
    recurring: { interval: "month", interval_count: 1, meter: "mtr_api_calls", usage_type: "metered", trial_period_days: null },
    ...overrides,
  });
}

/** A Stripe subscription from the fixture shape: one item per price, each with the same current period. */
export function stripeSubscription(options: { id: string; customer: string; status?: string; prices: Record<string, unknown>[]; periodStart: Date; periodEnd: Date; cancelAtPeriodEnd?: boolean }): Record<string, unknown> {
  const base = stripeObject("subscription");
  const template = (base.items as { data: Record<string, unknown>[] }).data[0]!;
  return {
    ...base,
    id: options.id,
    customer: options.customer,
    status: options.status ?? "active",
    cancel_at_period_end: options.cancelAtPeriodEnd ?? false,
    items: {
      ...(base.items as Record<string, unknown>),
      data: options.prices.map((price, index) => ({
        ...template,
        id: `si_${options.id}_${index}`,
        subscription: options.id,
        price,
        quantity: 1,
        current_period_start: seconds(options.periodStart),
        current_period_end: seconds(options.periodEnd),
      })),
    },
  };
}

/** A Stripe event POSTed to billhub as Stripe sends it: JSON body, `Stripe-Signature` over the raw bytes. */
export function stripeRequest(type: string, object: Record<string, unknown>, options: { id: string; created: Date; signedAt?: Date; secret?: string; url?: string }): Request {
  const body = stripeEventBody(type, object, { id: options.id, created: seconds(options.created) });
  return signedStripeRequest(body, { signedAt: options.signedAt ?? options.created, ...(options.secret ? { secret: options.secret } : {}), ...(options.url ? { url: options.url } : {}) });
}

/** A POST of `body` with a Stripe signature made at `signedAt`. */
export function signedStripeRequest(body: string, options: { signedAt: Date; secret?: string; url?: string; signature?: string }): Request {
  const signature = options.signature ?? stripeSignature(body, options.secret ?? STRIPE_WEBHOOK_SECRET, seconds(options.signedAt));
  return new Request(options.url ?? "http://billhub.test/webhooks/stripe", { method: "POST", headers: { "content-type": "application/json", "stripe-signature": signature }, body });
}

/** Signs as Svix does for Flowglad: base64 HMAC-SHA256 with the decoded key over `${id}.${timestamp}.${body}`. */
export function svixSignature(body: string, id: string, timestamp: number, secret = FLOWGLAD_WEBHOOK_SECRET): string {
  const key = Buffer.from(secret.slice("whsec_".length), "base64");
  return `v1,${createHmac("sha256", key).update(`${id}.${timestamp}.${body}`).digest("base64")}`;
}

const flowgladFixtures = JSON.parse(readFileSync(new URL("../fixtures/flowglad/webhook-bodies.json", import.meta.url), "utf8")) as {
  bodies: Record<string, Record<string, unknown>>;
  supersededDocsEnvelope: { body: Record<string, unknown> };
};

/** Every event type Flowglad sends, with its body as Flowglad builds it (test/fixtures/flowglad). */
export const FLOWGLAD_EVENT_BODIES: Readonly<Record<string, Record<string, unknown>>> = flowgladFixtures.bodies;

/** The `{ eventType, eventId, data }` envelope Flowglad's docs showed for a day; the server never sent it. */
export const FLOWGLAD_SUPERSEDED_ENVELOPE: Readonly<Record<string, unknown>> = flowgladFixtures.supersededDocsEnvelope.body;

/** A Flowglad (Svix) delivery POSTed to billhub. */
export function flowgladRequest(payload: unknown, options: { id: string; sentAt: Date; secret?: string; url?: string }): Request {
  const body = JSON.stringify(payload);
  const timestamp = seconds(options.sentAt);
  return new Request(options.url ?? "http://billhub.test/webhooks/flowglad", {
    method: "POST",
    headers: { "content-type": "application/json", "svix-id": options.id, "svix-timestamp": String(timestamp), "svix-signature": svixSignature(body, options.id, timestamp, options.secret) },
    body,
  });
}

/** The JSON body of a webhook route's answer, with its status. */
export async function answer(response: Response): Promise<{ status: number; body: Record<string, unknown> }> {
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}
