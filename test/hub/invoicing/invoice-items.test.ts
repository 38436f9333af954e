import { http, HttpResponse } from "msw";
import { setupServer } from "msw/node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Hub } from "../../../src/hub.ts";
import { customer, invoicingHub, INVOICING_CATALOG, use } from "../../support/invoicing.ts";
import { createStripeStandIn } from "../../support/msw/stripe.ts";
import { stripeObject } from "../../support/stripe-events.ts";
import { driverName, openTestStore, type TestStore } from "../../support/store.ts";
import { answer, STRIPE_WEBHOOK_SECRET, stripePrice, stripeRequest } from "../../support/webhooks.ts";

const clock = { now: new Date("2026-11-01T01:00:00.000Z") };
const stripe = createStripeStandIn({ now: () => clock.now });
const server = setupServer(...stripe.handlers);
let store: TestStore;
let hub: Hub;

const OCT_START = 1_790_812_800; // 2026-10-01T00:00:00Z
const NOV_START = 1_793_491_200; // 2026-11-01T00:00:00Z
const STRIPE = {
  secretKey: "sk_test_invoice_items",
  webhookSecret: STRIPE_WEBHOOK_SECRET,
  meters: { api_calls: { eventName: "api_call" } },
  invoiceItems: { enabled: true },
};

/** A draft invoice Stripe holds for the customer's October, and the signed `invoice.created` event carrying it. */
function draftInvoice(id: string, stripeCustomer: string, overrides: Record<string, unknown> = {}) {
  const invoice = stripeObject("invoice", {
    id,
    customer: stripeCustomer,
    status: "draft",
    currency: "usd",
    billing_reason: "subscription_cycle",
    period_start: OCT_START,
    period_end: NOV_START,
    subscription: `sub_${stripeCustomer}`,
    ...overrides,
  });
  stripe.putObject("invoice", invoice);
  return invoice;
}

async function deliver(invoice: Record<string, unknown>, eventId: string) {
  return answer(await hub.webhooks.stripe(stripeRequest("invoice.created", invoice, { id: eventId, created: clock.now })));
}

const lines = (invoiceId: string) => stripe.invoiceItems(invoiceId).map((item) => [(item.metadata as Record<string, string>).billhub_line, item.amount]);

/** Usage Stripe's meter took for October, and usage only billhub can bill. */
async function octoberUsage(id: string) {
  await use(hub, id, "api_calls", 3000, "2026-10-03T10:00:00Z");
  await use(hub, id, "payments", 20_000, "2026-10-05T00:00:00Z");
  await use(hub, id, "payments", 10_000, "2026-10-06T00:00:00Z");
  await use(hub, id, "payments", 5000, "2026-10-07T00:00:00Z");
  await use(hub, id, "storage_gb", 12, "2026-10-09T00:00:00Z");
}

beforeAll(async () => {
  server.listen({ onUnhandledRequest: "error" });
  store = await openTestStore();
  hub = await invoicingHub(store, () => clock.now, { config: { provider: { default: "stripe" }, stripe: STRIPE } });
});
afterAll(async () => {
  server.close();
  await hub.close();
  await store.cleanup();
});

