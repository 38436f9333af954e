import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isBillingError } from "../../src/core/errors.ts";
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
  for (const id of ["acme", "globex"]) await hub.upsertCustomer({ id, periodStart: new Date("2026-03-01T00:00:00Z"), periodEnd: new Date("2026-04-01T00:00:00Z") });
});
afterAll(async () => {
  await hub.close();
  await store.cleanup();
});

const nested = (depth: number): unknown => (depth === 0 ? 1 : { a: nested(depth - 1) });
const event = (transactionId: string, extra: Record<string, unknown> = {}) => ({ customerId: "acme", meter: "api_calls", quantity: 1, transactionId, ...extra });

async function ledgerIds(prefix: string): Promise<string[]> {
  const { rows } = await store.query<{ transaction_id: string }>("SELECT transaction_id FROM usage_events WHERE transaction_id LIKE $1 ORDER BY transaction_id", [`${prefix}%`]);
  return rows.map((row) => row.transaction_id);
}

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

describe("POST /v1/usage", () => {
  it("answers 201 for a new event and 200 duplicate with the original for a retry", async () => {
    const first = await call("POST", "/v1/usage", event("rec_1", { quantity: "1500.50", properties: { model: "gpt-5" } }));
    expect(first).toMatchObject({ status: 201, body: { status: "created", event: { transactionId: "rec_1", quantity: "1500.5", kind: "usage", timestamp: NOW.toISOString(), properties: { model: "gpt-5" } } } });
    const retry = await call("POST", "/v1/usage", event("rec_1", { quantity: 1500.5, properties: { model: "gpt-5" } }));
    expect(retry).toMatchObject({ status: 200, body: { status: "duplicate", event: first.body.event } });
  });

  it("answers 409 IDEMPOTENCY_CONFLICT for other content under a recorded id, and stores nothing new", async () => {
    expect(await call("POST", "/v1/usage", event("rec_1", { quantity: 2 }))).toMatchObject({ status: 409, body: { error: { code: "IDEMPOTENCY_CONFLICT", field: "transactionId" } } });
    expect((await store.query("SELECT quantity FROM usage_events WHERE transaction_id = 'rec_1'")).rows).toEqual([{ quantity: "1500.5" }]);
  });

  it("refuses bad events exactly as hub.record does: same status, code, field and details", async () => {
    const cases = [
      event("bad_1", { quantity: true }),
      event("bad_2", { quantity: "NaN" }),
      event("bad_3", { quantity: "-5" }),
      event("bad_4", { quantity: "1e999999" }),
      event("bad_5", { meter: "api_callz" }),
      event("bad_6", { customerId: "nobody" }),
      event("bad 7"),
      event("bad_8", { timestamp: "2026-03-10" }),
      event("bad_9", { kind: "refund" }),
      event("bad_10", { colour: "blue" }),
      event("bad_11", { properties: nested(11) }),
      { meter: "api_calls", quantity: 1, transactionId: "bad_12" },
    ];
    for (const input of cases) {
      const answer = await call("POST", "/v1/usage", input);
      expect({ status: answer.status, body: answer.body }).toEqual(await libraryError(() => hub.record(input as never)));
      expect(answer.status).toBeGreaterThanOrEqual(400);
    }
    expect(await ledgerIds("bad")).toEqual([]);
  });

  it("refuses a quantity a JSON number cannot carry exactly, pointing at the decimal string", async () => {
    const answer = await call("POST", "/v1/usage", '{"customerId":"acme","meter":"api_calls","quantity":12345678901234567.5,"transactionId":"big_1"}');
    expect(answer).toMatchObject({ status: 400, body: { error: { code: "VALIDATION_FAILED", field: "quantity", message: expect.stringContaining('send it as a decimal string ("12345678901234567.5")') } } });
    expect(await call("POST", "/v1/usage", event("big_2", { quantity: "12345678901234567.5" }))).toMatchObject({ status: 201, body: { event: { quantity: "12345678901234567.5" } } });
  });

  it("answers 403 to a read-only key and records nothing", async () => {
    expect(await call("POST", "/v1/usage", event("ro_1"), { key: READ_KEY })).toMatchObject({ status: 403 });
    expect(await ledgerIds("ro_")).toEqual([]);
  });
});

