import { describe, expect, it } from "vitest";
import { createHub } from "../../src/hub.ts";
import { createFlowgladStandIn } from "../support/msw/flowglad.ts";
import { createStripeStandIn } from "../support/msw/stripe.ts";
import { FLOWGLAD_BASE, useWebhookHub } from "../support/webhook-hub.ts";
import { answer, FLOWGLAD_EVENT_BODIES, FLOWGLAD_SUPERSEDED_ENVELOPE, flowgladRequest, stripePrice, stripeRequest } from "../support/webhooks.ts";

const T0 = new Date("2026-03-10T12:00:00.000Z");
let clock = T0;
const flowglad = createFlowgladStandIn({ baseUrl: FLOWGLAD_BASE, now: () => clock });
const stripe = createStripeStandIn({ now: () => clock });
const env = useWebhookHub(() => clock, [flowglad, stripe]);

/** Flowglad's thin event: the object and its customer, never the object's state. */
const event = (object: string, externalId: string, id = "sub_fg") => ({ id, object, customer: { id: `cust_${externalId}`, externalId }, pricingModelId: "pm_default" });

async function deliver(payload: unknown, svixId: string) {
  clock = new Date(clock.getTime() + 1000);
  return answer(await env.hub.webhooks.flowglad(flowgladRequest(payload, { id: svixId, sentAt: clock })));
}

const planOf = async (customerId: string) => (await env.hub.customers.get(customerId)).plan;

describe("Flowglad subscription events", () => {
  it("re-fetches the customer's billing and puts them on the plan their subscription's price slug maps to", async () => {
    await env.hub.customers.upsert({ id: "acme_fg" });
    flowglad.addCustomer({ externalId: "acme_fg", subscriptions: [{ id: "sub_acme" }] });
    const response = await deliver(event("subscription", "acme_fg", "sub_acme"), "msg_acme_1");
    expect(response).toEqual({ status: 200, body: { received: true, eventId: "msg_acme_1", outcome: "applied" } });
    expect(flowglad.calls("billing")).toHaveLength(1);
    expect(await env.hub.customers.get("acme_fg")).toMatchObject({ plan: "pro", periodStart: new Date("2026-03-01T00:00:00.000Z"), periodEnd: new Date("2026-04-01T00:00:00.000Z") });
    expect(await env.hub.customers.subscriptions("acme_fg")).toEqual([expect.objectContaining({ provider: "flowglad", subscriptionId: "sub_acme", providerCustomerId: "acme_fg", status: "active", planKey: "pro", lookupKeys: ["pro_monthly"] })]);
  });

  it("finds the customer by provider_ids.flowglad when they have one", async () => {
    await env.hub.customers.upsert({ id: "org_globex", providerIds: { flowglad: "globex_fg" } });
    flowglad.addCustomer({ externalId: "globex_fg", subscriptions: [{ id: "sub_globex" }] });
    expect((await deliver(event("customer", "globex_fg", "cust_globex_fg"), "msg_globex_1")).body.outcome).toBe("applied");
    expect(await planOf("org_globex")).toBe("pro");
  });

  it("converges on Flowglad's current state whatever order the events arrive in, and returns a cancelled customer to the default plan", async () => {
    await env.hub.customers.upsert({ id: "order_fg" });
    // Flowglad already cancelled: the `canceled` event arrives first, the older `created` one last.
    flowglad.addCustomer({ externalId: "order_fg", subscriptions: [] });
    await deliver(event("subscription", "order_fg", "sub_order"), "msg_order_2");
    await deliver(event("subscription", "order_fg", "sub_order"), "msg_order_1");
    expect(await planOf("order_fg")).toBe("free");

    flowglad.addCustomer({ externalId: "order_fg", subscriptions: [{ id: "sub_order" }] });
    await deliver(event("subscription", "order_fg", "sub_order"), "msg_order_3");
    expect(await planOf("order_fg")).toBe("pro");
    flowglad.addCustomer({ externalId: "order_fg", subscriptions: [] });
    await deliver(event("subscription", "order_fg", "sub_order"), "msg_order_4");
    expect(await env.hub.customers.get("order_fg")).toMatchObject({ plan: "free", onDefaultPlan: true });
    expect(await env.hub.customers.subscriptions("order_fg")).toEqual([expect.objectContaining({ subscriptionId: "sub_order", status: "ended", entitled: false })]);
  });

  it("grants the plan while a cancellation is scheduled and during a credit trial, as Flowglad keeps the subscription current", async () => {
    for (const status of ["cancellation_scheduled", "credit_trial"]) {
      const id = `${status}_fg`;
      await env.hub.customers.upsert({ id });
      flowglad.addCustomer({ externalId: id, subscriptions: [{ id: `sub_${status}`, status }] });
      expect((await deliver(event("subscription", id, `sub_${status}`), `msg_${status}`)).body.outcome).toBe("applied");
      expect(await planOf(id)).toBe("pro");
      expect(await env.hub.customers.subscriptions(id)).toEqual([expect.objectContaining({ status, entitled: true, pending: false })]);
    }
  });

  it("answers a redelivered message (same svix-id) 200 duplicate without fetching again", async () => {
    await env.hub.customers.upsert({ id: "dup_fg" });
    flowglad.addCustomer({ externalId: "dup_fg", subscriptions: [{ id: "sub_dup" }] });
    await deliver(event("subscription", "dup_fg"), "msg_dup");
    expect((await deliver(event("subscription", "dup_fg"), "msg_dup")).body.outcome).toBe("duplicate");
    expect(flowglad.calls("billing")).toHaveLength(1);
  });

  it("answers 200 unknown_customer when no billhub customer is that external id", async () => {
    flowglad.addCustomer({ externalId: "stranger_fg", subscriptions: [{ id: "sub_stranger" }] });
    expect((await deliver(event("subscription", "stranger_fg"), "msg_stranger")).body).toMatchObject({ outcome: "unknown_customer", detail: expect.stringContaining("provider_ids.flowglad") });
  });

  it("answers 503 when Flowglad cannot be reached for the billing, and applies the event when it is redelivered", async () => {
    await env.hub.customers.upsert({ id: "retry_fg" });
    flowglad.addCustomer({ externalId: "retry_fg", subscriptions: [{ id: "sub_retry" }] });
    flowglad.inject("billing", { kind: "server_error", status: 502 });
    const failed = await deliver(event("subscription", "retry_fg"), "msg_retry");
    expect(failed).toMatchObject({ status: 503, body: { error: { code: "PROVIDER_UNAVAILABLE" } } });
    expect(await planOf("retry_fg")).toBe("free");
    expect((await deliver(event("subscription", "retry_fg"), "msg_retry")).body.outcome).toBe("applied");
    expect(await planOf("retry_fg")).toBe("pro");
  });

  it("acknowledges events about other objects with 200 ignored", async () => {
    expect((await deliver({ id: "prod_1", object: "product" }, "msg_product")).body).toMatchObject({ outcome: "ignored" });
  });
});

