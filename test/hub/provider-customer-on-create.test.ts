import { http, HttpResponse } from "msw";
import { setupServer } from "msw/node";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createHub, type Hub } from "../../src/hub.ts";
import { createStripeStandIn } from "../support/msw/stripe.ts";
import { openTestStore, type TestStore } from "../support/store.ts";

const NOW = new Date("2026-03-10T12:00:00.000Z");
const stripe = createStripeStandIn({ now: () => NOW });
const server = setupServer(...stripe.handlers);
let store: TestStore;
const hubs: Hub[] = [];

const catalog = { currency: "USD", meters: { api_calls: { aggregation: "sum" as const } }, plans: { free: { name: "Free" } }, defaultPlan: "free" };

async function hubWith(createCustomers: boolean | undefined): Promise<Hub> {
  const hub = await createHub({ catalog, provider: { default: "stripe", routes: { self_billed: "manual" }, ...(createCustomers === undefined ? {} : { createCustomers }) }, stripe: { secretKey: "sk_test_on_create" } }, { store, now: () => NOW });
  hubs.push(hub);
  return hub;
}

async function providerIds(id: string) {
  return (await store.query<{ provider_ids: Record<string, string> }>("SELECT provider_ids FROM customers WHERE id = $1", [id])).rows[0]?.provider_ids;
}

beforeAll(async () => {
  server.listen({ onUnhandledRequest: "error" });
  store = await openTestStore();
});
afterEach(() => {
  server.resetHandlers();
  stripe.reset();
});
afterAll(async () => {
  server.close();
  for (const hub of hubs) await hub.close();
  await store.cleanup();
});

describe("provider.createCustomers: a new hub customer is created at its provider too", () => {
  it("creates the Stripe customer once, stores its id, and reports it; updating the customer calls Stripe no more", async () => {
    const hub = await hubWith(true);
    const first = await hub.customers.upsert({ id: "oc_new", email: "ops@new.example", name: "New Co" });
    expect(first).toMatchObject({ created: true, providerCustomer: { provider: "stripe", created: true, providerCustomerId: expect.stringMatching(/^cus_/) } });
    expect(first.customer.providerIds.stripe).toBe(first.providerCustomer && "providerCustomerId" in first.providerCustomer ? first.providerCustomer.providerCustomerId : "missing");
    expect(await providerIds("oc_new")).toEqual({ stripe: first.customer.providerIds.stripe });
    expect(stripe.customers()).toMatchObject([{ email: "ops@new.example", name: "New Co", metadata: { billhub_customer_id: "oc_new" } }]);

    const again = await hub.customers.upsert({ id: "oc_new", name: "New Co Ltd" });
    expect(again.created).toBe(false);
    expect(again.providerCustomer).toBeUndefined();
    expect(stripe.calls("create_customer")).toHaveLength(1);
  });

  it("keeps the hub customer when Stripe refuses, reports the refusal, and links it later through createProviderCustomer", async () => {
    const hub = await hubWith(true);
    server.use(http.post("https://api.stripe.com/v1/customers", () => HttpResponse.json({ error: { type: "invalid_request_error", message: "Invalid email address: nope" } }, { status: 400 }), { once: true }));
    const answer = await hub.customers.upsert({ id: "oc_refused", email: "ops@refused.example" });
    expect(answer).toMatchObject({ created: true, customer: { id: "oc_refused", providerIds: {} }, providerCustomer: { provider: "stripe", error: { code: expect.any(String), message: expect.stringContaining("Invalid email"), retryable: false } } });
    expect(await hub.customers.get("oc_refused")).toMatchObject({ id: "oc_refused" });
    expect(await providerIds("oc_refused")).toEqual({});

    const linked = await hub.customers.createProviderCustomer("oc_refused");
    expect(linked).toMatchObject({ provider: "stripe", created: true });
    expect(await providerIds("oc_refused")).toEqual({ stripe: linked.providerCustomerId });
  });

  it("passes by a customer that already names its Stripe customer, and one routed to a provider that cannot create customers", async () => {
    const hub = await hubWith(true);
    const named = await hub.customers.upsert({ id: "oc_named", providerIds: { stripe: "cus_existing" } });
    const manual = await hub.customers.upsert({ id: "self_billed" });
    expect([named.providerCustomer, manual.providerCustomer]).toEqual([undefined, undefined]);
    expect(stripe.calls("create_customer")).toHaveLength(0);
  });

  it("creates nothing at Stripe when the option is off (the default)", async () => {
    const hub = await hubWith(undefined);
    const answer = await hub.customers.upsert({ id: "oc_off", email: "ops@off.example" });
    expect(answer.providerCustomer).toBeUndefined();
    expect(stripe.calls("create_customer")).toHaveLength(0);
  });

  it("refuses an option that is not a boolean, naming it", async () => {
    await expect(createHub({ catalog, provider: { default: "stripe", createCustomers: "yes" as never }, stripe: { secretKey: "sk_test_on_create" } }, { store })).rejects.toMatchObject({ code: "CONFIG_INVALID", field: "provider.createCustomers" });
  });
});
