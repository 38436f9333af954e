import { setupServer } from "msw/node";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { Hub } from "../../src/hub.ts";
import { apiHub, READ_KEY, type Call } from "../support/api.ts";
import { createStripeStandIn } from "../support/msw/stripe.ts";
import { openTestStore, type TestStore } from "../support/store.ts";
import { stripePrice } from "../support/webhooks.ts";

const NOW = new Date("2026-03-10T12:00:00.000Z");
const stripe = createStripeStandIn({ now: () => NOW });
const server = setupServer(...stripe.handlers);
let store: TestStore;
let hub: Hub;
let call: Call;

const catalog = {
  currency: "USD",
  meters: { api_calls: { aggregation: "sum" as const } },
  plans: {
    free: { name: "Free" },
    pro: { name: "Pro", providerPrices: { stripe: ["pro_monthly", "pro_metered"] } },
  },
  defaultPlan: "free",
};

beforeAll(async () => {
  server.listen({ onUnhandledRequest: "error" });
  store = await openTestStore();
  ({ hub, call } = await apiHub(store, { config: { catalog, provider: { default: "stripe" }, stripe: { secretKey: "sk_test_hosted" } }, hub: { now: () => NOW } }));
});
afterEach(() => {
  server.resetHandlers();
  stripe.reset();
});
afterAll(async () => {
  server.close();
  await hub.close();
  await store.cleanup();
});

const licensed = () => stripePrice({ id: "price_pro_monthly", lookup_key: "pro_monthly", recurring: { interval: "month", interval_count: 1, meter: null, usage_type: "licensed", trial_period_days: null }, unit_amount: 4900, unit_amount_decimal: "4900" });
const metered = () => stripePrice({ id: "price_pro_metered", lookup_key: "pro_metered" });
const urls = { successUrl: "https://app.example/billing/done", cancelUrl: "https://app.example/billing" };

async function providerIds(id: string) {
  return (await store.query<{ provider_ids: Record<string, string> }>("SELECT provider_ids FROM customers WHERE id = $1", [id])).rows[0]?.provider_ids;
}

describe("POST /v1/customers/:id/provider-customer", () => {
  it("creates the customer at Stripe once, stores its id, and answers 200 created: false afterwards", async () => {
    await call("PUT", "/v1/customers/hp_new", { email: "ops@new.example", name: "New Co" });
    const first = await call("POST", "/v1/customers/hp_new/provider-customer", {});
    expect(first).toMatchObject({ status: 201, body: { provider: "stripe", created: true, providerCustomerId: expect.stringMatching(/^cus_/) } });
    expect(await providerIds("hp_new")).toEqual({ stripe: first.body.providerCustomerId });
    expect(stripe.customers()).toMatchObject([{ id: first.body.providerCustomerId, email: "ops@new.example", name: "New Co", metadata: { billhub_customer_id: "hp_new" } }]);
    expect(stripe.calls("create_customer")[0]!.idempotencyKey).toBe("billhub-customer-hp_new");

    const again = await call("POST", "/v1/customers/hp_new/provider-customer", {});
    expect(again).toMatchObject({ status: 200, body: { created: false, providerCustomerId: first.body.providerCustomerId } });
    expect(stripe.calls("create_customer")).toHaveLength(1);
  });

  it("answers a provider that cannot create customers with 422 PROVIDER_UNSUPPORTED, an unknown customer 404, a read key 403", async () => {
    await call("PUT", "/v1/customers/hp_manual", {});
    expect(await call("POST", "/v1/customers/hp_manual/provider-customer", { provider: "manual" })).toMatchObject({ status: 422, body: { error: { code: "PROVIDER_UNSUPPORTED", field: "provider" } } });
    expect(await call("POST", "/v1/customers/hp_nobody/provider-customer", {})).toMatchObject({ status: 404, body: { error: { code: "CUSTOMER_NOT_FOUND" } } });
    expect(await call("POST", "/v1/customers/hp_manual/provider-customer", {}, { key: READ_KEY })).toMatchObject({ status: 403 });
    expect(stripe.calls("create_customer")).toHaveLength(0);
  });
});

