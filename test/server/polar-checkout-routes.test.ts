import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Hub } from "../../src/hub.ts";
import { apiHub, type Call } from "../support/api.ts";
import { createPolarStandIn } from "../support/msw/polar.ts";
import { useStandIns } from "../support/msw/use-stand-ins.ts";
import { openTestStore, type TestStore } from "../support/store.ts";

const NOW = new Date("2026-03-10T12:00:00.000Z");
const BASE = "https://polar-hosted.test";
const polar = createPolarStandIn({ baseUrl: BASE, token: "polar_oat_hosted" });
useStandIns(polar);
let store: TestStore;
let hub: Hub;
let call: Call;

const catalog = {
  currency: "USD",
  meters: { api_calls: { aggregation: "sum" as const } },
  plans: {
    free: { name: "Free" },
    // Polar prices live on products: the catalog lists product ids. prod_team is archived at Polar.
    pro: { name: "Pro", providerPrices: { polar: ["prod_pro", "prod_team", "prod_gone"] } },
  },
  defaultPlan: "free",
};

beforeAll(async () => {
  store = await openTestStore();
  ({ hub, call } = await apiHub(store, {
    config: { catalog, provider: { default: "polar" }, polar: { secretKey: "polar_oat_hosted", baseUrl: BASE, meters: {} } },
    hub: { now: () => NOW },
  }));
});
afterAll(async () => {
  await hub.close();
  await store.cleanup();
});

const urls = { successUrl: "https://app.example/billing/done?checkout_id={CHECKOUT_ID}", cancelUrl: "https://app.example/billing" };
const products = () => {
  polar.setProduct({ id: "prod_pro", name: "Pro", is_archived: false, is_recurring: true, metadata: {}, prices: [] });
  polar.setProduct({ id: "prod_team", name: "Team", is_archived: true, is_recurring: true, metadata: {}, prices: [] });
};

async function providerIds(id: string) {
  return (await store.query<{ provider_ids: Record<string, string> }>("SELECT provider_ids FROM customers WHERE id = $1", [id])).rows[0]?.provider_ids;
}

/** The answers of Polar's that every hosted-page call maps the same way, played on one route. */
async function expectPolarRefusals(route: "checkout" | "customer_session", send: () => ReturnType<Call>) {
  polar.inject(route, { kind: "response", status: 401, body: { error: "Unauthorized", detail: "Invalid token" } });
  expect(await send()).toMatchObject({ status: 502, body: { error: { code: "PROVIDER_AUTH_FAILED", message: expect.stringContaining("POLAR_ACCESS_TOKEN") } } });
  polar.inject(route, { kind: "response", status: 403, body: { error: "insufficient_scope", detail: "The access token does not have the required scope" } });
  expect(await send()).toMatchObject({ status: 502, body: { error: { code: "PROVIDER_AUTH_FAILED", message: expect.stringContaining("required scope") } } });
  polar.inject(route, { kind: "rate_limit", retryAfter: "7" });
  const limited = await send();
  expect(limited).toMatchObject({ status: 429, body: { error: { code: "PROVIDER_RATE_LIMITED" } } });
  // Polar's wait reaches the caller, who can retry when Polar will take the request.
  expect(limited.headers.get("retry-after")).toBe("7");
  polar.inject(route, { kind: "server_error", status: 503 });
  expect(await send()).toMatchObject({ status: 502, body: { error: { code: "PROVIDER_UNAVAILABLE", message: expect.stringContaining("503") } } });
  polar.inject(route, { kind: "reset" });
  expect(await send()).toMatchObject({ status: 502, body: { error: { code: "PROVIDER_UNAVAILABLE" } } });
  expect(await send()).toMatchObject({ status: 201 });
}

