import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHub, type Hub } from "../../src/hub.ts";
import { openTestStore, type TestStore } from "../support/store.ts";
import { entitlementsCatalog, testClock } from "./entitlements-catalog.ts";
import { usageRecorder } from "./usage-recorder.ts";

let store: TestStore;
let hub: Hub;
const clock = testClock("2026-03-18T10:30:00Z");
let record: ReturnType<typeof usageRecorder>;
let n = 0;
async function customer(plan?: string): Promise<string> {
  const id = `con_${++n}`;
  await hub.upsertCustomer({ id });
  if (plan) await hub.assign(id, plan);
  return id;
}
const eventCount = async (id: string) => Number((await store.query<{ n: number }>("SELECT count(*)::int AS n FROM usage_events WHERE customer_id = $1", [id])).rows[0]!.n);

beforeAll(async () => {
  store = await openTestStore();
  hub = await createHub({ catalog: entitlementsCatalog }, { store, now: clock.now });
  record = usageRecorder(hub);
});
afterAll(async () => {
  await hub.close();
  await store.cleanup();
});

describe("consume", () => {
  it("records the usage and answers with the state after it", async () => {
    const id = await customer();
    const result = await hub.consume(id, "api", 3, "con-a-1");
    expect(result).toMatchObject({ status: "created", transactionId: "con-a-1", allowed: true, used: 3, remaining: 97, limit: 100, exact: { amount: "3" }, refusal: null });
    expect((await hub.check(id, "api")).used).toBe(3);
    expect(await eventCount(id)).toBe(1);
  });

  it("refuses a consume that does not fit and records nothing", async () => {
    const id = await customer();
    await record(id, "api_calls", 98, "2026-03-10T00:00:00Z");
    const result = await hub.consume(id, "api", 3, "con-b-1");
    expect(result).toMatchObject({ status: "refused", allowed: false, used: 98, remaining: 2, refusal: { code: "LIMIT_EXCEEDED" } });
    expect((await hub.check(id, "api")).used).toBe(98);
    expect(await eventCount(id)).toBe(1);
  });

  it("takes the last fraction of a unit exactly and nothing past it", async () => {
    const id = await customer();
    await record(id, "api_calls", "99.5", "2026-03-10T00:00:00Z");
    expect((await hub.consume(id, "api", "0.5", "con-c-1")).status).toBe("created");
    expect((await hub.consume(id, "api", "0.000001", "con-c-2")).status).toBe("refused");
    expect((await hub.check(id, "api")).exact.used).toBe("100");
  });

  it("does not consume twice when retried with the same transactionId, even once the limit is full", async () => {
    const id = await customer();
    await record(id, "api_calls", 95, "2026-03-10T00:00:00Z");
    expect((await hub.consume(id, "api", 5, "con-d-1")).status).toBe("created");
    clock.advance(1000);
    const retry = await hub.consume(id, "api", 5, "con-d-1");
    expect(retry).toMatchObject({ status: "duplicate", allowed: true, used: 100, remaining: 0, refusal: null });
    expect(await eventCount(id)).toBe(2);
  });

  it("decides a retry of a refused consume afresh, since the refusal recorded nothing", async () => {
    const id = await customer();
    await record(id, "api_calls", 100, "2026-03-10T00:00:00Z");
    expect((await hub.consume(id, "api", 1, "con-e-1")).status).toBe("refused");
    await hub.adjustLimit(id, { id: "top-up", feature: "api", amount: 1 });
    expect((await hub.consume(id, "api", 1, "con-e-1")).status).toBe("created");
  });

  it("refuses the same transactionId with another amount with IDEMPOTENCY_CONFLICT, writing nothing", async () => {
    const id = await customer();
    await hub.consume(id, "api", 1, "con-f-1");
    await expect(hub.consume(id, "api", 2, "con-f-1")).rejects.toMatchObject({ code: "IDEMPOTENCY_CONFLICT" });
    expect((await hub.check(id, "api")).used).toBe(1);
  });

  it("always grants an unlimited feature and still records the usage", async () => {
    const id = await customer("enterprise");
    expect(await hub.consume(id, "api", 1e6, "con-g-1")).toMatchObject({ status: "created", unlimited: true, remaining: null, used: 1e6 });
  });

  it("shows usage consumed through one feature in every feature on the same meter", async () => {
    const id = await customer();
    await hub.consume(id, "api", 15, "con-h-1");
    expect(await hub.check(id, "api_hourly")).toMatchObject({ used: 15, remaining: 5 });
    expect((await hub.consume(id, "api_hourly", 6, "con-h-2")).status).toBe("refused");
  });

  it("consumes one event at a time on a count meter", async () => {
    const id = await customer();
    for (const key of ["x1", "x2", "x3"]) expect((await hub.consume(id, "exports", 1, `con-i-${key}`)).status).toBe("created");
    expect(await hub.consume(id, "exports", 1, "con-i-x4")).toMatchObject({ status: "refused", used: 3, limit: 3 });
    await expect(hub.consume(id, "exports", 2, "con-i-x5")).rejects.toMatchObject({ code: "INVALID_AMOUNT", field: "amount" });
  });

  it("uses the per-call variant's limit", async () => {
    const id = await customer("pro");
    await record(id, "api_calls", 2500, "2026-03-10T00:00:00Z");
    expect((await hub.consume(id, "api", 1, "con-j-1", { variant: "starter" })).status).toBe("refused");
    expect((await hub.consume(id, "api", 1, "con-j-2")).status).toBe("created");
  });
});

