import { setupServer } from "msw/node";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createHub, type Hub } from "../../src/hub.ts";
import { withStoreFaults } from "../support/faulty-store.ts";
import { createStripeStandIn } from "../support/msw/stripe.ts";
import { stripeEventBody, stripeSignature } from "../support/stripe-events.ts";
import { openTestStore, type TestStore } from "../support/store.ts";
import { webhookHub } from "../support/webhook-hub.ts";
import { answer, signedStripeRequest, STRIPE_WEBHOOK_SECRET, stripePrice, stripeRequest } from "../support/webhooks.ts";

const NOW = new Date("2026-03-10T12:00:00.000Z");
const NOW_S = NOW.getTime() / 1000;
const stripe = createStripeStandIn({ now: () => NOW });
const server = setupServer(...stripe.handlers);
let store: TestStore;
let hub: Hub;
let faulty: ReturnType<typeof withStoreFaults>;
let faultyHub: Hub;

beforeAll(async () => {
  server.listen({ onUnhandledRequest: "error" });
  store = await openTestStore();
  hub = await webhookHub(store, () => NOW);
  faulty = withStoreFaults(store);
  faultyHub = await webhookHub(faulty.store, () => NOW);
});
afterEach(() => {
  faulty.heal();
  server.resetHandlers();
  stripe.reset();
});
afterAll(async () => {
  server.close();
  await hub.close();
  await faultyHub.close();
  await store.cleanup();
});

const priceBody = (eventId: string, priceId = "price_sig_1") => stripeEventBody("price.created", stripePrice({ id: priceId, lookup_key: `${priceId}_key` }), { id: eventId, created: NOW_S });

async function logged(eventId: string) {
  return (await hub.webhooks.events({ limit: 1000 })).filter((event) => event.eventId === eventId);
}