describe(`Stripe invoice-items billing on invoice.created (${driverName})`, () => {
  it("adds the period's lines Stripe's meters cannot bill to the draft invoice, once, with deterministic keys", async () => {
    await customer(hub, "acme", { plan: "pro", stripe: "cus_acme" });
    await octoberUsage("acme");
    const invoice = draftInvoice("in_acme_oct", "cus_acme");
    expect((await deliver(invoice, "evt_acme_created")).body).toMatchObject({ outcome: "applied" });

    // Stripe bills the platform fee (a subscription price) and API calls (its meter); billhub adds
    // payment fees (percentage), storage (a meter Stripe is not sent) and the commitment true-up.
    expect(lines("in_acme_oct")).toEqual([
      ["payments", 200],
      ["storage", 50],
      ["minimum_commitment", 3850],
    ]);
    expect(stripe.invoiceItems("in_acme_oct")[0]).toMatchObject({
      customer: "cus_acme",
      currency: "usd",
      description: "Payment fees: 1.2 % of 150.00 USD + 0.10 USD × 2 events",
      period: { start: OCT_START, end: NOV_START },
      metadata: { billhub_line: "payments", billhub_customer: "acme", billhub_charge: "payments" },
    });
    expect(stripe.calls("create_invoice_item").map((call) => call.idempotencyKey)).toEqual([
      "billhub:in_acme_oct:payments",
      "billhub:in_acme_oct:storage",
      "billhub:in_acme_oct:minimum_commitment",
    ]);
    // Its October is closed in the ledger: what was billed is final.
    await expect(use(hub, "acme", "payments", 999, "2026-10-30T00:00:00Z")).rejects.toMatchObject({ code: "PERIOD_CLOSED" });
  });

  it("adds nothing when the invoice is handed over again after Stripe forgot the idempotency keys", async () => {
    stripe.expireIdempotencyKeys();
    const creates = stripe.calls("create_invoice_item").length;
    const again = await deliver(draftInvoice("in_acme_oct", "cus_acme"), "evt_acme_created_resent");
    expect(again.body).toMatchObject({ outcome: "applied" });
    expect(stripe.calls("create_invoice_item")).toHaveLength(creates);
    expect(lines("in_acme_oct")).toHaveLength(3);
    expect((await deliver(draftInvoice("in_acme_oct", "cus_acme"), "evt_acme_created")).body).toMatchObject({ outcome: "duplicate" });
  });

  it("answers 5xx when Stripe fails midway, and completes only the missing lines when Stripe redelivers", async () => {
    await customer(hub, "beta", { plan: "pro", stripe: "cus_beta" });
    await octoberUsage("beta");
    const invoice = draftInvoice("in_beta_oct", "cus_beta");
    let creates = 0;
    server.use(
      http.post("https://api.stripe.com/v1/invoiceitems", () => {
        creates += 1;
        if (creates === 2) return HttpResponse.json({ error: { type: "invalid_request_error", code: "rate_limit", message: "Request rate limit exceeded." } }, { status: 429 });
        return undefined;
      }),
    );
    const failed = await deliver(invoice, "evt_beta_created");
    expect(failed.status).toBe(503);
    expect(failed.body).toMatchObject({ error: { code: "PROVIDER_RATE_LIMITED" } });
    expect(lines("in_beta_oct")).toEqual([["payments", 200]]);
    expect((await hub.webhooks.events({ outcome: "failed" })).map((event) => event.eventId)).toContain("evt_beta_created");

    stripe.expireIdempotencyKeys();
    const redelivered = await deliver(invoice, "evt_beta_created");
    expect(redelivered).toMatchObject({ status: 200, body: { outcome: "applied" } });
    expect(lines("in_beta_oct")).toEqual([
      ["payments", 200],
      ["storage", 50],
      ["minimum_commitment", 3850],
    ]);
    server.resetHandlers();
  });

  it("ignores invoices that are not drafts and invoices without a usage period", async () => {
    await customer(hub, "gamma", { plan: "pro", stripe: "cus_gamma" });
    await octoberUsage("gamma");
    const before = stripe.calls().length;
    expect((await deliver(draftInvoice("in_gamma_open", "cus_gamma", { status: "open" }), "evt_gamma_open")).body).toMatchObject({ outcome: "applied" });
    expect((await deliver(draftInvoice("in_gamma_first", "cus_gamma", { period_start: NOV_START, period_end: NOV_START }), "evt_gamma_first")).body).toMatchObject({ outcome: "applied" });
    expect(stripe.calls().length).toBe(before);
    expect(stripe.invoiceItems()).toHaveLength(6);
    expect((await use(hub, "gamma", "payments", 1, "2026-10-30T00:00:00Z")).status).toBe("created");
  });

  it("bills usage Stripe refused as older than 35 days as what it adds to the metered line", async () => {
    await customer(hub, "delta", { plan: "pro", stripe: "cus_delta" });
    await use(hub, "delta", "api_calls", 2000, "2026-10-20T00:00:00Z");
    const old = await use(hub, "delta", "api_calls", 1000, "2026-10-01T00:00:00Z");
    // What the forwarder does when Stripe refuses the event: the row is dead with USAGE_TOO_OLD.
    await store.query("UPDATE usage_outbox SET status = 'dead', attempts = 1, last_error = 'USAGE_TOO_OLD: Stripe takes meter events of the past 35 days only' WHERE transaction_id = $1", [old.event.transactionId]);
    await deliver(draftInvoice("in_delta_oct", "cus_delta"), "evt_delta_created");
    // 3,000 calls less 1,000 included bill 1,000 ¢; Stripe has 2,000 (500 ¢): billhub adds 500 ¢.
    expect(lines("in_delta_oct")).toEqual([
      ["minimum_commitment", 4100],
      ["api:too_old", 500],
    ]);
    expect(stripe.invoiceItems("in_delta_oct")[1]).toMatchObject({ description: "API calls: 1000 units older than 35 days that Stripe's meter could not take" });
  });

  it("prices a plan whose charges take Stripe prices by lookup key with the price in effect at the period's end", async () => {
    const price = stripePrice({ id: "price_api_v2", unit_amount_decimal: "0.4", created: OCT_START + 86_400 });
    expect((await answer(await hub.webhooks.stripe(stripeRequest("price.created", price, { id: "evt_price_v2", created: new Date((OCT_START + 86_400) * 1000), signedAt: clock.now })))).body).toMatchObject({ outcome: "applied" });
    await customer(hub, "zeta", { plan: "metered", stripe: "cus_zeta" });
    await use(hub, "zeta", "api_calls", 5000, "2026-10-10T00:00:00Z");
    for (let i = 0; i < 120; i += 1) await use(hub, "zeta", "requests", 1, `2026-10-11T00:${String(Math.floor(i / 60)).padStart(2, "0")}:${String(i % 60).padStart(2, "0")}Z`);
    await deliver(draftInvoice("in_zeta_oct", "cus_zeta"), "evt_zeta_created");
    // API calls go through Stripe's meter at Stripe's price; requests (not sent to Stripe) are billed here.
    expect(lines("in_zeta_oct")).toEqual([["requests", 400]]);
  });

  it("answers 5xx for an invoice of a Stripe customer billhub does not know, so Stripe redelivers it once linked", async () => {
    const invoice = draftInvoice("in_unknown", "cus_unknown");
    const refused = await deliver(invoice, "evt_unknown");
    expect(refused).toMatchObject({ status: 500, body: { error: { code: "CUSTOMER_NOT_FOUND" } } });
    await customer(hub, "linked", { plan: "pro", stripe: "cus_unknown" });
    await use(hub, "linked", "storage_gb", 20, "2026-10-10T00:00:00Z");
    expect((await deliver(invoice, "evt_unknown")).body).toMatchObject({ outcome: "applied" });
    expect(lines("in_unknown")).toEqual([
      ["storage", 250],
      ["minimum_commitment", 4850],
    ]);
  });
});