describe("POST /v1/usage/batch", () => {
  it("answers 200 with one result per event in order, duplicates as per-item successes", async () => {
    await call("POST", "/v1/usage", event("batch_1"));
    const answer = await call("POST", "/v1/usage/batch", { events: [event("batch_1"), event("batch_2", { customerId: "globex", quantity: 3 }), event("batch_2", { customerId: "globex", quantity: 3 })] });
    expect(answer.status).toBe(200);
    expect(answer.body.results.map((r: { status: string; event: { transactionId: string } }) => [r.status, r.event.transactionId])).toEqual([
      ["duplicate", "batch_1"],
      ["created", "batch_2"],
      ["duplicate", "batch_2"],
    ]);
  });

  it("refuses the whole batch listing every problem, shape and catalog alike, and records none of it", async () => {
    const events = [event("whole_1"), event("whole_2", { meter: "api_callz" }), event("whole_3", { quantity: "x" }), event("whole_4", { extra: 1 })];
    const answer = await call("POST", "/v1/usage/batch", { events });
    expect(answer.status).toBe(400);
    expect(answer.body.error.details.items.map((item: { field: string; code: string }) => [item.field, item.code])).toEqual([
      ["events.1.meter", "UNKNOWN_METER"],
      ["events.2.quantity", "INVALID_AMOUNT"],
      ["events.3.extra", "INVALID_USAGE"],
    ]);
    expect(answer.body).toEqual((await libraryError(() => hub.recordBatch(events as never))).body);
    expect(await ledgerIds("whole_")).toEqual([]);
  });

  it("refuses a batch with an unknown customer or a conflict as a whole, with the item named", async () => {
    const answer = await call("POST", "/v1/usage/batch", { events: [event("conf_1"), event("rec_1", { quantity: 7 }), event("conf_2", { customerId: "nobody" })] });
    expect(answer).toMatchObject({ status: 404, body: { error: { code: "CUSTOMER_NOT_FOUND", field: "events.2.customerId" } } });
    const conflict = await call("POST", "/v1/usage/batch", { events: [event("conf_1"), event("rec_1", { quantity: 7 })] });
    expect(conflict).toMatchObject({ status: 409, body: { error: { code: "IDEMPOTENCY_CONFLICT", field: "events.1.transactionId" } } });
    expect(await ledgerIds("conf_")).toEqual([]);
  });

  it("refuses more than 1000 events, a missing list and a stray field beside it", async () => {
    const tooMany = await call("POST", "/v1/usage/batch", { events: Array.from({ length: 1001 }, (_, i) => event(`many_${i}`)) });
    expect(tooMany).toMatchObject({ status: 400, body: { error: { code: "INVALID_USAGE", field: "events", message: expect.stringContaining("at most 1000 per call") } } });
    expect(await call("POST", "/v1/usage/batch", { evnts: [] })).toMatchObject({ status: 400, body: { error: { code: "INVALID_USAGE", field: "events" } } });
    expect(await call("POST", "/v1/usage/batch", { events: [event("stray_1")], dryRun: true })).toMatchObject({ status: 400, body: { error: { code: "INVALID_USAGE", field: "dryRun" } } });
    expect(await ledgerIds("many_")).toEqual([]);
    expect(await ledgerIds("stray_")).toEqual([]);
  });
});