describe("POST /v1/customers/:id/provider-customer at Polar", () => {
  it("creates the Polar customer with billhub's id as its external id, the email, name and metadata, once", async () => {
    await call("PUT", "/v1/customers/pl_new", { email: "ops@new.example", name: "New Co" });
    expect(await call("POST", "/v1/customers/pl_new/provider-customer", {})).toMatchObject({ status: 201, body: { provider: "polar", created: true, providerCustomerId: "pl_new" } });
    expect(await providerIds("pl_new")).toEqual({ polar: "pl_new" });
    expect(polar.customer("pl_new")).toMatchObject({ external_id: "pl_new", email: "ops@new.example", name: "New Co", metadata: { billhub_customer_id: "pl_new" } });
    expect(polar.calls("create_customer")[0]!.headers.get("authorization")).toBe("Bearer polar_oat_hosted");

    expect(await call("POST", "/v1/customers/pl_new/provider-customer", {})).toMatchObject({ status: 200, body: { created: false, providerCustomerId: "pl_new" } });
    expect(polar.calls("create_customer")).toHaveLength(1);
  });

  it("links a customer Polar already holds under the external id instead of creating a second one", async () => {
    polar.addCustomer({ external_id: "pl_known", email: "known@example.test" });
    await call("PUT", "/v1/customers/pl_known", { email: "known@example.test" });
    expect(await call("POST", "/v1/customers/pl_known/provider-customer", {})).toMatchObject({ status: 201, body: { providerCustomerId: "pl_known" } });
    expect(polar.calls("create_customer")).toHaveLength(0);
  });

  it("finds the customer a lost answer created when tried again, and creates no second one", async () => {
    await call("PUT", "/v1/customers/pl_lost", { email: "lost@example.test" });
    polar.inject("create_customer", { kind: "reset_after_processing" });
    expect((await call("POST", "/v1/customers/pl_lost/provider-customer", {})).body).toMatchObject({ error: { code: "PROVIDER_UNAVAILABLE" } });
    expect(await providerIds("pl_lost")).toEqual({});
    expect(await call("POST", "/v1/customers/pl_lost/provider-customer", {})).toMatchObject({ status: 201, body: { providerCustomerId: "pl_lost" } });
    expect(await providerIds("pl_lost")).toEqual({ polar: "pl_lost" });
    expect(polar.calls("create_customer")).toHaveLength(1);
  });

  it("refuses a customer without an email with 400 naming the field, and passes on Polar's 422 for an email another customer has", async () => {
    await call("PUT", "/v1/customers/pl_noemail", { name: "No Mail Ltd" });
    expect(await call("POST", "/v1/customers/pl_noemail/provider-customer", {})).toMatchObject({ status: 400, body: { error: { code: "VALIDATION_FAILED", field: "email" } } });
    polar.addCustomer({ external_id: "someone-else", email: "shared@example.test" });
    await call("PUT", "/v1/customers/pl_shared", { email: "shared@example.test" });
    expect(await call("POST", "/v1/customers/pl_shared/provider-customer", {})).toMatchObject({
      status: 422,
      body: { error: { code: "PROVIDER_REJECTED", message: expect.stringContaining("body.email: A customer with this email address already exists.") } },
    });
    expect(await providerIds("pl_noemail")).toEqual({});
    expect(await providerIds("pl_shared")).toEqual({});
  });
});