describe("POST /v1/customers/:id/checkout", () => {
  it("starts a Stripe Checkout for the plan's first price, creating the Stripe customer first", async () => {
    stripe.putObject("price", licensed());
    await call("PUT", "/v1/customers/hp_buyer", { email: "buyer@example.test" });
    const answer = await call("POST", "/v1/customers/hp_buyer/checkout", { plan: "pro", ...urls });
    expect(answer).toMatchObject({ status: 201, body: { provider: "stripe", id: expect.stringMatching(/^cs_test_/), url: expect.stringMatching(/^https:\/\/checkout\.stripe\.com\//) } });
    const stripeCustomer = (await providerIds("hp_buyer"))!.stripe;
    expect(stripe.checkoutSessions()).toMatchObject([
      { mode: "subscription", customer: stripeCustomer, client_reference_id: "hp_buyer", line_items: [{ price: "price_pro_monthly", quantity: "1" }], subscription_metadata: { billhub_customer_id: "hp_buyer" }, ...{ success_url: urls.successUrl, cancel_url: urls.cancelUrl } },
    ]);
  });

  it("sends a metered price without a quantity, as Checkout requires", async () => {
    stripe.putObject("price", metered());
    stripe.putCustomer("cus_hp_metered");
    await call("PUT", "/v1/customers/hp_metered", { providerIds: { stripe: "cus_hp_metered" } });
    expect(await call("POST", "/v1/customers/hp_metered/checkout", { plan: "pro", price: "pro_metered", ...urls })).toMatchObject({ status: 201 });
    expect(stripe.checkoutSessions()[0]).toMatchObject({ customer: "cus_hp_metered", line_items: [{ price: "price_pro_metered", quantity: null }] });
    expect(stripe.calls("create_customer")).toHaveLength(0);
  });

  it("refuses a plan without Stripe prices, a price the plan does not list, an unknown plan and a bad URL, sending nothing", async () => {
    await call("PUT", "/v1/customers/hp_refused", { providerIds: { stripe: "cus_hp_refused" } });
    expect(await call("POST", "/v1/customers/hp_refused/checkout", { plan: "free", ...urls })).toMatchObject({ status: 400, body: { error: { code: "VALIDATION_FAILED", field: "plan" } } });
    expect(await call("POST", "/v1/customers/hp_refused/checkout", { plan: "pro", price: "team_monthly", ...urls })).toMatchObject({ status: 400, body: { error: { field: "price" } } });
    expect(await call("POST", "/v1/customers/hp_refused/checkout", { plan: "gold", ...urls })).toMatchObject({ status: 400, body: { error: { code: "UNKNOWN_PLAN", field: "plan" } } });
    expect(await call("POST", "/v1/customers/hp_refused/checkout", { plan: "pro", successUrl: "javascript:alert(1)", cancelUrl: urls.cancelUrl })).toMatchObject({ status: 400, body: { error: { field: "successUrl" } } });
    expect(stripe.calls()).toEqual([]);
  });

  it("answers 404 PROVIDER_NOT_FOUND when Stripe has no active price under the lookup key", async () => {
    await call("PUT", "/v1/customers/hp_noprice", { providerIds: { stripe: "cus_hp_noprice" } });
    expect(await call("POST", "/v1/customers/hp_noprice/checkout", { plan: "pro", ...urls })).toMatchObject({ status: 404, body: { error: { code: "PROVIDER_NOT_FOUND", message: expect.stringContaining("pro_monthly") } } });
    expect(stripe.checkoutSessions()).toEqual([]);
  });
});

describe("POST /v1/customers/:id/portal", () => {
  it("opens a Billing Portal session for the customer's Stripe id", async () => {
    stripe.putCustomer("cus_hp_portal");
    await call("PUT", "/v1/customers/hp_portal", { providerIds: { stripe: "cus_hp_portal" } });
    const answer = await call("POST", "/v1/customers/hp_portal/portal", { returnUrl: "https://app.example/account" });
    expect(answer).toMatchObject({ status: 201, body: { provider: "stripe", url: expect.stringMatching(/^https:\/\/billing\.stripe\.com\//) } });
    expect(stripe.portalSessions()).toMatchObject([{ customer: "cus_hp_portal", return_url: "https://app.example/account" }]);
  });

  it("answers 422 PROVIDER_CUSTOMER_MISSING for a customer with no Stripe id, and Stripe's refusal of an unknown one", async () => {
    await call("PUT", "/v1/customers/hp_unlinked", {});
    expect(await call("POST", "/v1/customers/hp_unlinked/portal", { returnUrl: "https://app.example/account" })).toMatchObject({ status: 422, body: { error: { code: "PROVIDER_CUSTOMER_MISSING", field: "providerIds.stripe" } } });
    await call("PUT", "/v1/customers/hp_gone", { providerIds: { stripe: "cus_hp_gone" } });
    expect(await call("POST", "/v1/customers/hp_gone/portal", { returnUrl: "https://app.example/account" })).toMatchObject({ body: { error: { code: expect.stringMatching(/^PROVIDER_/) } } });
  });
});
