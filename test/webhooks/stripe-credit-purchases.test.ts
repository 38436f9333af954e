import { http, HttpResponse } from "msw";
import { setupServer } from "msw/node";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { Hub } from "../../src/hub.ts";
import { stripeObject } from "../support/stripe-events.ts";
import { openTestStore, type TestStore } from "../support/store.ts";
import { webhookHub } from "../support/webhook-hub.ts";
import { answer, STRIPE_WEBHOOK_SECRET, stripeRequest } from "../support/webhooks.ts";

const API = "https://api.stripe.com";
const NOW = new Date("2026-03-10T12:00:00.000Z");
const lineItemCalls: string[] = [];
let lineItemFault: Response | undefined;

/** A Checkout line item as Stripe lists it (`GET /v1/checkout/sessions/:id/line_items`): the price's product is an id. */
function item(product: string, quantity: number, currency = "usd") {
  const base = stripeObject("item");
  return { ...base, id: `li_${product}_${quantity}`, quantity, currency, price: { ...(base.price as Record<string, unknown>), product, currency } };
}

const sessionItems: Record<string, unknown[]> = {
  cs_paid: [item("prod_pack", 2), item("prod_tshirt", 1)],
  cs_units: [item("prod_calls", 3)],
  cs_eur: [item("prod_pack", 1, "eur")],
};

const server = setupServer(
  http.get(`${API}/v1/checkout/sessions/:id/line_items`, ({ params }) => {
    lineItemCalls.push(String(params.id));
    if (lineItemFault) return lineItemFault.clone();
    const data = sessionItems[String(params.id)];
    if (data === undefined) return HttpResponse.json({ error: { type: "invalid_request_error", code: "resource_missing", message: `No such checkout.session: '${String(params.id)}'` } }, { status: 404 });
    return HttpResponse.json({ object: "list", data, has_more: false, url: `/v1/checkout/sessions/${String(params.id)}/line_items` });
  }),
  http.get(`${API}/v1/invoices/:id/lines`, ({ params }) =>
    HttpResponse.json({
      object: "list",
      data: [invoiceLine("prod_pack", 1), invoiceLine("prod_calls", 2)],
      has_more: false,
      url: `/v1/invoices/${String(params.id)}/lines`,
    }),
  ),
);

function invoiceLine(product: string, quantity: number) {
  return { ...stripeObject("line_item"), id: `il_${product}`, quantity, currency: "usd", pricing: { type: "price_details", price_details: { price: `price_${product}`, product }, unit_amount_decimal: "1000" } };
}

let store: TestStore;
let hub: Hub;

beforeAll(async () => {
  server.listen({ onUnhandledRequest: "error" });
  store = await openTestStore();
  hub = await webhookHub(store, () => NOW, {
    config: { stripe: { secretKey: "sk_test_webhooks", webhookSecret: STRIPE_WEBHOOK_SECRET, creditProducts: { prod_pack: { amount: 1000 }, prod_calls: { feature: "api", units: "500" } } } },
  });
  await hub.upsertCustomer({ id: "org_1", providerIds: { stripe: "cus_1" } });
});
afterEach(() => {
  lineItemCalls.length = 0;
  lineItemFault = undefined;
});
afterAll(async () => {
  server.close();
  await hub.close();
  await store.cleanup();
});

function session(id: string, overrides: Record<string, unknown> = {}) {
  return stripeObject("checkout.session", { id, mode: "payment", status: "complete", payment_status: "paid", customer: "cus_1", invoice: null, ...overrides });
}

async function deliver(type: string, object: Record<string, unknown>, id: string) {
  return answer(await hub.webhooks.stripe(stripeRequest(type, object, { id, created: NOW })));
}

async function grants() {
  return (await hub.credits.balance("org_1")).grants.map((grant) => [grant.id, grant.kind, grant.currency ?? grant.feature, grant.amount, grant.source]);
}

