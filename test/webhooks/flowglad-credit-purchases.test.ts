import { describe, expect, it } from "vitest";
import { createFlowgladStandIn } from "../support/msw/flowglad.ts";
import { FLOWGLAD_BASE, useWebhookHub } from "../support/webhook-hub.ts";
import { answer, FLOWGLAD_WEBHOOK_SECRET, flowgladRequest } from "../support/webhooks.ts";

const T0 = new Date("2026-03-10T12:00:00.000Z");
let clock = T0;
const flowglad = createFlowgladStandIn({
  baseUrl: FLOWGLAD_BASE,
  now: () => clock,
  pricingModel: {
    oneTimeProducts: [
      { id: "prod_pack", slug: "credit_pack", priceId: "price_pack", priceSlug: "credits_10usd", unitPrice: 1000 },
      { id: "prod_calls", slug: "call_pack", priceId: "price_calls", priceSlug: "calls_500" },
      { id: "prod_tshirt", slug: "tshirt", priceId: "price_tshirt", priceSlug: "tshirt_m" },
      { id: "prod_eur", slug: "eur_pack", priceId: "price_eur", priceSlug: "credits_eur", currency: "EUR" },
    ],
  },
});
const env = useWebhookHub(() => clock, [flowglad], {
  config: {
    flowglad: {
      secretKey: "sk_test_flowglad",
      baseUrl: FLOWGLAD_BASE,
      webhookSecret: FLOWGLAD_WEBHOOK_SECRET,
      // A price slug, a product slug, and a price in another currency than the catalog's.
      creditProducts: { credits_10usd: { amount: 1000 }, call_pack: { feature: "api", units: "500" }, credits_eur: { amount: 1000 } },
    },
  },
});

/** Flowglad's thin event: the object and its customer, never the object's state. */
const event = (object: "purchase" | "payment", id: string, externalId: string) => ({ id, object, customer: { id: `cust_${externalId}`, externalId }, pricingModelId: "pm_default" });

async function deliver(payload: unknown, svixId: string) {
  clock = new Date(clock.getTime() + 1000);
  return answer(await env.hub.webhooks.flowglad(flowgladRequest(payload, { id: svixId, sentAt: clock })));
}

const grantsOf = async (customerId: string) => (await env.hub.credits.balance(customerId)).grants.map((grant) => ({ id: grant.id, kind: grant.kind, amount: grant.amount, feature: grant.feature, source: grant.source }));