describe("Stripe signatures and bodies", () => {
  it("refuses a request without Stripe-Signature with 400 saying what is missing, and logs nothing", async () => {
    const request = new Request("http://billhub.test/webhooks/stripe", { method: "POST", body: priceBody("evt_nosig") });
    expect(await answer(await hub.webhooks.stripe(request))).toEqual({
      status: 400,
      body: { error: { code: "WEBHOOK_SIGNATURE_INVALID", message: expect.stringContaining("Missing Stripe-Signature header"), field: "headers.stripe-signature" } },
    });
    expect(await logged("evt_nosig")).toEqual([]);
  });

  it("refuses a forged signature (another secret), asking for the raw body and the endpoint's own secret", async () => {
    const response = await answer(await hub.webhooks.stripe(signedStripeRequest(priceBody("evt_forged"), { signedAt: NOW, secret: "whsec_someone_else" })));
    expect(response.status).toBe(400);
    expect(response.body.error).toMatchObject({ code: "WEBHOOK_SIGNATURE_INVALID", message: expect.stringContaining("Pass the raw, unparsed request body and the endpoint's own whsec_ secret") });
    expect(await logged("evt_forged")).toEqual([]);
  });

  it("refuses a body that was re-serialized after signing (the raw, unparsed body is needed)", async () => {
    const body = priceBody("evt_reserialized");
    const signature = stripeSignature(body, STRIPE_WEBHOOK_SECRET, NOW_S);
    const request = signedStripeRequest(JSON.stringify(JSON.parse(body)), { signedAt: NOW, signature });
    const response = await answer(await hub.webhooks.stripe(request));
    expect(response.status).toBe(400);
    expect(response.body.error).toMatchObject({ code: "WEBHOOK_SIGNATURE_INVALID", message: expect.stringContaining("raw, unparsed request body") });
  });

  it("refuses a signature older than the tolerance (300 s by default)", async () => {
    const stale = await answer(await hub.webhooks.stripe(signedStripeRequest(priceBody("evt_stale_sig"), { signedAt: new Date(NOW.getTime() - 301_000) })));
    expect(stale).toMatchObject({ status: 400, body: { error: { code: "WEBHOOK_SIGNATURE_INVALID", message: expect.stringContaining("Timestamp outside the tolerance zone") } } });
    const fresh = await answer(await hub.webhooks.stripe(signedStripeRequest(priceBody("evt_fresh_sig", "price_sig_fresh"), { signedAt: new Date(NOW.getTime() - 299_000) })));
    expect(fresh).toMatchObject({ status: 200, body: { outcome: "applied" } });
  });

  it("takes the tolerance from config; 0 disables the age check", async () => {
    const lenient = await webhookHub(store, () => NOW, { config: { stripe: { secretKey: "sk_test_webhooks", webhookSecret: STRIPE_WEBHOOK_SECRET, webhookTolerance: 0 } } });
    const strict = await webhookHub(store, () => NOW, { config: { stripe: { secretKey: "sk_test_webhooks", webhookSecret: STRIPE_WEBHOOK_SECRET, webhookTolerance: 10 } } });
    const old = () => signedStripeRequest(priceBody("evt_old_sig", "price_sig_old"), { signedAt: new Date(NOW.getTime() - 3 * 86_400_000) });
    expect((await strict.webhooks.stripe(old())).status).toBe(400);
    expect(await answer(await lenient.webhooks.stripe(old()))).toMatchObject({ status: 200, body: { outcome: "applied" } });
    const recent = signedStripeRequest(priceBody("evt_recent_sig", "price_sig_recent"), { signedAt: new Date(NOW.getTime() - 11_000) });
    expect((await strict.webhooks.stripe(recent)).status).toBe(400);
    await lenient.close();
    await strict.close();
  });

  it("refuses a truncated signature", async () => {
    const body = priceBody("evt_truncated");
    const signature = stripeSignature(body, STRIPE_WEBHOOK_SECRET, NOW_S).slice(0, -10);
    const response = await answer(await hub.webhooks.stripe(signedStripeRequest(body, { signedAt: NOW, signature })));
    expect(response).toMatchObject({ status: 400, body: { error: { code: "WEBHOOK_SIGNATURE_INVALID" } } });
  });

  it("refuses a correctly signed body that is not JSON with WEBHOOK_PAYLOAD_INVALID", async () => {
    const response = await answer(await hub.webhooks.stripe(signedStripeRequest('{"id": "evt_broken", "object": "event",', { signedAt: NOW })));
    expect(response).toMatchObject({ status: 400, body: { error: { code: "WEBHOOK_PAYLOAD_INVALID", field: "rawBody", message: expect.stringContaining("not a Stripe event") } } });
  });

  it("refuses a correctly signed event whose object is malformed, naming the field", async () => {
    const price = stripePrice({ id: "price_malformed" });
    delete price.currency;
    const response = await answer(await hub.webhooks.stripe(stripeRequest("price.created", price, { id: "evt_malformed", created: NOW })));
    expect(response).toMatchObject({ status: 400, body: { error: { code: "WEBHOOK_PAYLOAD_INVALID", field: "data.object.currency" } } });
    expect(await logged("evt_malformed")).toEqual([]);
  });

  it("answers 500 CONFIG_INVALID (so the provider keeps the event) when the provider is not configured", async () => {
    const bare = await createHub({}, { store, now: () => NOW });
    const response = await answer(await bare.webhooks.flowglad(new Request("http://billhub.test/webhooks/flowglad", { method: "POST", body: "{}" })));
    expect(response).toMatchObject({ status: 500, body: { error: { code: "CONFIG_INVALID", message: expect.stringContaining("set FLOWGLAD_SECRET_KEY and FLOWGLAD_WEBHOOK_SECRET") } } });
    await bare.close();
  });
});