describe("consume on bad input", () => {
  it("refuses a negative, non-finite, non-numeric or missing amount with INVALID_AMOUNT and records nothing", async () => {
    const id = await customer();
    for (const [index, amount] of [-1, "-1", Number.NaN, Number.NEGATIVE_INFINITY, "ten", undefined, null].entries()) {
      await expect(hub.consume(id, "api", amount as never, `con-bad-${index}`)).rejects.toMatchObject({ code: "INVALID_AMOUNT", field: "amount" });
    }
    expect(await eventCount(id)).toBe(0);
  });

  it("refuses an unknown feature with UNKNOWN_FEATURE and an unknown customer with CUSTOMER_NOT_FOUND", async () => {
    await expect(hub.consume(await customer(), "apii", 1, "con-bad-f")).rejects.toMatchObject({ code: "UNKNOWN_FEATURE", details: { valid: expect.arrayContaining(["api"]) } });
    await expect(hub.consume("con_nobody", "api", 1, "con-bad-c")).rejects.toMatchObject({ code: "CUSTOMER_NOT_FOUND" });
    expect((await store.query("SELECT 1 FROM usage_events WHERE transaction_id IN ('con-bad-f', 'con-bad-c')")).rows).toEqual([]);
  });

  it("refuses to consume a flag, a static feature or a distinct-count feature with VALIDATION_FAILED", async () => {
    const id = await customer("pro");
    await expect(hub.consume(id, "sso", 1, "con-k-1")).rejects.toMatchObject({ code: "VALIDATION_FAILED", field: "feature" });
    await expect(hub.consume(id, "seats", 1, "con-k-2")).rejects.toMatchObject({ code: "VALIDATION_FAILED", field: "feature" });
    await expect(hub.consume(id, "models", 1, "con-k-3")).rejects.toMatchObject({ code: "VALIDATION_FAILED", field: "feature" });
    expect(await eventCount(id)).toBe(0);
  });

  it("refuses a missing or malformed transactionId as the ledger does, with INVALID_USAGE, and records nothing", async () => {
    const id = await customer();
    await expect(hub.consume(id, "api", 1, "" as never)).rejects.toMatchObject({ code: "INVALID_USAGE", field: "transactionId" });
    await expect(hub.consume(id, "api", 1, undefined as never)).rejects.toMatchObject({ code: "INVALID_USAGE", field: "transactionId" });
    await expect(hub.consume(id, "api", 1, "has space")).rejects.toMatchObject({ code: "INVALID_USAGE", field: "transactionId" });
    expect(await eventCount(id)).toBe(0);
  });
});
