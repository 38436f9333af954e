import { setupServer } from "msw/node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Hub } from "../../src/hub.ts";
import { apiHub, READ_KEY, type Call } from "../support/api.ts";
import { openTestStore, type TestStore } from "../support/store.ts";
import { STRIPE_WEBHOOK_SECRET, stripePrice, stripeRequest } from "../support/webhooks.ts";

const NOW = new Date("2026-03-10T12:00:00.000Z");
// No request may leave the process: a price event that needed a re-read would fail the test.
const msw = setupServer();
let store: TestStore;
let hub: Hub;
let call: Call;

beforeAll(async () => {
  msw.listen({ onUnhandledRequest: "error" });
  store = await openTestStore();
  ({ hub, call } = await apiHub(store, { config: { stripe: { secretKey: "sk_test_catalog", webhookSecret: STRIPE_WEBHOOK_SECRET } }, hub: { now: () => NOW } }));
});
afterAll(async () => {
  msw.close();
  await hub.close();
  await store.cleanup();
});

describe("the catalog", () => {
  it("GET /v1/catalog answers the currency, default plan, meters, features and plan keys", async () => {
    const { status, body } = await call("GET", "/v1/catalog", undefined, { key: READ_KEY });
    expect(status).toBe(200);
    expect(body).toMatchObject({ currency: "USD", defaultPlan: "free", plans: ["free", "pro", "enterprise"] });
    expect(body.meters).toContainEqual({ key: "active_models", aggregation: "unique_count", property: "model", unit: "model" });
    expect(body.features).toContainEqual({ key: "api", type: "metered", meter: "api_calls", reset: "month", name: "API calls" });
  });

  it("GET /v1/plans answers every plan with its grants, charges and minimum commitment", async () => {
    const { body } = await call("GET", "/v1/plans");
    const enterprise = body.plans.find((plan: { key: string }) => plan.key === "enterprise");
    expect(enterprise).toMatchObject({
      name: "Enterprise",
      default: false,
      currency: "USD",
      features: { api: { granted: true, limit: null }, sso: { granted: true, limit: null } },
      minimumCommitment: { amount: 100000, description: "Monthly minimum" },
    });
    expect(enterprise.charges[1]).toEqual({
      key: "api",
      meter: "api_calls",
      model: "volume",
      tiers: [
        { upTo: 1000000, unitAmount: "0.08" },
        { upTo: null, unitAmount: "0.05" },
      ],
      description: "API calls",
    });
    expect(body.plans.find((plan: { key: string }) => plan.key === "free")).toMatchObject({ default: true, charges: [], minimumCommitment: null });
  });

  it("GET /v1/plans/:key answers one plan, and 404 listing the plans for an unknown key", async () => {
    expect((await call("GET", "/v1/plans/pro")).body).toMatchObject({ key: "pro", features: { api: { limit: "100000", variants: { starter: "25000" } } } });
    expect(await call("GET", "/v1/plans/platinum")).toMatchObject({ status: 404, body: { error: { code: "NOT_FOUND", message: 'No plan "platinum"; plans: enterprise, free, pro', details: { valid: ["enterprise", "free", "pro"] } } } });
  });
});

describe("synced prices and the webhook log", () => {
  beforeAll(async () => {
    const sent = async (id: string, created: Date, amount: string) => {
      const response = await hub.webhooks.stripe(stripeRequest("price.updated", stripePrice({ id: "price_api", lookup_key: "api_calls", unit_amount_decimal: amount }), { id, created, signedAt: NOW }));
      expect(response.status).toBe(200);
    };
    await sent("evt_price_1", new Date("2026-03-01T00:00:00Z"), "0.5");
    await sent("evt_price_2", new Date("2026-03-05T00:00:00Z"), "0.4");
  });

  it("GET /v1/prices answers the versions of a price, oldest first, or only the current one", async () => {
    const all = await call("GET", "/v1/prices?lookupKey=api_calls", undefined, { key: READ_KEY });
    expect(all.body.prices.map((p: { validFrom: string; validTo: string | null; resolved: { unitAmount?: string } }) => [p.validFrom, p.validTo, p.resolved.unitAmount])).toEqual([
      ["2026-03-01T00:00:00.000Z", "2026-03-05T00:00:00.000Z", "0.5"],
      ["2026-03-05T00:00:00.000Z", null, "0.4"],
    ]);
    const current = await call("GET", "/v1/prices?provider=stripe&priceId=price_api&current=true");
    expect(current.body.prices).toHaveLength(1);
    expect(current.body.prices[0]).toMatchObject({ provider: "stripe", priceId: "price_api", validTo: null });
    expect((await call("GET", "/v1/prices?lookupKey=nothing")).body).toEqual({ prices: [] });
    expect(await call("GET", "/v1/prices?current=1")).toMatchObject({ status: 400, body: { error: { field: "query.current" } } });
  });

  it("GET /v1/webhook-events answers the log newest first, filtered by outcome", async () => {
    const { body } = await call("GET", "/v1/webhook-events?provider=stripe&outcome=applied&limit=1", undefined, { key: READ_KEY });
    expect(body.events).toHaveLength(1);
    expect(body.events[0]).toMatchObject({ provider: "stripe", eventId: "evt_price_2", eventType: "price.updated", outcome: "applied" });
    expect(await call("GET", "/v1/webhook-events?outcome=exploded")).toMatchObject({ status: 400, body: { error: { field: "query.outcome" } } });
    expect(await call("GET", "/v1/webhook-events?limit=5000")).toMatchObject({ status: 400, body: { error: { field: "query.limit" } } });
  });

  it("is read-only: the catalog routes refuse writes", async () => {
    expect(await call("POST", "/v1/plans", { key: "new" })).toMatchObject({ status: 404, body: { error: { code: "NOT_FOUND" } } });
  });
});
