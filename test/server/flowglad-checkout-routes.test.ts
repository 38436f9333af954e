import { setupServer } from "msw/node";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { Hub } from "../../src/hub.ts";
import { apiHub, type Call } from "../support/api.ts";
import { createFlowgladStandIn } from "../support/msw/flowglad.ts";
import { openTestStore, type TestStore } from "../support/store.ts";

const NOW = new Date("2026-03-10T12:00:00.000Z");
const BASE = "https://flowglad.test";
const flowglad = createFlowgladStandIn({ baseUrl: BASE, now: () => NOW, secretKey: "sk_test_fg_hosted" });
const server = setupServer(...flowglad.handlers);
let store: TestStore;
let hub: Hub;
let call: Call;

const catalog = {
  currency: "USD",
  meters: { api_calls: { aggregation: "sum" as const } },
  plans: {
    free: { name: "Free" },
    // pro_monthly is a price slug of the stand-in's pricing model; team_monthly is not.
    pro: { name: "Pro", providerPrices: { flowglad: ["pro_monthly", "team_monthly"] } },
  },
  defaultPlan: "free",
};

beforeAll(async () => {
  server.listen({ onUnhandledRequest: "error" });
  store = await openTestStore();
  ({ hub, call } = await apiHub(store, {
    config: { catalog, provider: { default: "flowglad" }, flowglad: { secretKey: "sk_test_fg_hosted", baseUrl: BASE, meters: {} } },
    hub: { now: () => NOW },
  }));
});
afterEach(() => {
  server.resetHandlers();
  flowglad.reset();
});
afterAll(async () => {
  server.close();
  await hub.close();
  await store.cleanup();
});

const urls = { successUrl: "https://app.example/billing/done", cancelUrl: "https://app.example/billing" };

async function providerIds(id: string) {
  return (await store.query<{ provider_ids: Record<string, string> }>("SELECT provider_ids FROM customers WHERE id = $1", [id])).rows[0]?.provider_ids;
}

describe("POST /v1/customers/:id/provider-customer at Flowglad", () => {
  it("creates the Flowglad customer under billhub's id as its external id, with the email and name, once", async () => {
    await call("PUT", "/v1/customers/fg_new", { email: "ops@new.example", name: "New Co" });
    const first = await call("POST", "/v1/customers/fg_new/provider-customer", {});
    expect(first).toMatchObject({ status: 201, body: { provider: "flowglad", created: true, providerCustomerId: "fg_new" } });
    expect(await providerIds("fg_new")).toEqual({ flowglad: "fg_new" });
    expect(flowglad.customer("fg_new")).toMatchObject({ externalId: "fg_new", email: "ops@new.example", name: "New Co", id: expect.stringMatching(/^cust_/) });
    expect(flowglad.calls("create_customer")[0]!.authorization).toBe("sk_test_fg_hosted");

    const again = await call("POST", "/v1/customers/fg_new/provider-customer", {});
    expect(again).toMatchObject({ status: 200, body: { created: false, providerCustomerId: "fg_new" } });
    expect(flowglad.calls("create_customer")).toHaveLength(1);
  });

  it("links a customer Flowglad already holds instead of creating a second one", async () => {
    flowglad.addCustomer({ externalId: "fg_known", subscriptions: [] });
    await call("PUT", "/v1/customers/fg_known", { email: "known@example.test" });
    expect(await call("POST", "/v1/customers/fg_known/provider-customer", {})).toMatchObject({ status: 201, body: { providerCustomerId: "fg_known" } });
    expect(flowglad.calls("create_customer")).toHaveLength(0);
  });

  it("finds the customer a lost answer created when tried again, and creates no second one", async () => {
    await call("PUT", "/v1/customers/fg_lost", { email: "lost@example.test" });
    // Flowglad creates the customer, then the connection drops before its answer.
    flowglad.inject("create_customer", { kind: "reset_after_processing" });
    const lost = await call("POST", "/v1/customers/fg_lost/provider-customer", {});
    expect(lost.body).toMatchObject({ error: { code: expect.stringMatching(/^PROVIDER_/) } });
    expect(await providerIds("fg_lost")).toEqual({});

    const retried = await call("POST", "/v1/customers/fg_lost/provider-customer", {});
    expect(retried).toMatchObject({ status: 201, body: { provider: "flowglad", providerCustomerId: "fg_lost" } });
    expect(await providerIds("fg_lost")).toEqual({ flowglad: "fg_lost" });
    expect(flowglad.customer("fg_lost")).toMatchObject({ email: "lost@example.test", name: "lost@example.test" });
  });

  it("refuses a customer without an email with 400 naming the field, creating nothing", async () => {
    await call("PUT", "/v1/customers/fg_noemail", { name: "No Mail Ltd" });
    expect(await call("POST", "/v1/customers/fg_noemail/provider-customer", {})).toMatchObject({ status: 400, body: { error: { code: "VALIDATION_FAILED", field: "email" } } });
    expect(flowglad.calls("create_customer")).toHaveLength(0);
    expect(await providerIds("fg_noemail")).toEqual({});
  });
});

