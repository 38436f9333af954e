import { connect } from "node:net";
import { setupServer } from "msw/node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHub, type Hub } from "../../src/hub.ts";
import { startServer, type RunningServer } from "../../src/server/serve.ts";
import { SAMPLE_CATALOG, WRITE_KEY } from "../support/api.ts";
import { stripeEventBody, stripeSignature } from "../support/stripe-events.ts";
import { openTestStore, type TestStore } from "../support/store.ts";
import { STRIPE_WEBHOOK_SECRET, stripePrice, stripeSubscription } from "../support/webhooks.ts";

/**
 * The whole service over real HTTP: the server on a random port over the test store (PGlite, or
 * PostgreSQL with DATABASE_URL), driven only through its routes, as a client would: a customer,
 * usage (single, duplicate, batch), check and consume, a signed Stripe webhook changing the plan,
 * the invoice preview, /metrics, and a clean shutdown.
 */
const NOW = new Date("2026-03-10T12:00:00.000Z");
const seconds = (date: Date) => Math.floor(date.getTime() / 1000);
// Requests to the server under test are real; nothing may reach Stripe.
const msw = setupServer();
let store: TestStore;
let hub: Hub;
let server: RunningServer;

beforeAll(async () => {
  msw.listen({ onUnhandledRequest: (request, print) => (new URL(request.url).hostname === "127.0.0.1" ? undefined : print.error()) });
  store = await openTestStore();
  hub = await createHub(
    {
      catalog: SAMPLE_CATALOG,
      server: { apiKeys: [{ key: WRITE_KEY, access: "write" }] },
      stripe: { secretKey: "sk_test_e2e", webhookSecret: STRIPE_WEBHOOK_SECRET },
    },
    { store, now: () => NOW },
  );
  server = await startServer(hub, { port: 0, host: "127.0.0.1" });
});
afterAll(async () => {
  msw.close();
  await server.close();
  await store.cleanup();
});

async function api(method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> {
  const response = await fetch(`${server.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${WRITE_KEY}`, "content-type": "application/json" },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: response.status, body: await response.json() };
}

const usage = (transactionId: string, quantity: number | string, meter = "api_calls") => ({ customerId: "acme", meter, quantity, transactionId });