describe("POST /v1/customers/:id/checkout at Polar", () => {
  it("starts a checkout for the plan's first product, creating the Polar customer first, with billhub's id in the metadata", async () => {
    products();
    await call("PUT", "/v1/customers/pl_buyer", { email: "buyer@example.test" });
    const answer = await call("POST", "/v1/customers/pl_buyer/checkout", { plan: "pro", ...urls });
    expect(answer).toMatchObject({ status: 201, body: { provider: "polar", id: expect.any(String), url: expect.stringMatching(/^https:\/\/sandbox\.polar\.sh\/checkout\/polar_c_/) } });
    expect(await providerIds("pl_buyer")).toEqual({ polar: "pl_buyer" });
    expect(polar.checkouts()).toMatchObject([
      { id: answer.body.id, products: [{ id: "prod_pro" }], external_customer_id: "pl_buyer", customer_id: polar.customer("pl_buyer")!.id, success_url: urls.successUrl, return_url: urls.cancelUrl, metadata: { billhub_customer_id: "pl_buyer" } },
    ]);
  });

  it("checks out a customer linked by its own external id without asking Polar for the customer", async () => {
    products();
    await call("PUT", "/v1/customers/pl_linked", { providerIds: { polar: "acme-legacy" } });
    expect(await call("POST", "/v1/customers/pl_linked/checkout", { plan: "pro", ...urls })).toMatchObject({ status: 201 });
    expect(polar.checkouts()[0]).toMatchObject({ external_customer_id: "acme-legacy", metadata: { billhub_customer_id: "pl_linked" } });
    expect(polar.calls().map((c) => c.route)).toEqual(["checkout"]);
  });

  it("answers Polar's 422 for a product it does not hold or has archived, and refuses a plan without Polar products before asking Polar", async () => {
    products();
    await call("PUT", "/v1/customers/pl_refused", { providerIds: { polar: "pl_refused" } });
    expect(await call("POST", "/v1/customers/pl_refused/checkout", { plan: "pro", price: "prod_gone", ...urls })).toMatchObject({
      status: 422,
      body: { error: { code: "PROVIDER_REJECTED", message: expect.stringContaining("body.products.0: Product does not exist.") } },
    });
    expect(await call("POST", "/v1/customers/pl_refused/checkout", { plan: "pro", price: "prod_team", ...urls })).toMatchObject({ status: 422, body: { error: { message: expect.stringContaining("Product is archived.") } } });
    const before = polar.calls().length;
    expect(await call("POST", "/v1/customers/pl_refused/checkout", { plan: "free", ...urls })).toMatchObject({ status: 400, body: { error: { code: "VALIDATION_FAILED", field: "plan" } } });
    expect(await call("POST", "/v1/customers/pl_refused/checkout", { plan: "pro", successUrl: "javascript:alert(1)", cancelUrl: urls.cancelUrl })).toMatchObject({ status: 400, body: { error: { field: "successUrl" } } });
    expect(polar.calls()).toHaveLength(before);
    expect(polar.checkouts()).toEqual([]);
  });

  it("answers Polar's refusals: 401 and 403 as 502 PROVIDER_AUTH_FAILED, 429 as 429, a 5xx or a lost connection as 502 PROVIDER_UNAVAILABLE", async () => {
    products();
    await call("PUT", "/v1/customers/pl_faults", { providerIds: { polar: "pl_faults" } });
    await expectPolarRefusals("checkout", () => call("POST", "/v1/customers/pl_faults/checkout", { plan: "pro", ...urls }));
    expect(polar.checkouts()).toHaveLength(1);
  });
});

describe("POST /v1/customers/:id/portal at Polar", () => {
  it("opens a customer portal session for the customer's external id, with the return URL", async () => {
    polar.addCustomer({ external_id: "pl_portal", email: "portal@example.test" });
    await call("PUT", "/v1/customers/pl_portal", { providerIds: { polar: "pl_portal" } });
    const answer = await call("POST", "/v1/customers/pl_portal/portal", { returnUrl: "https://app.example/account" });
    expect(answer).toMatchObject({ status: 201, body: { provider: "polar", id: expect.any(String), url: expect.stringMatching(/^https:\/\/sandbox\.polar\.sh\/.*customer_session_token=polar_cst_/) } });
    expect(polar.customerSessions()).toMatchObject([{ id: answer.body.id, return_url: "https://app.example/account", customer_id: polar.customer("pl_portal")!.id }]);
  });

  it("refuses a customer with no Polar id (422 PROVIDER_CUSTOMER_MISSING) before asking Polar, and passes on Polar's 422 for an external id it does not hold", async () => {
    await call("PUT", "/v1/customers/pl_unlinked", {});
    expect(await call("POST", "/v1/customers/pl_unlinked/portal", { returnUrl: "https://app.example/account" })).toMatchObject({ status: 422, body: { error: { code: "PROVIDER_CUSTOMER_MISSING", field: "providerIds.polar" } } });
    expect(polar.calls()).toEqual([]);
    await call("PUT", "/v1/customers/pl_ghost", { providerIds: { polar: "pl_ghost" } });
    expect(await call("POST", "/v1/customers/pl_ghost/portal", { returnUrl: "https://app.example/account" })).toMatchObject({
      status: 422,
      body: { error: { code: "PROVIDER_REJECTED", message: expect.stringContaining("body.external_customer_id: Customer does not exist.") } },
    });
    expect(await call("POST", "/v1/customers/pl_ghost/portal", { returnUrl: "not a url" })).toMatchObject({ status: 400, body: { error: { field: "returnUrl" } } });
  });

  it("answers Polar's refusals as for checkouts", async () => {
    polar.addCustomer({ external_id: "pl_portal_faults", email: "faults@example.test" });
    await call("PUT", "/v1/customers/pl_portal_faults", { providerIds: { polar: "pl_portal_faults" } });
    await expectPolarRefusals("customer_session", () => call("POST", "/v1/customers/pl_portal_faults/portal", { returnUrl: "https://app.example/account" }));
    expect(polar.customerSessions()).toHaveLength(1);
  });
});
