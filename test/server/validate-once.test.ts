import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { isBillingError } from "../../src/core/errors.ts";
import type { Hub } from "../../src/hub.ts";
import { takeBackInputSchema } from "../../src/hub/credits/credits-api.ts";
import { grantInputSchema } from "../../src/hub/credits/input.ts";
import { checkoutInputSchema, portalInputSchema, providerCustomerInputSchema } from "../../src/hub/hosted-pages.ts";
import { batchStatsSchema } from "../../src/hub/ledger/stats.ts";
import { adjustmentInputSchema } from "../../src/hub/limit-adjustments.ts";
import { apiHub, type Call } from "../support/api.ts";
import { openTestStore, type TestStore } from "../support/store.ts";

// Routes whose body the hub call validates with the route's own schema: the route parses the JSON
// only, so each body is validated once and HTTP answers exactly what the library throws.
let store: TestStore;
let hub: Hub;
let call: Call;

beforeAll(async () => {
  store = await openTestStore();
  ({ hub, call } = await apiHub(store));
  await hub.customers.upsert({ id: "once_co" });
});
afterEach(() => vi.restoreAllMocks());
afterAll(async () => {
  await hub.close();
  await store.cleanup();
});

/** What the library call throws, as the service would answer it. */
async function libraryError(fn: () => Promise<unknown>) {
  try {
    await fn();
  } catch (error) {
    if (isBillingError(error)) return { status: error.status, body: error.toJSON() };
    throw error;
  }
  throw new Error("expected the call to be refused");
}

const routes = [
  {
    name: "POST /v1/customers/:id/provider-customer",
    schema: providerCustomerInputSchema,
    send: (body: unknown) => call("POST", "/v1/customers/once_co/provider-customer", body),
    library: (body: unknown) => hub.customers.createProviderCustomer("once_co", body as never),
    bad: [{ provider: "" }, { provider: 7 }, { colour: "blue" }],
    valid: { provider: "manual" },
  },
  {
    name: "POST /v1/customers/:id/checkout",
    schema: checkoutInputSchema,
    send: (body: unknown) => call("POST", "/v1/customers/once_co/checkout", body),
    library: (body: unknown) => hub.customers.checkout("once_co", body as never),
    bad: [{}, { plan: "pro", successUrl: "javascript:alert(1)", cancelUrl: "https://app.example/back" }, { plan: "pro", successUrl: "https://app.example/ok", cancelUrl: "https://app.example/back", extra: 1 }],
    valid: { plan: "pro", successUrl: "https://app.example/ok", cancelUrl: "https://app.example/back" },
  },
  {
    name: "POST /v1/customers/:id/portal",
    schema: portalInputSchema,
    send: (body: unknown) => call("POST", "/v1/customers/once_co/portal", body),
    library: (body: unknown) => hub.customers.portal("once_co", body as never),
    bad: [{}, { returnUrl: "not a url" }],
    valid: { returnUrl: "https://app.example/billing" },
  },
  {
    name: "POST /v1/customers/:id/adjustments",
    schema: adjustmentInputSchema,
    send: (body: unknown) => call("POST", "/v1/customers/once_co/adjustments", body),
    library: (body: unknown) => hub.customers.adjustLimit("once_co", body as never),
    bad: [{}, { id: "a1", feature: "api", amount: true }, { id: "a2", feature: "api", amount: 5, startsAt: "2026-03-10T00:00:00Z", endsAt: "2026-03-01T00:00:00Z" }, { id: "a3", feature: "api", amount: 5, recurrence: "weekly" }],
    valid: { id: "once-1", feature: "api", amount: 5 },
  },
  {
    name: "POST /v1/customers/:id/credits",
    schema: grantInputSchema,
    send: (body: unknown) => call("POST", "/v1/customers/once_co/credits", body),
    library: (body: unknown) => hub.credits.grant("once_co", body as never),
    bad: [{}, { id: "g1", feature: "api", amount: "-5" }, { id: "g2", feature: "api", currency: "USD", amount: 5 }, { id: "g3", feature: "api", amount: 5, rollover: "some" }],
    valid: { id: "once-grant", feature: "api", amount: 5 },
  },
  {
    name: "POST /v1/customers/:id/credits/:grantId/take-back",
    schema: takeBackInputSchema,
    send: (body: unknown) => call("POST", "/v1/customers/once_co/credits/once-grant/take-back", body),
    library: (body: unknown) => hub.credits.takeBack("once_co", "once-grant", body as never),
    bad: [{}, { reason: "" }, { reason: "refund", amount: -5 }, { reason: "refund", amount: true }, { reason: "refund", colour: "red" }],
    valid: { reason: "refund once" },
  },
  {
    name: "POST /v1/usage/stats",
    schema: batchStatsSchema,
    send: (body: unknown) => call("POST", "/v1/usage/stats", body),
    library: (body: unknown) => hub.ledger.batchStats(body as never),
    bad: [{}, { customerIds: [], meters: ["api_calls"], groupBy: "day" }, { customerIds: ["once_co"], meters: ["api_calls"], groupBy: "fortnight" }],
    valid: { customerIds: ["once_co"], meters: ["api_calls"], groupBy: "day", window: "month" },
  },
];

describe("routes whose body the hub validates", () => {
  for (const route of routes) {
    it(`${route.name} refuses a bad body exactly as the library call does: same status, code, field, message and issues`, async () => {
      for (const body of route.bad) {
        const answer = await route.send(body);
        expect(answer.status, JSON.stringify(body)).toBeGreaterThanOrEqual(400);
        expect({ status: answer.status, body: answer.body }, JSON.stringify(body)).toEqual(await libraryError(() => route.library(body)));
      }
    });

    it(`${route.name} validates its body once`, async () => {
      const parse = vi.spyOn(route.schema, "safeParse");
      await route.send(route.valid);
      expect(parse).toHaveBeenCalledTimes(1);
      await route.send(route.bad[0]);
      expect(parse).toHaveBeenCalledTimes(2);
    });
  }

  it("still refuses a body that is not a JSON object, naming the body, before the hub is asked", async () => {
    const parse = vi.spyOn(checkoutInputSchema, "safeParse");
    expect(await call("POST", "/v1/customers/once_co/checkout", "[]")).toMatchObject({ status: 400, body: { error: { field: "body" } } });
    expect(parse).not.toHaveBeenCalled();
  });
});