describe("billhub serve, end to end", () => {
  it("answers /healthz and /readyz", async () => {
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
    expect(await (await fetch(`${server.url}/readyz`)).json()).toEqual({ ok: true, pendingMigrations: [] });
  });

  it("creates a customer linked to its Stripe customer", async () => {
    const created = await api("PUT", "/v1/customers/acme", { referenceType: "organization", name: "Acme", providerIds: { stripe: "cus_e2e_acme" } });
    expect(created).toMatchObject({ status: 201, body: { customer: { id: "acme", plan: "free" } } });
  });

  it("records usage once: single, duplicate, and a batch", async () => {
    expect(await api("POST", "/v1/usage", usage("req_1", 400))).toMatchObject({ status: 201, body: { status: "created" } });
    expect(await api("POST", "/v1/usage", usage("req_1", 400))).toMatchObject({ status: 200, body: { status: "duplicate" } });
    const batch = await api("POST", "/v1/usage/batch", { events: [usage("req_2", 250), usage("req_3", "100.5"), usage("req_1", 400), usage("tok_1", 20_000, "llm_tokens")] });
    expect(batch.status).toBe(200);
    expect(batch.body.results.map((result: { status: string }) => result.status)).toEqual(["created", "created", "duplicate", "created"]);
    expect((await api("GET", "/v1/customers/acme/usage?feature=api")).body.value).toBe("750.5");
  });

  it("checks and consumes against the live usage", async () => {
    expect(await api("POST", "/v1/entitlements/check", { customerId: "acme", feature: "api", amount: 249 })).toMatchObject({ status: 200, body: { allowed: true, limit: 1000, exact: { used: "750.5", remaining: "249.5" } } });
    expect(await api("POST", "/v1/entitlements/consume", { customerId: "acme", feature: "api", amount: 249, transactionId: "consume_1" })).toMatchObject({ status: 201, body: { status: "created", exact: { used: "999.5" } } });
    expect(await api("POST", "/v1/entitlements/consume", { customerId: "acme", feature: "api", amount: 1, transactionId: "consume_2" })).toMatchObject({ status: 403, body: { error: { code: "LIMIT_EXCEEDED" } } });
  });

  it("moves the customer to Pro when Stripe signs a subscription for them", async () => {
    const price = stripePrice({
      id: "price_pro_e2e",
      lookup_key: "pro_monthly",
      unit_amount: 4900,
      unit_amount_decimal: "4900",
      metadata: { billhub_plan: "pro" },
      recurring: { interval: "month", interval_count: 1, meter: null, usage_type: "licensed", trial_period_days: null },
    });
    const subscription = stripeSubscription({ id: "sub_e2e", customer: "cus_e2e_acme", prices: [price], periodStart: new Date("2026-03-01T00:00:00Z"), periodEnd: new Date("2026-04-01T00:00:00Z") });
    const body = stripeEventBody("customer.subscription.created", subscription, { id: "evt_e2e_sub", created: seconds(NOW) });
    const response = await fetch(`${server.url}/webhooks/stripe`, {
      method: "POST",
      headers: { "content-type": "application/json", "stripe-signature": stripeSignature(body, STRIPE_WEBHOOK_SECRET, seconds(NOW)) },
      body,
    });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ received: true, eventId: "evt_e2e_sub", outcome: "applied" });

    expect((await api("GET", "/v1/customers/acme")).body).toMatchObject({ plan: "pro", periodStart: "2026-03-01T00:00:00.000Z" });
    expect((await api("GET", "/v1/customers/acme/subscriptions")).body.subscriptions).toEqual([expect.objectContaining({ subscriptionId: "sub_e2e", status: "active", planKey: "pro" })]);
    expect(await api("POST", "/v1/entitlements/consume", { customerId: "acme", feature: "api", amount: 1, transactionId: "consume_2" })).toMatchObject({ status: 201, body: { limit: 100000 } });
  });

  it("previews the invoice of the billing period the subscription set, on the Pro plan's prices", async () => {
    const { status, body } = await api("GET", "/v1/customers/acme/invoice-preview");
    expect(status).toBe(200);
    expect(body).toMatchObject({ customerId: "acme", plan: "pro", currency: "USD", period: { from: "2026-03-01T00:00:00.000Z", to: "2026-04-01T00:00:00.000Z" } });
    // The period is cut where the subscription made acme pro (free before it, which charges
    // nothing): pro's usage lines, each naming its part, then pro's platform fee once.
    expect(body.lineItems.map((line: { chargeKey: string; quantity: string; amount: number }) => [line.chargeKey, line.quantity, line.amount])).toEqual([
      ["api", "1000.5", 0],
      ["tokens", "20000", 20],
      ["storage", "0", 0],
      ["platform", "1", 4900],
    ]);
    expect(body.lineItems[0].description).toContain("(plan pro, ");
    expect(body.subtotal).toBe(4920);
  });

  it("refuses a webhook whose signature does not match its body, and logs nothing", async () => {
    const body = stripeEventBody("customer.subscription.deleted", { id: "sub_e2e" }, { id: "evt_e2e_forged", created: seconds(NOW) });
    const forged = await fetch(`${server.url}/webhooks/stripe`, {
      method: "POST",
      headers: { "content-type": "application/json", "stripe-signature": stripeSignature(body.replace("sub_e2e", "sub_other"), STRIPE_WEBHOOK_SECRET, seconds(NOW)) },
      body,
    });
    expect(forged.status).toBe(400);
    expect((await api("GET", "/v1/webhook-events?provider=stripe")).body.events.map((event: { eventId: string }) => event.eventId)).toEqual(["evt_e2e_sub"]);
  });

  it("shows what happened at /metrics", async () => {
    const text = await (await fetch(`${server.url}/metrics`)).text();
    expect(text).toContain('billhub_usage_events_total{outcome="created"} 6');
    expect(text).toContain('billhub_usage_events_total{outcome="duplicate"} 2');
    expect(text).toContain('billhub_webhook_events_total{outcome="applied",provider="stripe"} 1');
    expect(text).toContain('billhub_webhook_events_total{outcome="rejected",provider="stripe"} 1');
    expect(text).toMatch(/billhub_http_request_duration_seconds_count\{method="POST",route="\/v1\/usage",status="201"\} 1\n/);
  });

  it("shuts down cleanly: closing resolves and the port refuses connections", async () => {
    await server.close();
    const refused = await new Promise<string>((resolve) => {
      const socket = connect({ port: server.port, host: "127.0.0.1" });
      socket.once("connect", () => {
        socket.destroy();
        resolve("connected");
      });
      socket.once("error", (error: NodeJS.ErrnoException) => resolve(error.code ?? "error"));
    });
    expect(refused).toBe("ECONNREFUSED");
  });
});