describe("POST /v1/usage/adjustments", () => {
  it("records a refund as negative usage with its reason (201), a retry as duplicate (200)", async () => {
    const refund = { customerId: "globex", meter: "api_calls", kind: "refund", quantity: 1, reason: "outage credit", transactionId: "refund_1" };
    expect(await call("POST", "/v1/usage/adjustments", refund)).toMatchObject({ status: 201, body: { status: "created", event: { kind: "refund", quantity: "-1", reason: "outage credit" } } });
    expect(await call("POST", "/v1/usage/adjustments", refund)).toMatchObject({ status: 200, body: { status: "duplicate" } });
  });

  it("refuses an adjustment without a reason or with a negative quantity as adjust() does", async () => {
    for (const input of [
      { customerId: "globex", meter: "api_calls", kind: "refund", quantity: 1, transactionId: "refund_bad_1" },
      { customerId: "globex", meter: "api_calls", kind: "bonus", quantity: -1, reason: "x", transactionId: "refund_bad_2" },
      { customerId: "globex", meter: "active_models", kind: "bonus", quantity: 1, reason: "x", transactionId: "refund_bad_3" },
    ]) {
      const answer = await call("POST", "/v1/usage/adjustments", input);
      expect({ status: answer.status, body: answer.body }).toEqual(await libraryError(() => hub.adjust(input as never)));
    }
    expect(await ledgerIds("refund_bad")).toEqual([]);
  });
});