describe(`invoice-items configuration (${driverName})`, () => {
  it("bills exactly the configured charges", async () => {
    const configured = await invoicingHub(store, () => clock.now, { config: { stripe: { ...STRIPE, invoiceItems: { enabled: true, charges: ["platform"] } } } });
    await customer(configured, "epsilon", { plan: "pro", stripe: "cus_epsilon" });
    await octoberUsage("epsilon");
    const invoice = draftInvoice("in_epsilon", "cus_epsilon");
    await configured.webhooks.stripe(stripeRequest("invoice.created", invoice, { id: "evt_epsilon", created: clock.now }));
    expect(lines("in_epsilon")).toEqual([["platform", 4900]]);
    await configured.close();
  });

  it("adds a prorated flat fee of each part as its own item, keyed by the part, so neither is taken for the other", async () => {
    const team = { name: "Team", charges: [{ key: "platform", model: "flat" as const, amount: 9900, description: "Platform fee" }] };
    const prorated = await invoicingHub(store, () => clock.now, {
      config: { catalog: { ...INVOICING_CATALOG, proration: "day", plans: { ...INVOICING_CATALOG.plans, team } }, stripe: { ...STRIPE, invoiceItems: { enabled: true, charges: ["platform"] } } },
    });
    await customer(prorated, "eta", { plan: "pro", stripe: "cus_eta" });
    await prorated.assign("eta", "team", { effectiveAt: "2026-10-10T00:00:00Z" });
    const invoice = draftInvoice("in_eta", "cus_eta");
    await prorated.webhooks.stripe(stripeRequest("invoice.created", invoice, { id: "evt_eta", created: clock.now }));
    // pro for 9 of 31 days: 4900 × 9/31 = 1422.58 → 1423; team for 22: 9900 × 22/31 = 7025.8 → 7026.
    expect(lines("in_eta")).toEqual([
      ["platform@2026-10-01T00:00:00.000Z", 1423],
      ["platform@2026-10-10T00:00:00.000Z", 7026],
    ]);
    await prorated.close();
  });

  it("refuses at start-up a charge key no plan has, naming the valid ones", async () => {
    await expect(invoicingHub(store, () => clock.now, { config: { stripe: { ...STRIPE, invoiceItems: { enabled: true, charges: ["platfrom"] } } } })).rejects.toMatchObject({
      code: "CONFIG_INVALID",
      field: "stripe.invoiceItems.charges.0",
      message: expect.stringContaining("api, minimum_commitment, payments, platform, requests, storage"),
    });
    expect(Object.keys(INVOICING_CATALOG.plans)).toContain("pro");
  });

  it("leaves invoice.created to the caller's handler when invoice items are off", async () => {
    const seen: string[] = [];
    const plain = await invoicingHub(store, () => clock.now, {
      config: { stripe: { ...STRIPE, invoiceItems: { enabled: false } } },
      hub: { onInvoiceCreated: async (event) => void seen.push(event.invoice.id) },
    });
    const before = stripe.invoiceItems().length;
    await plain.webhooks.stripe(stripeRequest("invoice.created", draftInvoice("in_plain", "cus_acme"), { id: "evt_plain", created: clock.now }));
    expect(seen).toEqual(["in_plain"]);
    expect(stripe.invoiceItems()).toHaveLength(before);
    await plain.close();
  });
});
