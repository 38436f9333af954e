import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Hub } from "../../src/hub.ts";
import { apiHub, READ_KEY, type Call } from "../support/api.ts";
import { openTestStore, type TestStore } from "../support/store.ts";

const NOW = new Date("2026-03-10T12:00:00.000Z");
let store: TestStore;
let hub: Hub;
let call: Call;

beforeAll(async () => {
  store = await openTestStore();
  ({ hub, call } = await apiHub(store, { hub: { now: () => NOW } }));
});
afterAll(async () => {
  await hub.close();
  await store.cleanup();
});

async function customerRows(id: string) {
  return (await store.query("SELECT id, email, plan_key FROM customers WHERE id = $1", [id])).rows;
}

describe("PUT /v1/customers/:id", () => {
  it("creates the customer with 201, then updates only the fields given with 200", async () => {
    const created = await call("PUT", "/v1/customers/org_1", { referenceType: "organization", name: "Acme", providerIds: { stripe: "cus_acme" }, metadata: { tier: "gold" } });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ created: true, customer: { id: "org_1", referenceType: "organization", name: "Acme", plan: "free", onDefaultPlan: true, providerIds: { stripe: "cus_acme" }, metadata: { tier: "gold" } } });

    const updated = await call("PUT", "/v1/customers/org_1", { email: "billing@acme.test", metadata: { tier: null, region: "eu" } });
    expect(updated.status).toBe(200);
    expect(updated.body).toMatchObject({ created: false, customer: { name: "Acme", email: "billing@acme.test", metadata: { region: "eu" } } });
    expect(updated.body.customer.metadata).not.toHaveProperty("tier");
  });

  it("reads ISO 8601 period dates and answers them as ISO strings", async () => {
    const { body } = await call("PUT", "/v1/customers/org_period", { periodStart: "2026-03-01T00:00:00Z", periodEnd: "2026-04-01T00:00:00+00:00" });
    expect(body.customer).toMatchObject({ periodStart: "2026-03-01T00:00:00.000Z", periodEnd: "2026-04-01T00:00:00.000Z" });
  });

  it("refuses an unknown field, a bad email and a period that ends before it starts with 400 naming the field, and writes nothing", async () => {
    expect(await call("PUT", "/v1/customers/org_bad", { nmae: "Typo" })).toMatchObject({ status: 400, body: { error: { code: "VALIDATION_FAILED", field: "nmae" } } });
    expect(await call("PUT", "/v1/customers/org_bad", { email: "not-an-email" })).toMatchObject({ status: 400, body: { error: { field: "email" } } });
    expect(await call("PUT", "/v1/customers/org_bad", { periodStart: "2026-04-01T00:00:00Z", periodEnd: "2026-03-01T00:00:00Z" })).toMatchObject({
      status: 400,
      body: { error: { field: "periodEnd", message: "periodEnd: must be after periodStart" } },
    });
    expect(await call("PUT", "/v1/customers/org_bad", { id: "other" })).toMatchObject({ status: 400, body: { error: { field: "id" } } });
    expect(await customerRows("org_bad")).toEqual([]);
  });

  it("refuses a provider id another customer holds with 409 PROVIDER_ID_IN_USE", async () => {
    const clash = await call("PUT", "/v1/customers/org_clash", { providerIds: { stripe: "cus_acme" } });
    expect(clash).toMatchObject({ status: 409, body: { error: { code: "PROVIDER_ID_IN_USE" } } });
    expect(await customerRows("org_clash")).toEqual([]);
  });

  it("answers 403 to a read-only key and writes nothing", async () => {
    expect(await call("PUT", "/v1/customers/org_readonly", {}, { key: READ_KEY })).toMatchObject({ status: 403, body: { error: { code: "FORBIDDEN" } } });
    expect(await customerRows("org_readonly")).toEqual([]);
  });
});

