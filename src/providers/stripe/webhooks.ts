import Stripe from "stripe";
import { z } from "zod";
import { BillingError } from "../../core/errors.ts";
import { zodToBillingError } from "../../core/validation.ts";
import type { ChangeMeta, ProviderChange, WebhookDelivery } from "../types.ts";
import { assertStorableJson, headerOf, MAX_EVENT_ID_LENGTH, rawBodyText } from "../webhook-delivery.ts";
import { deletedPriceSchema, deletedProductSchema, invoiceSchema, priceSchema, productSchema, subscriptionSchema, toInvoice, toPrice, toProduct, toSubscription } from "./webhook-objects.ts";

export interface StripeWebhookOptions {
  /** `whsec_...` (stripe.webhookSecret / STRIPE_WEBHOOK_SECRET). */
  secret: string | undefined;
  /** Seconds a signature stays valid; 0 disables the age check. */
  tolerance: number;
  now: () => Date;
}

const envelopeSchema = z.object({
  id: z.string().min(1).max(MAX_EVENT_ID_LENGTH),
  object: z.literal("event"),
  type: z.string().min(1),
  created: z.number().int().nonnegative(),
  livemode: z.boolean(),
  data: z.object({ object: z.record(z.string(), z.unknown()) }),
});

const SUBSCRIPTION_EVENTS = new Set([
  "customer.subscription.created",
  "customer.subscription.updated",
  "customer.subscription.deleted",
  "customer.subscription.paused",
  "customer.subscription.resumed",
  "customer.subscription.pending_update_applied",
  "customer.subscription.pending_update_expired",
]);

/**
 * The mode of a Stripe API key from its prefix: live for `sk_live_` / `rk_live_`, test for
 * `sk_test_` / `rk_test_`, undefined for anything else (a stand-in's key), which checks nothing.
 *
 * @example
 * stripeKeyLivemode("sk_live_51H...") // true
 */
export function stripeKeyLivemode(secretKey: string): boolean | undefined {
  const match = /^[sr]k_(live|test)_/.exec(secretKey);
  return match ? match[1] === "live" : undefined;
}

/**
 * Verifies a Stripe webhook (`Stripe-Signature`, via the SDK's `signature.verifyHeader`) and maps the
 * event to billhub's change union. Event types billhub does not act on become `ignored`.
 *
 * @example
 * const change = parseStripeWebhook({ rawBody: await request.text(), headers: request.headers },
 *   { secret: "whsec_...", tolerance: 300, now: () => new Date() });
 * if (change.kind === "price_upserted") console.log(change.price.lookupKey);
 */
export function parseStripeWebhook(delivery: WebhookDelivery, options: StripeWebhookOptions): ProviderChange {
  const { type, object, meta } = verifyStripeEvent(delivery, options);
  return toChange(type, object, meta);
}

/**
 * Verifies a Stripe webhook and reads its envelope: the event type, the object it carries and
 * the change metadata, for events mapped with help from the API (credit purchases).
 */
export function verifyStripeEvent(delivery: WebhookDelivery, options: StripeWebhookOptions): { type: string; object: Record<string, unknown>; meta: ChangeMeta } {
  if (options.secret === undefined || options.secret === "") {
    throw new BillingError("CONFIG_INVALID", "Invalid configuration: stripe.webhookSecret (STRIPE_WEBHOOK_SECRET) is required to verify Stripe webhooks; copy the endpoint's signing secret (whsec_...)", {
      field: "stripe.webhookSecret",
    });
  }
  const body = rawBodyText(delivery, "stripe");
  const signature = headerOf(delivery, "stripe-signature");
  if (signature === undefined || signature === "") {
    throw new BillingError("WEBHOOK_SIGNATURE_INVALID", "Missing Stripe-Signature header: the request did not come from Stripe, or a proxy dropped the header", { provider: "stripe", field: "headers.stripe-signature" });
  }
  try {
    // Verified apart from parsing: the SDK's constructEvent throws a plain Error for a thin event
    // whose signature is valid, which would read as a bad signature.
    Stripe.webhooks.signature!.verifyHeader(body, signature, options.secret, options.tolerance, undefined, options.now().getTime());
  } catch (error) {
    throw new BillingError("WEBHOOK_SIGNATURE_INVALID", `Stripe webhook signature did not verify: ${String((error as Error).message).split("\n")[0]} Pass the raw, unparsed request body and the endpoint's own whsec_ secret.`, {
      provider: "stripe",
      field: "headers.stripe-signature",
      cause: error,
    });
  }
  refuseFutureSignature(signature, options);
  let event: unknown;
  try {
    event = JSON.parse(body);
  } catch (error) {
    throw new BillingError("WEBHOOK_PAYLOAD_INVALID", `Stripe webhook body is not a Stripe event: ${(error as Error).message}`, { provider: "stripe", field: "rawBody", cause: error });
  }
  refuseThinEvent(event);
  assertStorableJson(event, "stripe");
  const envelope = parseOrThrow(envelopeSchema, event, "event");
  const meta: ChangeMeta = { provider: "stripe", eventId: envelope.id, eventType: envelope.type, created: new Date(envelope.created * 1000), livemode: envelope.livemode };
  return { type: envelope.type, object: envelope.data.object, meta };
}

