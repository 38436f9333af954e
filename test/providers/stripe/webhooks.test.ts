import { describe, expect, it } from "vitest";
import { parseStripeWebhook } from "../../../src/providers/stripe/webhooks.ts";
import type { ProviderChange, WebhookDelivery } from "../../../src/providers/types.ts";
import { stripeEventBody, stripeObject, stripeSignature } from "../../support/stripe-events.ts";
import { NOW } from "../../support/usage-events.ts";
import { thrownBillingError } from "../../support/errors.ts";

const SECRET = "whsec_test_5f1c0a8e2b4d6f8091a3c5e7";
const NOW_S = Math.floor(NOW.getTime() / 1000);

function signed(body: string, options: { secret?: string; timestamp?: number } = {}): WebhookDelivery {
  return { rawBody: body, headers: new Headers({ "stripe-signature": stripeSignature(body, options.secret ?? SECRET, options.timestamp ?? NOW_S), "content-type": "application/json" }) };
}

function parse(delivery: WebhookDelivery, tolerance = 300): ProviderChange {
  return parseStripeWebhook(delivery, { secret: SECRET, tolerance, now: () => NOW });
}

const tieredMeteredPrice = stripeObject("price", {
  id: "price_api_v2",
  product: "prod_api",
  lookup_key: "api_calls_monthly",
  billing_scheme: "tiered",
  tiers_mode: "graduated",
  unit_amount: null,
  unit_amount_decimal: null,
  tiers: [
    { up_to: 1000, unit_amount: null, unit_amount_decimal: "0.5", flat_amount: 0, flat_amount_decimal: "0" },
    { up_to: null, unit_amount: null, unit_amount_decimal: "0.25", flat_amount: null, flat_amount_decimal: null },
  ],
  transform_quantity: null,
  recurring: { interval: "month", interval_count: 1, meter: "mtr_api_calls", usage_type: "metered", trial_period_days: null },
});

describe("Stripe webhooks: parsing verified events into changes", () => {
  it("maps price.updated to price_upserted with the price's lookup key, tiers and meter, and the event's id and time", () => {
    const change = parse(signed(stripeEventBody("price.updated", tieredMeteredPrice, { id: "evt_price_1", created: NOW_S - 10 })));
    expect(change).toEqual({
      kind: "price_upserted",
      provider: "stripe",
      eventId: "evt_price_1",
      eventType: "price.updated",
      created: new Date((NOW_S - 10) * 1000),
      livemode: false,
      price: {
        id: "price_api_v2",
        productId: "prod_api",
        active: true,
        currency: "usd",
        lookupKey: "api_calls_monthly",
        nickname: null,
        type: "recurring",
        billingScheme: "tiered",
        unitAmountDecimal: null,
        tiersMode: "graduated",
        tiers: [
          { upTo: 1000, unitAmountDecimal: "0.5", flatAmountDecimal: "0" },
          { upTo: null, unitAmountDecimal: "0.25", flatAmountDecimal: null },
        ],
        transformQuantity: null,
        recurring: { interval: "month", intervalCount: 1, usageType: "metered", meter: "mtr_api_calls" },
        metadata: {},
        created: new Date(1_234_567_890 * 1000),
      },
    });
  });

  it("keeps per-unit amounts and package pricing exact", () => {
    const price = stripeObject("price", { unit_amount: null, unit_amount_decimal: "0.0125", transform_quantity: { divide_by: 1000, round: "up" } });
    const change = parse(signed(stripeEventBody("price.created", price)));
    if (change.kind !== "price_upserted") throw new Error(change.kind);
    expect(change.price.unitAmountDecimal).toBe("0.0125");
    expect(change.price.transformQuantity).toEqual({ divideBy: 1000, round: "up" });
  });

  it("maps price.deleted to price_deleted with its lookup key", () => {
    const change = parse(signed(stripeEventBody("price.deleted", stripeObject("price", { id: "price_old", lookup_key: "pro_monthly", active: false }))));
    expect(change).toMatchObject({ kind: "price_deleted", priceId: "price_old", lookupKey: "pro_monthly" });
  });

  it("maps product.created and product.deleted", () => {
    const product = stripeObject("product", { id: "prod_api", name: "API", default_price: "price_api_v2", updated: NOW_S });
    expect(parse(signed(stripeEventBody("product.created", product)))).toMatchObject({
      kind: "product_upserted",
      product: { id: "prod_api", name: "API", active: true, defaultPriceId: "price_api_v2", metadata: {}, updated: NOW },
    });
    expect(parse(signed(stripeEventBody("product.deleted", { id: "prod_api", object: "product", deleted: true })))).toMatchObject({ kind: "product_deleted", productId: "prod_api" });
  });

  it("maps customer.subscription.updated to subscription_changed with the items' price lookup keys and periods", () => {
    const subscription = stripeObject("subscription", { id: "sub_1", customer: "cus_acme", status: "active", cancel_at_period_end: true });
    const items = subscription.items as { data: Record<string, unknown>[] };
    items.data[0] = { ...items.data[0], price: tieredMeteredPrice, quantity: 3, current_period_start: NOW_S, current_period_end: NOW_S + 30 * 86_400 };
    const change = parse(signed(stripeEventBody("customer.subscription.updated", subscription)));
    expect(change).toMatchObject({
      kind: "subscription_changed",
      deleted: false,
      subscription: {
        id: "sub_1",
        providerCustomerId: "cus_acme",
        status: "active",
        cancelAtPeriodEnd: true,
        items: [{ id: "si_QXhVnC2h0Jczwc", priceId: "price_api_v2", lookupKey: "api_calls_monthly", quantity: 3, currentPeriodStart: NOW, currentPeriodEnd: new Date((NOW_S + 30 * 86_400) * 1000) }],
      },
    });
  });

  it("marks customer.subscription.deleted as deleted", () => {
    const change = parse(signed(stripeEventBody("customer.subscription.deleted", stripeObject("subscription", { status: "canceled" }))));
    expect(change).toMatchObject({ kind: "subscription_changed", deleted: true, subscription: { status: "canceled" } });
  });

  it("maps invoice.created to invoice_created with its customer, subscription and period", () => {
    const invoice = stripeObject("invoice", {
      id: "in_1",
      customer: "cus_acme",
      status: "draft",
      period_start: NOW_S - 30 * 86_400,
      period_end: NOW_S,
      parent: { type: "subscription_details", subscription_details: { subscription: "sub_1", metadata: null }, quote_details: null },
    });
    expect(parse(signed(stripeEventBody("invoice.created", invoice)))).toMatchObject({
      kind: "invoice_created",
      invoice: { id: "in_1", providerCustomerId: "cus_acme", subscriptionId: "sub_1", status: "draft", currency: "usd", periodStart: new Date((NOW_S - 30 * 86_400) * 1000), periodEnd: NOW },
    });
  });

  it("parses event types billhub does not act on to an ignored change, not an error", () => {
    const change = parse(signed(stripeEventBody("plan.created", (stripeObject("event").data as { object: Record<string, unknown> }).object)));
    expect(change).toMatchObject({ kind: "ignored", eventType: "plan.created", eventId: "evt_1PgzV3B7WZ01zgkW9eSg2ZLf" });
  });

  it("accepts the body as bytes and headers as a plain object", () => {
    const body = stripeEventBody("product.deleted", { id: "prod_1", object: "product", deleted: true });
    const delivery = { rawBody: new TextEncoder().encode(body), headers: { "Stripe-Signature": stripeSignature(body, SECRET, NOW_S) } };
    expect(parse(delivery).kind).toBe("product_deleted");
  });
});

