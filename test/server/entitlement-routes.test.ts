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
  ({ hub, call } = await apiHub(store, {
    hub: { now: () => NOW, hooks: { beforeConsume: ({ customer }) => (customer.metadata.frozen === true ? { refuse: "Account frozen" } : undefined) } },
  }));
  await hub.upsertCustomer({ id: "free_co" });
  await hub.upsertCustomer({ id: "pro_co" });
  await hub.assign("pro_co", "pro", { variant: "starter" });
  await hub.upsertCustomer({ id: "frozen_co", metadata: { frozen: true } });
  await hub.record({ customerId: "free_co", meter: "api_calls", quantity: 990, transactionId: "seed_free" });
});
afterAll(async () => {
  await hub.close();
  await store.cleanup();
});

async function ledgerCount(transactionId: string): Promise<number> {
  const { rows } = await store.query<{ n: number }>("SELECT count(*)::int AS n FROM usage_events WHERE transaction_id = $1", [transactionId]);
  return rows[0]!.n;
}

describe("GET /v1/customers/:id/entitlements", () => {
  it("lists every feature's limit and where it comes from, to a read key", async () => {
    const { status, body } = await call("GET", "/v1/customers/pro_co/entitlements", undefined, { key: READ_KEY });
    expect(status).toBe(200);
    expect(body).toMatchObject({ customer: "pro_co", plan: "pro", variant: "starter" });
    expect(body.features.api).toMatchObject({ type: "metered", granted: true, limit: 25000, exactLimit: "25000", source: "variant", resetsAt: "2026-04-01T00:00:00.000Z" });
    expect(body.features.sso).toMatchObject({ type: "boolean", granted: false });
  });

  it("takes a variant for the call and refuses an unknown one", async () => {
    expect((await call("GET", "/v1/customers/free_co/entitlements?variant=starter")).body.variant).toBe("starter");
    expect(await call("GET", "/v1/customers/free_co/entitlements?variant=gold")).toMatchObject({ status: 400, body: { error: { code: "UNKNOWN_VARIANT" } } });
    expect(await call("GET", "/v1/customers/nobody/entitlements")).toMatchObject({ status: 404, body: { error: { code: "CUSTOMER_NOT_FOUND" } } });
  });
});

describe("POST /v1/entitlements/check", () => {
  it("answers 200 allowed with the numbers, to a read key", async () => {
    const { status, body } = await call("POST", "/v1/entitlements/check", { customerId: "free_co", feature: "api", amount: 10 }, { key: READ_KEY });
    expect(status).toBe(200);
    expect(body).toEqual({
      feature: "api",
      allowed: true,
      unlimited: false,
      limit: 1000,
      used: 990,
      remaining: 10,
      resetsAt: "2026-04-01T00:00:00.000Z",
      exact: { limit: "1000", used: "990", remaining: "10", amount: "10" },
      refusal: null,
      overage: { policy: "block", inOverage: false, units: "0", spend: null, maxUnits: null, maxSpend: null },
    });
  });

  it("answers 200 with allowed false and the refusal when the answer is no", async () => {
    expect(await call("POST", "/v1/entitlements/check", { customerId: "free_co", feature: "api", amount: "10.5" })).toMatchObject({
      status: 200,
      body: { allowed: false, refusal: { code: "LIMIT_EXCEEDED" }, exact: { amount: "10.5" } },
    });
    expect(await call("POST", "/v1/entitlements/check", { customerId: "free_co", feature: "sso" })).toMatchObject({ status: 200, body: { allowed: false, refusal: { code: "FEATURE_NOT_GRANTED" } } });
  });

  it("refuses bad questions with 400 naming the field", async () => {
    expect(await call("POST", "/v1/entitlements/check", { customerId: "free_co", feature: "apii" })).toMatchObject({ status: 400, body: { error: { code: "UNKNOWN_FEATURE", field: "feature" } } });
    expect(await call("POST", "/v1/entitlements/check", { customerId: "free_co", feature: "api", amount: -1 })).toMatchObject({ status: 400, body: { error: { code: "INVALID_AMOUNT", field: "amount" } } });
    expect(await call("POST", "/v1/entitlements/check", { customerId: "free_co", feature: "api", amount: "NaN" })).toMatchObject({ status: 400, body: { error: { code: "INVALID_AMOUNT" } } });
    expect(await call("POST", "/v1/entitlements/check", { customerId: "free_co", feature: "api", amount: [1] })).toMatchObject({ status: 400, body: { error: { field: "amount" } } });
    expect(await call("POST", "/v1/entitlements/check", { customer: "free_co", feature: "api" })).toMatchObject({ status: 400, body: { error: { code: "VALIDATION_FAILED" } } });
  });
});