/**
 * Stripe's SDK refuses a signature older than the tolerance but takes one from any time ahead,
 * so a captured delivery signed with a clock far ahead would stay replayable until then. The
 * same tolerance applies ahead as behind. The timestamp is read as the SDK reads it (the last
 * `t=`), and only after the signature verified, so it is the signed one.
 */
function refuseFutureSignature(header: string, options: StripeWebhookOptions): void {
  if (options.tolerance <= 0) return;
  const signedAt = header.split(",").reduce((found, item) => {
    const [key, value] = item.split("=");
    return key === "t" ? Number.parseInt(value ?? "", 10) : found;
  }, Number.NaN);
  const ahead = signedAt - Math.floor(options.now().getTime() / 1000);
  if (ahead > options.tolerance) {
    throw new BillingError(
      "WEBHOOK_SIGNATURE_INVALID",
      `Stripe webhook signature is dated ${ahead}s ahead of this server's clock, more than the ${options.tolerance}s tolerance (stripe.webhookTolerance): check the server's clock (NTP); a signature from the future is not taken, as it could be replayed until then`,
      { provider: "stripe", field: "headers.stripe-signature" },
    );
  }
}

/**
 * A thin event (`object: "v2.core.event"`, sent by an event destination with the thin payload
 * style) names an object but carries none of its state, and the event types billhub applies
 * (prices, products, subscriptions, invoices) come as snapshot events. Rather than acknowledge
 * thin events and apply nothing, they are refused, so a destination set up with the wrong
 * payload style shows as failing in Stripe's dashboard.
 */
function refuseThinEvent(event: unknown): void {
  if (event === null || typeof event !== "object" || (event as { object?: unknown }).object !== "v2.core.event") return;
  const type = (event as { type?: unknown }).type;
  throw new BillingError(
    "WEBHOOK_EVENT_UNSUPPORTED",
    `Stripe thin event${typeof type === "string" ? ` ${type.slice(0, 100)}` : ""} (v2.core.event) is not consumed: billhub applies snapshot events (price.*, product.*, customer.subscription.*, invoice.created). Point an endpoint (event destination) with the snapshot payload style at this route, and its signing secret in STRIPE_WEBHOOK_SECRET`,
    { provider: "stripe", field: "object" },
  );
}

/** The change a verified Stripe event carries (events billhub does not act on are `ignored`). */
export function toChange(type: string, object: Record<string, unknown>, meta: ChangeMeta): ProviderChange {
  switch (type) {
    case "price.created":
    case "price.updated":
      return { ...meta, kind: "price_upserted", price: toPrice(parseOrThrow(priceSchema, object, "data.object")) };
    case "price.deleted": {
      const price = parseOrThrow(deletedPriceSchema, object, "data.object");
      return { ...meta, kind: "price_deleted", priceId: price.id, lookupKey: price.lookup_key ?? null };
    }
    case "product.created":
    case "product.updated":
      return { ...meta, kind: "product_upserted", product: toProduct(parseOrThrow(productSchema, object, "data.object")) };
    case "product.deleted":
      return { ...meta, kind: "product_deleted", productId: parseOrThrow(deletedProductSchema, object, "data.object").id };
    case "invoice.created":
      return { ...meta, kind: "invoice_created", invoice: toInvoice(parseOrThrow(invoiceSchema, object, "data.object")) };
    default:
      if (SUBSCRIPTION_EVENTS.has(type)) {
        const subscription = toSubscription(parseOrThrow(subscriptionSchema, object, "data.object"));
        return { ...meta, kind: "subscription_changed", subscription, deleted: type === "customer.subscription.deleted" };
      }
      return { ...meta, kind: "ignored", reason: `billhub does not act on Stripe ${type} events` };
  }
}

function parseOrThrow<S extends z.ZodType>(schema: S, input: unknown, prefix: string): z.output<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const error = zodToBillingError(result.error, "WEBHOOK_PAYLOAD_INVALID", prefix);
  throw new BillingError("WEBHOOK_PAYLOAD_INVALID", `Stripe webhook event is malformed: ${error.message}`, { provider: "stripe", ...(error.field ? { field: error.field } : {}), ...(error.details ? { details: error.details } : {}) });
}