describe("Stripe webhooks: refusing what did not come from Stripe", () => {
  const body = stripeEventBody("price.updated", tieredMeteredPrice);

  it("refuses a signature made with another secret with WEBHOOK_SIGNATURE_INVALID that points at the raw body", () => {
    const error = thrownBillingError(() => parse(signed(body, { secret: "whsec_other" })));
    expect(error).toMatchObject({ code: "WEBHOOK_SIGNATURE_INVALID", status: 400, provider: "stripe" });
    expect(error.message).toContain("raw");
  });

  it("refuses a body that was parsed and re-serialized, since the signature covers the exact bytes", () => {
    const delivery = signed(body);
    const reserialized = JSON.stringify(JSON.parse(body));
    expect(thrownBillingError(() => parse({ ...delivery, rawBody: reserialized })).code).toBe("WEBHOOK_SIGNATURE_INVALID");
  });

  it("refuses a parsed object in place of the raw body with a message that says to pass the raw body", () => {
    const delivery = signed(body);
    const error = thrownBillingError(() => parse({ ...delivery, rawBody: JSON.parse(body) as unknown as string }));
    expect(error.code).toBe("WEBHOOK_PAYLOAD_INVALID");
    expect(error.message).toContain("raw, unparsed");
  });

  it("refuses a signature older than the tolerance, and accepts it when the tolerance is 0", () => {
    const stale = signed(body, { timestamp: NOW_S - 301 });
    expect(thrownBillingError(() => parse(stale)).message).toContain("tolerance");
    expect(parse(stale, 0).kind).toBe("price_upserted");
    expect(parse(signed(body, { timestamp: NOW_S - 300 })).kind).toBe("price_upserted");
  });

  it("refuses a request without a Stripe-Signature header", () => {
    expect(thrownBillingError(() => parse({ rawBody: body, headers: {} }))).toMatchObject({ code: "WEBHOOK_SIGNATURE_INVALID", field: "headers.stripe-signature" });
  });

  it("refuses a verified event whose object is malformed with WEBHOOK_PAYLOAD_INVALID naming the field", () => {
    const broken = stripeEventBody("price.updated", { ...tieredMeteredPrice, unit_amount_decimal: "twelve" });
    const error = thrownBillingError(() => parse(signed(broken)));
    expect(error).toMatchObject({ code: "WEBHOOK_PAYLOAD_INVALID", field: "data.object.unit_amount_decimal" });
  });

  it("refuses a signed body that is not JSON with WEBHOOK_PAYLOAD_INVALID", () => {
    expect(thrownBillingError(() => parse(signed("not json"))).code).toBe("WEBHOOK_PAYLOAD_INVALID");
  });

  it("says which option to set when no webhook secret is configured", () => {
    const error = thrownBillingError(() => parseStripeWebhook(signed(body), { secret: undefined, tolerance: 300, now: () => NOW }));
    expect(error).toMatchObject({ code: "CONFIG_INVALID", field: "stripe.webhookSecret" });
    expect(error.message).toContain("STRIPE_WEBHOOK_SECRET");
  });
});