describe("when the database fails", () => {
  it("answers 503 with Retry-After while the database is down, and applies the event once when it is redelivered", async () => {
    faulty.failWhen(() => true);
    const down = await faultyHub.webhooks.stripe(stripeRequest("price.created", stripePrice({ id: "price_db_down", lookup_key: "db_down_key" }), { id: "evt_db_down", created: NOW }));
    expect(down.status).toBe(503);
    expect(down.headers.get("retry-after")).toBe("60");
    expect(await down.json()).toEqual({ error: { code: "STORE_UNAVAILABLE", message: "The database is not reachable; try again shortly" } });

    faulty.heal();
    const again = () => faultyHub.webhooks.stripe(stripeRequest("price.created", stripePrice({ id: "price_db_down", lookup_key: "db_down_key" }), { id: "evt_db_down", created: NOW }));
    expect(await answer(await again())).toMatchObject({ status: 200, body: { outcome: "applied" } });
    expect(await answer(await again())).toMatchObject({ status: 200, body: { outcome: "duplicate" } });
    expect(await hub.priceHistory({ priceId: "price_db_down" })).toHaveLength(1);
  });

  it("never marks an event applied without its effect: a failure mid-transaction rolls both back", async () => {
    faulty.failWhen((sql) => sql.includes("INSERT INTO provider_price_versions"));
    const request = () => faultyHub.webhooks.stripe(stripeRequest("price.created", stripePrice({ id: "price_mid_tx", lookup_key: "mid_tx_key" }), { id: "evt_mid_tx", created: NOW }));
    expect((await request()).status).toBe(503);
    expect(await hub.priceHistory({ priceId: "price_mid_tx" })).toEqual([]);
    const versions = await store.query("SELECT 1 FROM provider_objects WHERE object_id = 'price_mid_tx'");
    expect(versions.rows).toEqual([]);
    expect(await logged("evt_mid_tx")).toEqual([expect.objectContaining({ outcome: "failed", error: expect.stringContaining("STORE_UNAVAILABLE") })]);

    faulty.heal();
    expect(await answer(await request())).toMatchObject({ status: 200, body: { outcome: "applied" } });
    expect(await hub.priceHistory({ priceId: "price_mid_tx" })).toHaveLength(1);
    expect(await logged("evt_mid_tx")).toEqual([expect.objectContaining({ outcome: "applied", error: null, attempts: 2 })]);
  });
});

describe("a delivery whose body never arrives whole", () => {
  it("is answered 400 naming the body, counted as no outcome, and leaves no trace in the webhook log", async () => {
    const failedBefore = /billhub_webhook_events_total\{outcome="failed",provider="stripe"\} (\d+)/.exec(await hub.metrics.render())?.[1] ?? "0";
    const logBefore = (await store.query("SELECT count(*)::int AS n FROM webhook_events")).rows[0]!.n;
    // The connection ends after the first bytes (the sender went away, or the server's deadline ended the request).
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new TextEncoder().encode('{"id":"evt_cut'));
        controller.error(new Error("aborted"));
      },
    });
    const cut = new Request("http://billhub.test/webhooks/stripe", { method: "POST", body, headers: { "stripe-signature": "t=1,v1=00" }, duplex: "half" } as RequestInit);
    const answered = await hub.webhooks.stripe(cut);
    expect(answered.status).toBe(400);
    expect(await answered.json()).toEqual({ error: { code: "VALIDATION_FAILED", message: expect.stringContaining("body could not be read"), field: "body" } });
    expect(/billhub_webhook_events_total\{outcome="failed",provider="stripe"\} (\d+)/.exec(await hub.metrics.render())?.[1] ?? "0").toBe(failedBefore);
    expect((await store.query("SELECT count(*)::int AS n FROM webhook_events")).rows[0]!.n).toBe(logBefore);
  });
});

describe("metrics", () => {
  it("counts deliveries by provider and outcome", async () => {
    await hub.webhooks.stripe(stripeRequest("charge.refunded", { id: "ch_m", object: "charge" }, { id: "evt_metric_1", created: NOW }));
    await hub.webhooks.stripe(signedStripeRequest(priceBody("evt_metric_2"), { signedAt: NOW, secret: "whsec_wrong" }));
    const text = await hub.metrics.render();
    expect(text).toMatch(/billhub_webhook_events_total\{outcome="ignored",provider="stripe"\} [1-9]/);
    expect(text).toMatch(/billhub_webhook_events_total\{outcome="rejected",provider="stripe"\} [1-9]/);
  });
});