describe("credit purchases from Stripe", () => {
  it("grants a paid Checkout Session's credit products once, however often the event comes", async () => {
    expect(await deliver("checkout.session.completed", session("cs_paid"), "evt_paid")).toMatchObject({ status: 200, body: { outcome: "applied" } });
    expect(await deliver("checkout.session.completed", session("cs_paid"), "evt_paid")).toMatchObject({ status: 200, body: { outcome: "duplicate" } });
    // Another event about the same session (a resend under a new id) grants nothing more.
    expect(await deliver("checkout.session.async_payment_succeeded", session("cs_paid"), "evt_paid_again")).toMatchObject({ status: 200 });
    expect(await grants()).toEqual([["stripe:cs_paid:1", "money", "USD", "2000", "purchase"]]);
    expect((await hub.credits.balance("org_1")).money.available).toBe("2000");
  });

  it("grants units of a feature per item bought", async () => {
    await deliver("checkout.session.completed", session("cs_units"), "evt_units");
    expect((await hub.credits.balance("org_1")).units.api).toMatchObject({ available: "1500", granted: "1500" });
  });

  it("grants an invoice.paid's credit lines, and leaves a session with an invoice to it", async () => {
    expect(await deliver("checkout.session.completed", session("cs_with_invoice", { invoice: "in_1" }), "evt_cs_inv")).toMatchObject({ body: { outcome: "ignored" } });
    const invoice = stripeObject("invoice", { id: "in_1", customer: "cus_1", status: "paid", lines: { object: "list", data: [invoiceLine("prod_pack", 3)], has_more: true, url: "/v1/invoices/in_1/lines" } });
    expect(await deliver("invoice.paid", invoice, "evt_inv")).toMatchObject({ status: 200, body: { outcome: "applied" } });
    const ids = (await grants()).map((grant) => grant[0]);
    // has_more: every line is read from Stripe, not only those in the event.
    expect(ids).toEqual(expect.arrayContaining(["stripe:in_1:1", "stripe:in_1:2"]));
    const history = await hub.credits.history("org_1", { grantId: "stripe:in_1:2" });
    expect(history.entries).toEqual([expect.objectContaining({ kind: "grant", amount: "1000" })]);
  });

  it("does not credit an unpaid session, one without a customer, or one without credit products", async () => {
    expect(await deliver("checkout.session.completed", session("cs_unpaid", { payment_status: "unpaid" }), "evt_unpaid")).toMatchObject({ body: { outcome: "ignored" } });
    expect(await deliver("checkout.session.completed", session("cs_guest", { customer: null }), "evt_guest")).toMatchObject({ body: { outcome: "ignored" } });
    sessionItems.cs_plain = [item("prod_tshirt", 1)];
    expect(await deliver("checkout.session.completed", session("cs_plain"), "evt_plain")).toMatchObject({ body: { outcome: "ignored" } });
    expect(lineItemCalls).toEqual(["cs_plain"]);
  });

  it("keeps a purchase of an unknown customer for its redelivery, and grants then", async () => {
    expect(await deliver("checkout.session.completed", session("cs_units", { customer: "cus_later" }), "evt_later")).toMatchObject({ status: 200, body: { outcome: "unknown_customer" } });
    await hub.upsertCustomer({ id: "org_later", providerIds: { stripe: "cus_later" } });
    expect(await deliver("checkout.session.completed", session("cs_units", { customer: "cus_later" }), "evt_later")).toMatchObject({ body: { outcome: "applied" } });
    expect((await hub.credits.balance("org_later")).units.api!.granted).toBe("1500");
  });

  it("grants nothing of a purchase in another currency than the catalog's, logs it failed and asks for a redelivery", async () => {
    const refused = await deliver("checkout.session.completed", session("cs_eur"), "evt_eur");
    // Not the delivery's fault: the operator fixes the catalog or the product, and the redelivery grants it.
    expect(refused).toMatchObject({ status: 500, body: { error: { code: "CURRENCY_MISMATCH", field: "currency" } } });
    expect(await hub.webhooks.events({ provider: "stripe", outcome: "failed" })).toEqual(expect.arrayContaining([expect.objectContaining({ eventId: "evt_eur" })]));
    expect((await grants()).some(([id]) => String(id).startsWith("stripe:cs_eur"))).toBe(false);
  });

  it("answers Stripe's 429 with a retryable error and grants on the redelivery", async () => {
    lineItemFault = HttpResponse.json({ error: { type: "rate_limit_error", message: "Too many requests" } }, { status: 429, headers: { "retry-after": "2" } });
    sessionItems.cs_busy = [item("prod_pack", 1)];
    const busy = await deliver("checkout.session.completed", session("cs_busy"), "evt_busy");
    expect(busy).toMatchObject({ status: 503, body: { error: { code: "PROVIDER_RATE_LIMITED" } } });
    expect((await grants()).some(([id]) => id === "stripe:cs_busy:1")).toBe(false);
    lineItemFault = HttpResponse.json({ error: { type: "api_error", message: "Something went wrong" } }, { status: 500 });
    expect((await deliver("checkout.session.completed", session("cs_busy"), "evt_busy")).status).toBe(503);
    lineItemFault = undefined;
    expect(await deliver("checkout.session.completed", session("cs_busy"), "evt_busy")).toMatchObject({ body: { outcome: "applied" } });
    expect((await grants()).filter(([id]) => id === "stripe:cs_busy:1")).toHaveLength(1);
  });
});