describe("GET /v1/customers/:id", () => {
  it("answers the customer to a read key, and 404 CUSTOMER_NOT_FOUND for an unknown id", async () => {
    await call("PUT", "/v1/customers/org_get", { name: "Getter" });
    expect(await call("GET", "/v1/customers/org_get", undefined, { key: READ_KEY })).toMatchObject({ status: 200, body: { id: "org_get", name: "Getter" } });
    expect(await call("GET", "/v1/customers/nobody")).toMatchObject({ status: 404, body: { error: { code: "CUSTOMER_NOT_FOUND" } } });
  });

  it("decodes percent-encoded ids", async () => {
    await call("PUT", `/v1/customers/${encodeURIComponent("team/42 ü")}`, { name: "Slash" });
    expect((await call("GET", `/v1/customers/${encodeURIComponent("team/42 ü")}`)).body).toMatchObject({ id: "team/42 ü", name: "Slash" });
  });

  it("answers 401 without a key", async () => {
    expect(await call("GET", "/v1/customers/org_get", undefined, { key: null })).toMatchObject({ status: 401, body: { error: { code: "UNAUTHORIZED" } } });
  });
});

describe("the customer's plan", () => {
  it("assigns a plan with a variant, and DELETE returns the customer to the default plan", async () => {
    await call("PUT", "/v1/customers/org_plan", {});
    expect(await call("POST", "/v1/customers/org_plan/plan", { plan: "pro", variant: "starter" })).toMatchObject({ status: 200, body: { plan: "pro", variant: "starter", onDefaultPlan: false } });
    expect(await call("DELETE", "/v1/customers/org_plan/plan")).toMatchObject({ status: 200, body: { plan: "free", variant: null, onDefaultPlan: true } });
  });

  it("refuses an unknown plan or variant listing the valid ones, and keeps the plan", async () => {
    await call("POST", "/v1/customers/org_plan/plan", { plan: "pro" });
    expect(await call("POST", "/v1/customers/org_plan/plan", { plan: "platinum" })).toMatchObject({
      status: 400,
      body: { error: { code: "UNKNOWN_PLAN", field: "plan", details: { valid: ["enterprise", "free", "pro"] } } },
    });
    expect(await call("POST", "/v1/customers/org_plan/plan", { plan: "enterprise", variant: "starter" })).toMatchObject({ status: 400, body: { error: { code: "UNKNOWN_VARIANT", field: "variant" } } });
    expect(await customerRows("org_plan")).toEqual([{ id: "org_plan", email: null, plan_key: "pro" }]);
  });

  it("keeps every plan change with the instant it takes effect, readable at /plan-history and documented in /openapi.json", async () => {
    await call("PUT", "/v1/customers/org_history", {});
    await call("POST", "/v1/customers/org_history/plan", { plan: "pro", effectiveAt: "2026-03-01T00:00:00Z" });
    await call("POST", "/v1/customers/org_history/plan", { plan: "pro", variant: "starter" });
    await call("DELETE", "/v1/customers/org_history/plan?effectiveAt=2026-03-10T12:00:00Z");
    const { status, body } = await call("GET", "/v1/customers/org_history/plan-history", undefined, { key: READ_KEY });
    expect(status).toBe(200);
    expect(body.changes.map((change: Record<string, unknown>) => [change.effectiveAt, change.plan, change.variant, change.onDefaultPlan, change.source])).toEqual([
      ["2026-03-01T00:00:00.000Z", "pro", null, false, "assign"],
      // A second change at the same instant replaces the first: an instant holds one plan.
      ["2026-03-10T12:00:00.000Z", "free", null, true, "unassign"],
    ]);
    const document = (await call("GET", "/openapi.json")).body as { paths: Record<string, Record<string, { parameters?: Array<{ name: string }>; requestBody?: { content: Record<string, { schema: { properties: object } }> } }>> };
    expect(document.paths["/v1/customers/{id}/plan-history"]?.get).toBeDefined();
    expect(document.paths["/v1/customers/{id}/plan"]?.post?.requestBody?.content["application/json"]?.schema.properties).toHaveProperty("effectiveAt");
    expect(document.paths["/v1/customers/{id}/plan"]?.delete?.parameters?.map((parameter) => parameter.name)).toContain("effectiveAt");
  });

  it("refuses a plan change dated in the future, before the latest change, or without a zone, naming effectiveAt", async () => {
    await call("PUT", "/v1/customers/org_dated", {});
    await call("POST", "/v1/customers/org_dated/plan", { plan: "pro", effectiveAt: "2026-03-05T00:00:00Z" });
    for (const effectiveAt of ["2026-03-11T00:00:00Z", "2026-03-04T00:00:00Z", "2026-03-06T00:00:00"]) {
      expect(await call("POST", "/v1/customers/org_dated/plan", { plan: "enterprise", effectiveAt })).toMatchObject({ status: 400, body: { error: { code: "VALIDATION_FAILED", field: "effectiveAt" } } });
    }
    expect(await customerRows("org_dated")).toEqual([{ id: "org_dated", email: null, plan_key: "pro" }]);
  });

  it("answers 404 for a customer that does not exist", async () => {
    expect(await call("GET", "/v1/customers/nobody/plan-history")).toMatchObject({ status: 404, body: { error: { code: "CUSTOMER_NOT_FOUND" } } });
    expect(await call("POST", "/v1/customers/nobody/plan", { plan: "pro" })).toMatchObject({ status: 404, body: { error: { code: "CUSTOMER_NOT_FOUND" } } });
  });
});

