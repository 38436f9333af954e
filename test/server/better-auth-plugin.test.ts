import { betterAuth } from "better-auth";
import { memoryAdapter } from "better-auth/adapters/memory";
import { organization } from "better-auth/plugins";
import { setupServer } from "msw/node";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createHub, type Hub } from "../../src/hub.ts";
import { billhub, type BillhubPluginOptions } from "../../src/better-auth.ts";
import { createStripeStandIn } from "../support/msw/stripe.ts";
import { openTestStore, type TestStore } from "../support/store.ts";
import { stripePrice } from "../support/webhooks.ts";

const NOW = new Date("2026-03-10T12:00:00.000Z");
const BASE = "http://app.example";
const stripe = createStripeStandIn({ now: () => NOW });
const server = setupServer(...stripe.handlers);
let store: TestStore;
let hub: Hub;

const catalog = {
  currency: "USD",
  meters: { api_calls: { aggregation: "sum" as const } },
  features: { api: { type: "metered" as const, meter: "api_calls", reset: "month" as const } },
  plans: {
    free: { name: "Free", features: { api: 100 } },
    pro: { name: "Pro", features: { api: 10_000 }, providerPrices: { stripe: ["pro_monthly"] } },
  },
  defaultPlan: "free",
};

/** A better-auth instance of its own (in-memory users and sessions) with the plugin. */
function authWith(options: Partial<BillhubPluginOptions> = {}) {
  const db = { user: [], session: [], account: [], verification: [], organization: [], member: [], invitation: [] };
  return betterAuth({
    baseURL: BASE,
    secret: "a-test-secret-that-is-long-enough-0123456789",
    database: memoryAdapter(db),
    emailAndPassword: { enabled: true },
    plugins: [organization(), billhub({ hub, ...options })],
    logger: { disabled: true },
  });
}
type Auth = ReturnType<typeof authWith>;

/** Signs a user up through better-auth's own HTTP handler and returns its id and session cookie. */
async function signUp(auth: Auth, email: string, name = "Ada") {
  const response = await auth.handler(new Request(`${BASE}/api/auth/sign-up/email`, { method: "POST", headers: { "content-type": "application/json", origin: BASE }, body: JSON.stringify({ email, password: "correct-horse-battery", name }) }));
  expect(response.status).toBe(200);
  const body = (await response.json()) as { user: { id: string } };
  const cookie = response.headers.getSetCookie().map((c) => c.split(";")[0]).join("; ");
  return { userId: body.user.id, cookie };
}

async function get(auth: Auth, path: string, cookie?: string) {
  const response = await auth.handler(new Request(`${BASE}/api/auth${path}`, { headers: { origin: BASE, ...(cookie === undefined ? {} : { cookie }) } }));
  return { status: response.status, body: (await response.json()) as Record<string, any> };
}

async function post(auth: Auth, path: string, body: unknown, cookie: string) {
  const response = await auth.handler(new Request(`${BASE}/api/auth${path}`, { method: "POST", headers: { "content-type": "application/json", origin: BASE, cookie }, body: JSON.stringify(body) }));
  return { status: response.status, body: (await response.json()) as Record<string, any> };
}