describe("Flowglad's bodies as Flowglad sends them", () => {
  it("answers every event type Flowglad sends, in the body it builds, with 200: billing events applied, the sync stream notice ignored", async () => {
    await env.hub.customers.upsert({ id: "user_42" });
    flowglad.addCustomer({ externalId: "user_42", subscriptions: [{ id: "sub_6t4r1jzp" }] });
    for (const [type, body] of Object.entries(FLOWGLAD_EVENT_BODIES)) {
      const expected = body.object === "sync_stream" ? "ignored" : "applied";
      expect(await deliver(body, `msg_real_${type}`), type).toMatchObject({ status: 200, body: { received: true, eventId: `msg_real_${type}`, outcome: expected } });
    }
    expect(await planOf("user_42")).toBe("pro");
  });

  it("refuses the { eventType, data } envelope of Flowglad's superseded docs with 400 WEBHOOK_PAYLOAD_INVALID, logging nothing", async () => {
    const refused = await deliver(FLOWGLAD_SUPERSEDED_ENVELOPE, "msg_envelope");
    expect(refused).toMatchObject({ status: 400, body: { error: { code: "WEBHOOK_PAYLOAD_INVALID", field: "id", message: expect.stringContaining("Flowglad sends the object reference itself") } } });
    expect((await env.hub.webhooks.events({ provider: "flowglad" })).map((e) => e.eventId)).not.toContain("msg_envelope");
  });
});