describe("overrides", () => {
  it("PATCH sets the named features and answers every override; DELETE removes some or all", async () => {
    await call("PUT", "/v1/customers/org_over", {});
    await call("PATCH", "/v1/customers/org_over/overrides", { seats: 30 });
    const patched = await call("PATCH", "/v1/customers/org_over/overrides", { api: "50000.5", sso: true, tokens: null });
    expect(patched).toMatchObject({ status: 200 });
    expect(patched.body.overrides).toEqual({
      api: { feature: "api", granted: true, limit: "50000.5" },
      seats: { feature: "seats", granted: true, limit: "30" },
      sso: { feature: "sso", granted: true, limit: null },
      tokens: { feature: "tokens", granted: true, limit: null },
    });
    expect(Object.keys((await call("DELETE", "/v1/customers/org_over/overrides?features=api,sso")).body.overrides)).toEqual(["seats", "tokens"]);
    expect((await call("DELETE", "/v1/customers/org_over/overrides")).body).toEqual({ overrides: {} });
  });

  it("refuses an unknown feature, a flag given a limit and a negative limit, and sets none of the batch", async () => {
    expect(await call("PATCH", "/v1/customers/org_over/overrides", { seats: 5, apii: 10 })).toMatchObject({ status: 400, body: { error: { code: "UNKNOWN_FEATURE", field: "overrides.apii" } } });
    expect(await call("PATCH", "/v1/customers/org_over/overrides", { sso: 5 })).toMatchObject({ status: 400, body: { error: { field: "overrides.sso" } } });
    expect(await call("PATCH", "/v1/customers/org_over/overrides", { seats: "-1" })).toMatchObject({ status: 400, body: { error: { code: "INVALID_AMOUNT", field: "overrides.seats" } } });
    expect(await call("PATCH", "/v1/customers/org_over/overrides", { seats: { limit: 5 } })).toMatchObject({ status: 400, body: { error: { code: "VALIDATION_FAILED", field: "seats" } } });
    expect(await call("PATCH", "/v1/customers/org_over/overrides", {})).toMatchObject({ status: 400, body: { error: { field: "overrides" } } });
    expect((await store.query("SELECT count(*)::int AS n FROM customer_overrides WHERE customer_id = 'org_over'")).rows).toEqual([{ n: 0 }]);
  });

  it("refuses an empty feature list", async () => {
    expect(await call("DELETE", "/v1/customers/org_over/overrides?features=,")).toMatchObject({ status: 400, body: { error: { field: "query.features" } } });
  });
});