beforeAll(async () => {
  server.listen({ onUnhandledRequest: "error" });
  store = await openTestStore();
  hub = await createHub({ catalog, provider: { default: "stripe" }, stripe: { secretKey: "sk_test_auth" } }, { store, now: () => NOW });
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

describe("billhub as a better-auth plugin", () => {
  it("creates the hub customer, with the user's email and name, when a user signs up", async () => {
    const auth = authWith();
    const { userId } = await signUp(auth, "ada@example.test", "Ada Lovelace");
    expect(await hub.getCustomer(userId)).toMatchObject({ id: userId, referenceType: "user", email: "ada@example.test", name: "Ada Lovelace", plan: "free" });
  });

  it("answers the signed-in user's check and entitlements from the hub, counting the usage the server recorded", async () => {
    const auth = authWith();
    const { userId, cookie } = await signUp(auth, "grace@example.test");
    await hub.record({ customerId: userId, meter: "api_calls", quantity: 40, transactionId: `${userId}-1` });
    const check = await get(auth, "/billhub/check?feature=api", cookie);
    expect(check).toMatchObject({ status: 200, body: { allowed: true, limit: 100, used: 40, remaining: 60 } });
    const customer = await get(auth, "/billhub/customer", cookie);
    expect(customer).toMatchObject({ status: 200, body: { customer: { id: userId, plan: "free" }, entitlements: { plan: "free", features: { api: { granted: true, limit: 100 } } } } });
  });

  it("refuses a request without a session with 401 and touches no customer", async () => {
    const auth = authWith();
    const before = await hub.listCustomers();
    const answer = await get(auth, "/billhub/check?feature=api");
    expect(answer.status).toBe(401);
    expect((await hub.listCustomers()).customers).toHaveLength(before.customers.length);
  });

  it("answers an unknown feature with 400 and billhub's code, message and field", async () => {
    const auth = authWith();
    const { cookie } = await signUp(auth, "typo@example.test");
    const answer = await get(auth, "/billhub/check?feature=apii", cookie);
    expect(answer).toMatchObject({ status: 400, body: { code: "UNKNOWN_FEATURE", message: expect.stringContaining("api") } });
  });

  it("answers a missing feature with 400 before asking the hub", async () => {
    const auth = authWith();
    const { cookie } = await signUp(auth, "nofeature@example.test");
    expect((await get(auth, "/billhub/check", cookie)).status).toBe(400);
  });

  it("bills whoever customerId names (an organization), creating that customer on first use", async () => {
    const auth = authWith({ customerId: () => "org_shared", createCustomerOnSignUp: false });
    const { userId, cookie } = await signUp(auth, "member@example.test");
    await expect(hub.getCustomer(userId)).rejects.toMatchObject({ code: "CUSTOMER_NOT_FOUND" });
    const check = await get(auth, "/billhub/check?feature=api", cookie);
    expect(check).toMatchObject({ status: 200, body: { limit: 100, used: 0 } });
    expect(await hub.getCustomer("org_shared")).toMatchObject({ id: "org_shared", email: null });
  });

  it("bills organizations: one customer per organization, created with it, and a session bills its active organization", async () => {
    const auth = authWith({ billTo: "organization" });
    const { userId, cookie } = await signUp(auth, "founder@example.test");
    await expect(hub.getCustomer(userId)).rejects.toMatchObject({ code: "CUSTOMER_NOT_FOUND" });
    expect(await get(auth, "/billhub/check?feature=api", cookie)).toMatchObject({ status: 403, body: { code: "NO_BILLING_CUSTOMER" } });

    const created = await post(auth, "/organization/create", { name: "Acme Rockets", slug: "acme-rockets" }, cookie);
    expect(created.status).toBe(200);
    const orgId = created.body.id as string;
    expect(await hub.getCustomer(orgId)).toMatchObject({ id: orgId, referenceType: "organization", name: "Acme Rockets", plan: "free" });
    await hub.record({ customerId: orgId, meter: "api_calls", quantity: 7, transactionId: `${orgId}-1` });
    expect(await get(auth, "/billhub/check?feature=api", cookie)).toMatchObject({ status: 200, body: { used: 7, limit: 100 } });
  });

  it("answers the session's usage total for a feature or a meter, and refuses naming neither", async () => {
    const auth = authWith();
    const { userId, cookie } = await signUp(auth, "metered@example.test");
    await hub.record({ customerId: userId, meter: "api_calls", quantity: 12, transactionId: `${userId}-u1` });
    expect(await get(auth, "/billhub/usage?feature=api", cookie)).toMatchObject({ status: 200, body: { customerId: userId, meter: "api_calls", value: "12" } });
    expect(await get(auth, "/billhub/usage?meter=api_calls&window=day", cookie)).toMatchObject({ status: 200, body: { value: "12" } });
    expect(await get(auth, "/billhub/usage", cookie)).toMatchObject({ status: 400, body: { code: expect.any(String) } });
    expect((await get(auth, "/billhub/usage?meter=api_calls&window=fortnight", cookie)).status).toBe(400);
  });

  it("refuses with 403 NO_BILLING_CUSTOMER when customerId finds nobody to bill", async () => {
    const auth = authWith({ customerId: () => undefined });
    const { cookie } = await signUp(auth, "orgless@example.test");
    expect(await get(auth, "/billhub/check?feature=api", cookie)).toMatchObject({ status: 403, body: { code: "NO_BILLING_CUSTOMER" } });
  });

  it("starts a Stripe Checkout for a plan for the session's own customer", async () => {
    stripe.putObject("price", stripePrice({ id: "price_pro_monthly", lookup_key: "pro_monthly", recurring: { interval: "month", interval_count: 1, meter: null, usage_type: "licensed", trial_period_days: null }, unit_amount: 4900, unit_amount_decimal: "4900" }));
    const auth = authWith();
    const { userId, cookie } = await signUp(auth, "buyer@example.test");
    const answer = await post(auth, "/billhub/checkout", { plan: "pro", successUrl: "https://app.example/done", cancelUrl: "https://app.example/billing" }, cookie);
    expect(answer).toMatchObject({ status: 200, body: { provider: "stripe", url: expect.stringMatching(/^https:\/\/checkout\.stripe\.com\//) } });
    expect(stripe.checkoutSessions()).toMatchObject([{ client_reference_id: userId, line_items: [{ price: "price_pro_monthly" }] }]);
  });

  it("refuses a checkout for a plan the catalog does not have, and one with a non-http URL, creating nothing at Stripe", async () => {
    const auth = authWith();
    const { cookie } = await signUp(auth, "wrong@example.test");
    expect(await post(auth, "/billhub/checkout", { plan: "platinum", successUrl: "https://app.example/done", cancelUrl: "https://app.example/billing" }, cookie)).toMatchObject({ status: 400, body: { code: "UNKNOWN_PLAN" } });
    expect((await post(auth, "/billhub/checkout", { plan: "pro", successUrl: "javascript:alert(1)", cancelUrl: "https://app.example/billing" }, cookie)).status).toBe(400);
    expect(stripe.checkoutSessions()).toEqual([]);
  });

  it("lets the sign-up succeed when the hub cannot take the customer, and creates it on the user's first request", async () => {
    let failures = 1;
    const flaky: Hub = { ...hub, customers: { ...hub.customers, upsert: (input) => (failures-- > 0 ? Promise.reject(new Error("store down")) : hub.customers.upsert(input)) } };
    const auth = authWith({ hub: flaky });
    const { userId, cookie } = await signUp(auth, "late@example.test", "Late Comer");
    await expect(hub.customers.get(userId)).rejects.toMatchObject({ code: "CUSTOMER_NOT_FOUND" });
    expect(await get(auth, "/billhub/check?feature=api", cookie)).toMatchObject({ status: 200, body: { limit: 100 } });
    expect(await hub.customers.get(userId)).toMatchObject({ email: "late@example.test", name: "Late Comer" });
  });
});