describe("POST /v1/customers/:id/checkout at Flowglad", () => {
  it("starts a product checkout for the plan's first price slug, creating the Flowglad customer first", async () => {
    await call("PUT", "/v1/customers/fg_buyer", { email: "buyer@example.test" });
    const answer = await call("POST", "/v1/customers/fg_buyer/checkout", { plan: "pro", ...urls });
    expect(answer).toMatchObject({ status: 201, body: { provider: "flowglad", id: expect.stringMatching(/^chckt_session_/), url: expect.stringMatching(/^https:\/\/app\.flowglad\.com\/checkout\//) } });
    expect(await providerIds("fg_buyer")).toEqual({ flowglad: "fg_buyer" });
    expect(flowglad.checkoutSessions()).toMatchObject([
      { id: answer.body.id, type: "product", priceId: "price_pro_monthly", quantity: 1, customerId: flowglad.customer("fg_buyer")!.id, outputMetadata: { billhub_customer_id: "fg_buyer" }, ...urls },
    ]);
  });

  it("checks out a customer linked by its own external id without asking Flowglad for it again", async () => {
    flowglad.addCustomer({ externalId: "acme-legacy", subscriptions: [] });
    await call("PUT", "/v1/customers/fg_linked", { providerIds: { flowglad: "acme-legacy" } });
    expect(await call("POST", "/v1/customers/fg_linked/checkout", { plan: "pro", ...urls })).toMatchObject({ status: 201 });
    expect(flowglad.checkoutSessions()[0]).toMatchObject({ customerId: "cust_acme-legacy", outputMetadata: { billhub_customer_id: "fg_linked" } });
    expect(flowglad.calls().map((c) => c.route)).toEqual(["checkout_session"]);
  });

  it("answers 404 PROVIDER_NOT_FOUND for a price slug Flowglad does not have, and for a linked customer it does not hold", async () => {
    flowglad.addCustomer({ externalId: "fg_noslug", subscriptions: [] });
    await call("PUT", "/v1/customers/fg_noslug", { providerIds: { flowglad: "fg_noslug" } });
    expect(await call("POST", "/v1/customers/fg_noslug/checkout", { plan: "pro", price: "team_monthly", ...urls })).toMatchObject({ status: 404, body: { error: { code: "PROVIDER_NOT_FOUND", message: expect.stringContaining("team_monthly") } } });
    await call("PUT", "/v1/customers/fg_ghost", { providerIds: { flowglad: "fg_ghost" } });
    expect(await call("POST", "/v1/customers/fg_ghost/checkout", { plan: "pro", ...urls })).toMatchObject({ status: 404, body: { error: { code: "PROVIDER_NOT_FOUND", message: expect.stringContaining("fg_ghost") } } });
    expect(flowglad.checkoutSessions()).toEqual([]);
  });

  it("refuses a plan without Flowglad prices and a bad URL before asking Flowglad", async () => {
    await call("PUT", "/v1/customers/fg_refused", { providerIds: { flowglad: "fg_refused" } });
    expect(await call("POST", "/v1/customers/fg_refused/checkout", { plan: "free", ...urls })).toMatchObject({ status: 400, body: { error: { code: "VALIDATION_FAILED", field: "plan" } } });
    expect(await call("POST", "/v1/customers/fg_refused/checkout", { plan: "pro", successUrl: "ftp://app.example/done", cancelUrl: urls.cancelUrl })).toMatchObject({ status: 400, body: { error: { field: "successUrl" } } });
    expect(flowglad.calls()).toEqual([]);
  });

  it("answers Flowglad's refusals: a bad key 502, a validation error, a rate limit 429, a lost connection 502 PROVIDER_UNAVAILABLE", async () => {
    flowglad.addCustomer({ externalId: "fg_faults", subscriptions: [] });
    await call("PUT", "/v1/customers/fg_faults", { providerIds: { flowglad: "fg_faults" } });
    const checkout = () => call("POST", "/v1/customers/fg_faults/checkout", { plan: "pro", ...urls });

    flowglad.inject("checkout_session", { kind: "response", status: 401, body: { error: "Invalid API key", code: "UNAUTHORIZED" } });
    expect(await checkout()).toMatchObject({ status: 502, body: { error: { code: "PROVIDER_AUTH_FAILED", message: expect.stringContaining("FLOWGLAD_SECRET_KEY") } } });

    flowglad.inject("checkout_session", { kind: "response", status: 400, body: { error: "checkoutSession.successUrl: Invalid URL", code: "BAD_REQUEST" } });
    expect((await checkout()).body).toMatchObject({ error: { code: "PROVIDER_REJECTED", message: expect.stringContaining("Invalid URL") } });

    // The SDK retries a 429 or a 5xx twice on its own unless the answer says not to (x-should-retry).
    flowglad.inject("checkout_session", { kind: "response", status: 429, body: { error: "Too many requests", code: "TOO_MANY_REQUESTS" }, headers: { "x-should-retry": "false" } });
    expect(await checkout()).toMatchObject({ status: 429, body: { error: { code: "PROVIDER_RATE_LIMITED" } } });

    // A connection that drops on every one of the SDK's three tries.
    flowglad.inject("checkout_session", { kind: "reset" }, 3);
    expect(await checkout()).toMatchObject({ status: 502, body: { error: { code: "PROVIDER_UNAVAILABLE" } } });
    expect(flowglad.checkoutSessions()).toEqual([]);

    expect(await checkout()).toMatchObject({ status: 201 });
  });
});