describe("limit adjustments", () => {
  it("creates with 201, answers a retry with 200 duplicate and other content under the id with 409", async () => {
    await call("PUT", "/v1/customers/org_adj", {});
    const grant = { id: "launch-bonus", feature: "api", amount: 500, reason: "launch" };
    expect(await call("POST", "/v1/customers/org_adj/adjustments", grant)).toMatchObject({ status: 201, body: { status: "created", adjustment: { id: "launch-bonus", amount: "500", recurrence: "once", startsAt: NOW.toISOString() } } });
    expect(await call("POST", "/v1/customers/org_adj/adjustments", grant)).toMatchObject({ status: 200, body: { status: "duplicate" } });
    expect(await call("POST", "/v1/customers/org_adj/adjustments", { ...grant, amount: 600 })).toMatchObject({ status: 409, body: { error: { code: "IDEMPOTENCY_CONFLICT", field: "amount" } } });
  });

  it("lists active adjustments, ends one, and lists ended ones only when asked", async () => {
    await call("POST", "/v1/customers/org_adj/adjustments", { id: "grandfathered", feature: "api", amount: "1000", recurrence: "each_period" });
    expect((await call("GET", "/v1/customers/org_adj/adjustments?feature=api", undefined, { key: READ_KEY })).body.adjustments.map((a: { id: string }) => a.id).sort()).toEqual(["grandfathered", "launch-bonus"]);
    expect(await call("POST", "/v1/customers/org_adj/adjustments/launch-bonus/end")).toMatchObject({ status: 200, body: { id: "launch-bonus", endsAt: NOW.toISOString() } });
    expect((await call("GET", "/v1/customers/org_adj/adjustments")).body.adjustments.map((a: { id: string }) => a.id)).toEqual(["grandfathered"]);
    expect((await call("GET", "/v1/customers/org_adj/adjustments?includeEnded=true")).body.adjustments).toHaveLength(2);
    expect(await call("POST", "/v1/customers/org_adj/adjustments/never-made/end")).toMatchObject({ status: 404, body: { error: { code: "NOT_FOUND" } } });
  });

  it("refuses a zero amount, a flag, a bad recurrence and a bad query flag", async () => {
    expect(await call("POST", "/v1/customers/org_adj/adjustments", { id: "zero", feature: "api", amount: 0 })).toMatchObject({ status: 400, body: { error: { code: "INVALID_AMOUNT", field: "amount" } } });
    expect(await call("POST", "/v1/customers/org_adj/adjustments", { id: "flag", feature: "sso", amount: 1 })).toMatchObject({ status: 400, body: { error: { field: "feature" } } });
    expect(await call("POST", "/v1/customers/org_adj/adjustments", { id: "rec", feature: "api", amount: 1, recurrence: "weekly" })).toMatchObject({ status: 400, body: { error: { field: "recurrence" } } });
    expect(await call("GET", "/v1/customers/org_adj/adjustments?includeEnded=yes")).toMatchObject({ status: 400, body: { error: { field: "query.includeEnded" } } });
    expect((await store.query("SELECT id FROM limit_adjustments WHERE customer_id = 'org_adj' ORDER BY id")).rows.map((row) => row.id)).toEqual(["grandfathered", "launch-bonus"]);
  });
});

describe("GET /v1/customers/:id/subscriptions", () => {
  it("answers the synced subscriptions (none yet), and 404 for an unknown customer", async () => {
    expect(await call("GET", "/v1/customers/org_1/subscriptions")).toMatchObject({ status: 200, body: { subscriptions: [] } });
    expect(await call("GET", "/v1/customers/nobody/subscriptions")).toMatchObject({ status: 404 });
  });
});