describe("Flowglad credit purchases", () => {
  it("grants a paid purchase of a credit price once per purchase, however often and by whichever event it comes", async () => {
    await env.hub.customers.upsert({ id: "buyer_fg" });
    flowglad.addCustomer({ externalId: "buyer_fg", subscriptions: [], purchases: [{ id: "prch_1", priceId: "price_pack", quantity: 2 }] });
    const first = await deliver(event("purchase", "prch_1", "buyer_fg"), "msg_buy_1");
    expect(first).toEqual({ status: 200, body: { received: true, eventId: "msg_buy_1", outcome: "applied" } });
    // The same message again, then the payment's own event about the same purchase.
    expect((await deliver(event("purchase", "prch_1", "buyer_fg"), "msg_buy_1")).body.outcome).toBe("duplicate");
    expect((await deliver(event("payment", "pay_1", "buyer_fg"), "msg_buy_2")).body.outcome).toBe("applied");
    expect(await grantsOf("buyer_fg")).toEqual([{ id: "flowglad:prch_1:1", kind: "money", amount: "2000", feature: null, source: "purchase" }]);
    const [grant] = (await env.hub.credits.balance("buyer_fg")).grants;
    expect(grant!.metadata).toEqual({ provider: "flowglad", eventId: "msg_buy_1", purchase: "prch_1", product: "credits_10usd", quantity: 2 });
    // Every delivery reads the billing: the event says nothing of what was bought.
    expect(flowglad.calls("billing")).toHaveLength(3);
  });

  it("grants units of a feature for a product slug, to the customer linked by provider_ids.flowglad", async () => {
    await env.hub.customers.upsert({ id: "org_units", providerIds: { flowglad: "units_fg" } });
    flowglad.addCustomer({ externalId: "units_fg", subscriptions: [], purchases: [{ id: "prch_calls", priceId: "price_calls", quantity: 3 }] });
    expect((await deliver(event("purchase", "prch_calls", "units_fg"), "msg_units")).body.outcome).toBe("applied");
    expect(await grantsOf("org_units")).toEqual([{ id: "flowglad:prch_calls:1", kind: "units", amount: "1500", feature: "api", source: "purchase" }]);
  });

  it("credits every paid credit purchase a payment event may be about, each once, and none unpaid", async () => {
    await env.hub.customers.upsert({ id: "payer_fg" });
    flowglad.addCustomer({
      externalId: "payer_fg",
      subscriptions: [],
      purchases: [
        { id: "prch_a", priceId: "price_pack" },
        { id: "prch_b", priceId: "price_calls", status: "pending" },
        { id: "prch_c", priceId: "price_tshirt" },
        { id: "prch_d", priceId: "price_pack", quantity: 3 },
      ],
    });
    expect((await deliver(event("payment", "pay_a", "payer_fg"), "msg_pay_a")).body.outcome).toBe("applied");
    expect((await grantsOf("payer_fg")).map((grant) => [grant.id, grant.amount])).toEqual([
      ["flowglad:prch_a:1", "1000"],
      ["flowglad:prch_d:1", "3000"],
    ]);
  });

  it("never grants a refunded purchase again once taken back, though Flowglad still lists it paid and a later payment event credits every paid purchase", async () => {
    await env.hub.customers.upsert({ id: "refund_fg" });
    flowglad.addCustomer({ externalId: "refund_fg", subscriptions: [], purchases: [{ id: "prch_refunded", priceId: "price_pack" }] });
    await deliver(event("purchase", "prch_refunded", "refund_fg"), "msg_refund_buy");
    // Refunded in Flowglad: no event comes, and the purchase stays paid in the billing.
    expect(await env.hub.credits.takeBack("refund_fg", "flowglad:prch_refunded:1", { reason: "refund pay_refunded" })).toMatchObject({ amount: "1000", status: "taken_back" });
    flowglad.addCustomer({ externalId: "refund_fg", subscriptions: [], purchases: [{ id: "prch_refunded", priceId: "price_pack" }, { id: "prch_next", priceId: "price_pack" }] });
    expect((await deliver(event("payment", "pay_next", "refund_fg"), "msg_refund_next")).body.outcome).toBe("applied");
    expect((await deliver(event("purchase", "prch_refunded", "refund_fg"), "msg_refund_buy")).body.outcome).toBe("duplicate");
    expect((await env.hub.credits.balance("refund_fg")).money).toMatchObject({ available: "1000", granted: "2000", expired: "1000" });
    expect(await grantsOf("refund_fg")).toEqual([{ id: "flowglad:prch_next:1", kind: "money", amount: "1000", feature: null, source: "purchase" }]);
  });

  it("logs a purchase of a product that is no credit product as ignored, and grants nothing", async () => {
    await env.hub.customers.upsert({ id: "shirt_fg" });
    flowglad.addCustomer({ externalId: "shirt_fg", subscriptions: [], purchases: [{ id: "prch_shirt", priceId: "price_tshirt" }] });
    const response = await deliver(event("purchase", "prch_shirt", "shirt_fg"), "msg_shirt");
    expect(response.body).toMatchObject({ outcome: "ignored" });
    const logged = (await env.hub.webhooks.events({ provider: "flowglad" })).find((entry) => entry.eventId === "msg_shirt");
    expect(logged).toMatchObject({ outcome: "ignored", error: 'purchase prch_shirt of price "tshirt_m" (product "tshirt") bought no product of flowglad.creditProducts' });
    expect(await grantsOf("shirt_fg")).toEqual([]);
  });

  it("waits for an unpaid purchase to be paid, and grants it on the payment's event", async () => {
    await env.hub.customers.upsert({ id: "later_fg" });
    flowglad.addCustomer({ externalId: "later_fg", subscriptions: [], purchases: [{ id: "prch_later", priceId: "price_pack", status: "pending" }] });
    expect((await deliver(event("purchase", "prch_later", "later_fg"), "msg_later_1")).body.outcome).toBe("ignored");
    expect(await grantsOf("later_fg")).toEqual([]);
    flowglad.addCustomer({ externalId: "later_fg", subscriptions: [], purchases: [{ id: "prch_later", priceId: "price_pack", status: "paid" }] });
    expect((await deliver(event("payment", "pay_later", "later_fg"), "msg_later_2")).body.outcome).toBe("applied");
    expect((await grantsOf("later_fg")).map((grant) => grant.id)).toEqual(["flowglad:prch_later:1"]);
  });

  it("keeps a purchase of a customer billhub does not know for its redelivery, and grants then", async () => {
    flowglad.addCustomer({ externalId: "newcomer_fg", subscriptions: [], purchases: [{ id: "prch_new", priceId: "price_pack" }] });
    expect((await deliver(event("purchase", "prch_new", "newcomer_fg"), "msg_new")).body.outcome).toBe("unknown_customer");
    await env.hub.customers.upsert({ id: "newcomer_fg" });
    expect((await deliver(event("purchase", "prch_new", "newcomer_fg"), "msg_new")).body.outcome).toBe("applied");
    expect((await grantsOf("newcomer_fg")).map((grant) => grant.id)).toEqual(["flowglad:prch_new:1"]);
  });

  it("grants nothing of a purchase in another currency than the catalog's, logs it failed and asks for a redelivery", async () => {
    await env.hub.customers.upsert({ id: "euro_fg" });
    flowglad.addCustomer({ externalId: "euro_fg", subscriptions: [], purchases: [{ id: "prch_eur", priceId: "price_eur" }] });
    const response = await deliver(event("purchase", "prch_eur", "euro_fg"), "msg_eur");
    // Not the delivery's fault: the operator fixes the catalog or the product, and the redelivery grants it.
    expect(response).toMatchObject({ status: 500, body: { error: { code: "CURRENCY_MISMATCH", field: "currency" } } });
    expect(await env.hub.webhooks.events({ provider: "flowglad", outcome: "failed" })).toEqual(expect.arrayContaining([expect.objectContaining({ eventId: "msg_eur" })]));
    expect(await grantsOf("euro_fg")).toEqual([]);
  });

  it("answers Flowglad's 429 on the billing read as retryable and grants on the redelivery", async () => {
    await env.hub.customers.upsert({ id: "busy_fg" });
    flowglad.addCustomer({ externalId: "busy_fg", subscriptions: [], purchases: [{ id: "prch_busy", priceId: "price_pack" }] });
    flowglad.inject("billing", { kind: "rate_limit", retryAfter: "1" });
    const refused = await deliver(event("purchase", "prch_busy", "busy_fg"), "msg_busy");
    expect(refused.status).toBeGreaterThanOrEqual(429);
    expect(await grantsOf("busy_fg")).toEqual([]);
    expect((await deliver(event("purchase", "prch_busy", "busy_fg"), "msg_busy")).body.outcome).toBe("applied");
    expect((await grantsOf("busy_fg")).map((grant) => grant.id)).toEqual(["flowglad:prch_busy:1"]);
  });

  it("still refreshes billing for a subscription event, and for a payment with no credit purchase", async () => {
    await env.hub.customers.upsert({ id: "sub_only_fg" });
    flowglad.addCustomer({ externalId: "sub_only_fg", subscriptions: [{ id: "sub_only" }] });
    expect((await deliver(event("payment", "pay_sub", "sub_only_fg"), "msg_sub_pay")).body.outcome).toBe("applied");
    expect((await env.hub.customers.get("sub_only_fg")).plan).toBe("pro");
    expect(await grantsOf("sub_only_fg")).toEqual([]);
  });
});