describe("reading usage", () => {
  beforeAll(async () => {
    await hub.recordBatch([
      { customerId: "globex", meter: "llm_tokens", quantity: 100, transactionId: "read_1", properties: { model: "gpt-5" }, timestamp: "2026-03-02T10:00:00Z" },
      { customerId: "globex", meter: "llm_tokens", quantity: 50, transactionId: "read_2", properties: { model: "mini" }, timestamp: "2026-03-03T10:00:00Z" },
      { customerId: "globex", meter: "llm_tokens", quantity: 7, transactionId: "read_3", properties: { model: "gpt-5" }, timestamp: "2026-02-20T10:00:00Z" },
    ]);
  });

  it("GET /usage aggregates a meter over the billing period, a window, or only matching events", async () => {
    expect(await call("GET", "/v1/customers/globex/usage?meter=llm_tokens", undefined, { key: READ_KEY })).toMatchObject({
      status: 200,
      body: { customerId: "globex", meter: "llm_tokens", feature: null, value: "150", window: { from: "2026-03-01T00:00:00.000Z", to: "2026-04-01T00:00:00.000Z" } },
    });
    expect((await call("GET", "/v1/customers/globex/usage?meter=llm_tokens&filter.model=gpt-5")).body.value).toBe("100");
    expect((await call("GET", "/v1/customers/globex/usage?meter=llm_tokens&from=2026-02-01T00:00:00Z&to=2026-03-03T00:00:00Z")).body.value).toBe("107");
    expect((await call("GET", "/v1/customers/globex/usage?meter=llm_tokens&window=last_30_days")).body.value).toBe("157");
    expect((await call("GET", "/v1/customers/globex/usage?feature=tokens")).body).toMatchObject({ feature: "tokens", value: "150" });
  });

  it("GET /usage refuses a bad window, an unknown parameter, both meter and feature, and an unknown customer", async () => {
    expect(await call("GET", "/v1/customers/globex/usage?meter=llm_tokens&window=fortnight")).toMatchObject({ status: 400, body: { error: { field: "query.window" } } });
    expect(await call("GET", "/v1/customers/globex/usage?meter=llm_tokens&from=2026-02-01T00:00:00Z")).toMatchObject({ status: 400, body: { error: { field: "query.to" } } });
    expect(await call("GET", "/v1/customers/globex/usage?meter=llm_tokens&from=yesterday&to=today")).toMatchObject({ status: 400, body: { error: { field: "query.from" } } });
    expect(await call("GET", "/v1/customers/globex/usage?meter=llm_tokens&window=month&from=2026-02-01T00:00:00Z&to=2026-03-01T00:00:00Z")).toMatchObject({ status: 400, body: { error: { field: "query.window" } } });
    expect(await call("GET", "/v1/customers/globex/usage?meter=llm_tokens&metre=x")).toMatchObject({ status: 400, body: { error: { field: "query.metre" } } });
    expect(await call("GET", "/v1/customers/globex/usage?meter=llm_tokens&feature=tokens")).toMatchObject({ status: 400, body: { error: { code: "VALIDATION_FAILED" } } });
    expect(await call("GET", "/v1/customers/globex/usage?meter=tokenz")).toMatchObject({ status: 400, body: { error: { code: "UNKNOWN_METER" } } });
    expect(await call("GET", "/v1/customers/nobody/usage?meter=llm_tokens")).toMatchObject({ status: 404, body: { error: { code: "CUSTOMER_NOT_FOUND" } } });
  });

  it("GET /stats buckets a meter by day with total, average, min and max", async () => {
    const { status, body } = await call("GET", "/v1/customers/globex/stats?meter=llm_tokens&groupBy=day&from=2026-03-02T00:00:00Z&to=2026-03-04T00:00:00Z");
    expect(status).toBe(200);
    expect(body).toMatchObject({ total: "150", average: "75", min: "50", max: "100", buckets: [{ from: "2026-03-02T00:00:00.000Z", value: "100" }, { from: "2026-03-03T00:00:00.000Z", value: "50" }] });
    expect(await call("GET", "/v1/customers/globex/stats?meter=llm_tokens&groupBy=fortnight")).toMatchObject({ status: 400, body: { error: { field: "query.groupBy" } } });
  });

  it("POST /usage/stats answers many customers × meters to a read key", async () => {
    const { status, body } = await call("POST", "/v1/usage/stats", { customerIds: ["globex", "acme"], meters: ["llm_tokens"], groupBy: "month", window: "billing_period", at: NOW.toISOString() }, { key: READ_KEY });
    expect(status).toBe(200);
    expect(body.stats.map((s: { customerId: string; total: string }) => [s.customerId, s.total])).toEqual([
      ["globex", "150"],
      ["acme", "0"],
    ]);
    expect(await call("POST", "/v1/usage/stats", { customerIds: [], meters: ["llm_tokens"], groupBy: "month" })).toMatchObject({ status: 400, body: { error: { field: "customerIds" } } });
  });

  it("GET /events pages through the ledger with a cursor, and refuses a forged cursor", async () => {
    const first = await call("GET", "/v1/customers/globex/events?meter=llm_tokens&limit=2&order=asc");
    expect(first.body.events.map((e: { transactionId: string }) => e.transactionId)).toEqual(["read_3", "read_1"]);
    const second = await call("GET", `/v1/customers/globex/events?meter=llm_tokens&limit=2&order=asc&cursor=${encodeURIComponent(first.body.nextCursor)}`);
    expect(second.body).toMatchObject({ events: [{ transactionId: "read_2" }], nextCursor: null });
    expect(await call("GET", "/v1/customers/globex/events?cursor=forged")).toMatchObject({ status: 400, body: { error: { field: "cursor" } } });
    expect(await call("GET", "/v1/customers/globex/events?limit=0")).toMatchObject({ status: 400, body: { error: { field: "query.limit" } } });
    expect(await call("GET", "/v1/customers/globex/events?limit=1e3")).toMatchObject({ status: 400, body: { error: { field: "query.limit" } } });
  });

  it("POST /resets starts a feature's usage over (201) and GET /resets lists it", async () => {
    expect(await call("POST", "/v1/customers/globex/resets", { feature: "tokens", reason: "support ticket 812" })).toMatchObject({ status: 201, body: { feature: "tokens", resetAt: NOW.toISOString(), reason: "support ticket 812" } });
    expect((await call("GET", "/v1/customers/globex/usage?feature=tokens")).body.value).toBe("0");
    expect((await call("GET", "/v1/customers/globex/resets?feature=tokens")).body.resets).toHaveLength(1);
    expect(await call("POST", "/v1/customers/globex/resets", { feature: "sso", reason: "x" })).toMatchObject({ status: 400 });
    expect(await call("POST", "/v1/customers/globex/resets", { feature: "tokens" })).toMatchObject({ status: 400, body: { error: { field: "reason" } } });
  });
});