describe("POST /v1/entitlements/consume", () => {
  it("consumes with 201, answers a retry with 200 duplicate, and records the usage once", async () => {
    const consume = { customerId: "free_co", feature: "api", amount: 4, transactionId: "consume_1", properties: { route: "/search" } };
    expect(await call("POST", "/v1/entitlements/consume", consume)).toMatchObject({ status: 201, body: { status: "created", allowed: true, used: 994, remaining: 6, transactionId: "consume_1" } });
    expect(await call("POST", "/v1/entitlements/consume", consume)).toMatchObject({ status: 200, body: { status: "duplicate", allowed: true } });
    expect(await ledgerCount("consume_1")).toBe(1);
  });

  it("refuses over the limit with 403 LIMIT_EXCEEDED, the result in details, and records nothing", async () => {
    const answer = await call("POST", "/v1/entitlements/consume", { customerId: "free_co", feature: "api", amount: 7, transactionId: "consume_over" });
    expect(answer.status).toBe(403);
    expect(answer.body.error).toMatchObject({
      code: "LIMIT_EXCEEDED",
      message: 'Feature "api" has 994 of 1000 used; 7 more would exceed the limit',
      details: { result: { status: "refused", allowed: false, remaining: 6, resetsAt: "2026-04-01T00:00:00.000Z", refusal: { code: "LIMIT_EXCEEDED" } } },
    });
    expect(await ledgerCount("consume_over")).toBe(0);
  });

  it("answers a hook's refusal with 403 HOOK_REFUSED and its reason", async () => {
    const answer = await call("POST", "/v1/entitlements/consume", { customerId: "frozen_co", feature: "api", amount: 1, transactionId: "consume_frozen" });
    expect(answer).toMatchObject({ status: 403, body: { error: { code: "HOOK_REFUSED", message: "Account frozen" } } });
    expect(await ledgerCount("consume_frozen")).toBe(0);
  });

  it("refuses a read-only key, a static feature, and a missing transactionId, recording nothing", async () => {
    expect(await call("POST", "/v1/entitlements/consume", { customerId: "pro_co", feature: "api", amount: 1, transactionId: "consume_ro" }, { key: READ_KEY })).toMatchObject({ status: 403, body: { error: { code: "FORBIDDEN" } } });
    expect(await call("POST", "/v1/entitlements/consume", { customerId: "pro_co", feature: "seats", amount: 1, transactionId: "consume_seats" })).toMatchObject({ status: 400, body: { error: { field: "feature" } } });
    expect(await call("POST", "/v1/entitlements/consume", { customerId: "pro_co", feature: "api", amount: 1 })).toMatchObject({ status: 400, body: { error: { field: "transactionId" } } });
    expect(await call("POST", "/v1/entitlements/consume", { customerId: "pro_co", feature: "api", amount: 1, transactionId: "has space" })).toMatchObject({ status: 400, body: { error: { field: "transactionId" } } });
    for (const id of ["consume_ro", "consume_seats"]) expect(await ledgerCount(id)).toBe(0);
  });
});

describe("usage counters at /metrics", () => {
  it("count created and duplicate events once committed; refused consumes and refused batches count nothing", async () => {
    const counts = async () => {
      const text = await hub.metrics.render();
      const value = (outcome: string) => Number(new RegExp(`billhub_usage_events_total\\{outcome="${outcome}"\\} (\\d+)`).exec(text)?.[1] ?? 0);
      return { created: value("created"), duplicate: value("duplicate") };
    };
    const before = await counts();
    await call("POST", "/v1/usage", { customerId: "pro_co", meter: "api_calls", quantity: 1, transactionId: "metric_1" });
    await call("POST", "/v1/usage", { customerId: "pro_co", meter: "api_calls", quantity: 1, transactionId: "metric_1" });
    await call("POST", "/v1/usage/batch", { events: [{ customerId: "pro_co", meter: "api_calls", quantity: 1, transactionId: "metric_2" }, { customerId: "nobody", meter: "api_calls", quantity: 1, transactionId: "metric_3" }] });
    await call("POST", "/v1/entitlements/consume", { customerId: "pro_co", feature: "api", amount: 1, transactionId: "metric_4" });
    await call("POST", "/v1/entitlements/consume", { customerId: "pro_co", feature: "api", amount: 1_000_000, transactionId: "metric_5" });
    expect(await counts()).toEqual({ created: before.created + 2, duplicate: before.duplicate + 1 });
  });
});