describe("Flowglad signatures (Svix)", () => {
  it("refuses a forged signature, a body changed after signing and a stale timestamp with 400", async () => {
    const forged = flowgladRequest(event("subscription", "x"), { id: "msg_forged", sentAt: clock, secret: `whsec_${Buffer.from("another key").toString("base64")}` });
    expect(await answer(await env.hub.webhooks.flowglad(forged))).toMatchObject({ status: 400, body: { error: { code: "WEBHOOK_SIGNATURE_INVALID", field: "headers.svix-signature" } } });

    const signed = flowgladRequest(event("subscription", "x"), { id: "msg_tampered", sentAt: clock });
    const tampered = new Request(signed.url, { method: "POST", headers: signed.headers, body: JSON.stringify(event("subscription", "someone_else")) });
    expect((await env.hub.webhooks.flowglad(tampered)).status).toBe(400);

    const stale = flowgladRequest(event("subscription", "x"), { id: "msg_stale", sentAt: new Date(clock.getTime() - 301_000) });
    expect(await answer(await env.hub.webhooks.flowglad(stale))).toMatchObject({ status: 400, body: { error: { field: "headers.svix-timestamp", message: expect.stringContaining("more than 300s") } } });
    expect((await env.hub.webhooks.events({ provider: "flowglad" })).map((e) => e.eventId)).not.toContain("msg_forged");
  });
});

describe("Flowglad catalog sync", () => {
  it("pulls the pricing model into the price history under slugs, changes nothing when run again, and versions changes from the sync's time", async () => {
    clock = new Date("2026-04-01T00:00:00.000Z");
    const first = await env.hub.prices.sync("flowglad");
    expect(first).toEqual({ provider: "flowglad", pricingModelId: "pm_default", prices: 2, added: ["pro_monthly", "api_calls_usage"], changed: [], removed: [], unchanged: 0, stale: false });
    const atFirst = await env.hub.prices.resolverAt(clock, { provider: "flowglad" });
    expect(atFirst({ lookupKey: "api_calls_usage" })).toEqual({ scheme: "per_unit", id: "price_um_api_calls", currency: "USD", unitAmount: "0.01", transformQuantity: null });
    expect(atFirst({ lookupKey: "pro_monthly" })).toMatchObject({ unitAmount: "2900" });

    expect(await env.hub.prices.sync("flowglad")).toMatchObject({ added: [], changed: [], removed: [], unchanged: 2 });

    const syncedAt = new Date("2026-04-15T00:00:00.000Z");
    clock = syncedAt;
    const meter = flowglad.pricingModel.usageMeters[0]!;
    meter.prices[0]!.unitPrice = 2;
    flowglad.pricingModel.products[0]!.prices = [];
    expect(await env.hub.prices.sync("flowglad")).toMatchObject({ added: [], changed: ["api_calls_usage"], removed: ["price_pro_monthly"], unchanged: 0 });

    const before = await env.hub.prices.resolverAt(new Date(syncedAt.getTime() - 1));
    const after = await env.hub.prices.resolverAt(syncedAt);
    expect(before({ lookupKey: "api_calls_usage", provider: "flowglad" })).toMatchObject({ unitAmount: "0.01" });
    expect(after({ lookupKey: "api_calls_usage", provider: "flowglad" })).toMatchObject({ unitAmount: "0.02" });
    expect(after({ lookupKey: "pro_monthly", provider: "flowglad" })).toBeUndefined();
    meter.prices[0]!.unitPrice = 1;
  });

  it("asks which provider is meant when a Stripe price and a Flowglad price hold the same key", async () => {
    clock = new Date("2026-05-01T00:00:00.000Z");
    await env.hub.prices.sync("flowglad");
    const stripeEvent = stripeRequest("price.created", stripePrice({ id: "price_stripe_usage", lookup_key: "api_calls_usage" }), { id: "evt_both", created: clock, signedAt: clock });
    expect((await env.hub.webhooks.stripe(stripeEvent)).status).toBe(200);
    const resolve = await env.hub.prices.resolverAt(clock);
    expect(() => resolve({ lookupKey: "api_calls_usage" })).toThrow(expect.objectContaining({ code: "CATALOG_INVALID", message: 'Lookup key "api_calls_usage" is held by a price at flowglad and stripe; name the provider in the charge\'s price' }));
    expect(resolve({ lookupKey: "api_calls_usage", provider: "stripe" })).toMatchObject({ id: "price_stripe_usage" });
    expect((await env.hub.prices.resolverAt(clock, { provider: "flowglad" }))({ lookupKey: "api_calls_usage" })).toMatchObject({ id: "price_um_api_calls" });
  });

  it("refuses to sync without the flowglad section, naming the setting", async () => {
    const bare = await createHub({}, { store: env.store, now: () => clock });
    await expect(bare.syncFlowgladCatalog()).rejects.toMatchObject({ code: "CONFIG_INVALID", field: "flowglad.secretKey" });
    await bare.close();
  });
});
