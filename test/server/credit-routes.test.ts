import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Hub } from "../../src/hub.ts";
import { apiHub, READ_KEY, type Call } from "../support/api.ts";
import { openTestStore, type TestStore } from "../support/store.ts";
import { creditsCatalog } from "../hub/credits/credits-catalog.ts";

const NOW = new Date("2026-03-10T12:00:00.000Z");
let store: TestStore;
let hub: Hub;
let call: Call;

beforeAll(async () => {
  store = await openTestStore();
  ({ hub, call } = await apiHub(store, { config: { catalog: creditsCatalog }, hub: { now: () => NOW } }));
  await hub.upsertCustomer({ id: "org_1" });
});
afterAll(async () => {
  await hub.close();
  await store.cleanup();
});

describe("credit routes", () => {
  it("grants with 201, answers a retry with 200 and a conflicting retry with 409", async () => {
    const body = { id: "topup-1", currency: "USD", amount: 5000, source: "purchase", expiresAt: "2027-01-01T00:00:00Z" };
    const created = await call("POST", "/v1/customers/org_1/credits", body);
    expect(created).toMatchObject({ status: 201, body: { status: "created", grant: { id: "topup-1", kind: "money", currency: "USD", amount: "5000", remaining: "5000", source: "purchase", rollover: { policy: "all" } } } });
    expect(await call("POST", "/v1/customers/org_1/credits", body)).toMatchObject({ status: 200, body: { status: "duplicate" } });
    expect(await call("POST", "/v1/customers/org_1/credits", { ...body, amount: 6000 })).toMatchObject({ status: 409, body: { error: { code: "IDEMPOTENCY_CONFLICT", field: "amount" } } });
  });

  it("reads the balance, the history and upcoming expiries", async () => {
    await call("POST", "/v1/customers/org_1/credits", { id: "units-1", feature: "api", amount: "25.5", expiresAt: "2026-03-20T00:00:00Z" });
    const balance = await call("GET", "/v1/customers/org_1/credits", undefined, { key: READ_KEY });
    expect(balance).toMatchObject({ status: 200, body: { money: { currency: "USD", available: "5000" }, units: { api: { available: "25.5" } } } });
    const history = await call("GET", "/v1/customers/org_1/credits/history?limit=1", undefined, { key: READ_KEY });
    expect(history.body).toMatchObject({ entries: [{ grantId: "topup-1", kind: "grant", amount: "5000" }], nextCursor: expect.any(String) });
    const next = await call("GET", `/v1/customers/org_1/credits/history?cursor=${history.body.nextCursor}`, undefined, { key: READ_KEY });
    expect(next.body).toMatchObject({ entries: [{ grantId: "units-1", kind: "grant" }], nextCursor: null });
    const expiring = await call("GET", "/v1/customers/org_1/credits/expiring", undefined, { key: READ_KEY });
    expect(expiring.body).toEqual({ expiries: [{ grantId: "units-1", kind: "units", feature: "api", currency: null, amount: "25.5", at: "2026-03-20T00:00:00.000Z", reason: "expiry" }] });
  });

  it("takes back what a grant named with colons has left with 201, a repeat with 200, and refuses an unknown grant with 404", async () => {
    await call("POST", "/v1/customers/org_1/credits", { id: "flowglad:prch_9:1", feature: "api", amount: 40, source: "purchase" });
    const path = `/v1/customers/org_1/credits/${encodeURIComponent("flowglad:prch_9:1")}/take-back`;
    expect(await call("POST", path, { reason: "refund pay_9" })).toMatchObject({ status: 201, body: { status: "taken_back", amount: "40", grant: { id: "flowglad:prch_9:1", remaining: "0" } } });
    expect(await call("POST", path, { reason: "refund pay_9" })).toMatchObject({ status: 200, body: { status: "duplicate", amount: "40" } });
    expect(await call("POST", path, { reason: "" })).toMatchObject({ status: 400, body: { error: { code: "VALIDATION_FAILED", field: "reason" } } });
    expect(await call("POST", "/v1/customers/org_1/credits/nope/take-back", { reason: "refund" })).toMatchObject({ status: 404, body: { error: { code: "NOT_FOUND", field: "grantId" } } });
    expect(await call("POST", path, { reason: "refund" }, { key: READ_KEY })).toMatchObject({ status: 403 });
  });

  it("takes back part of a grant with the body's amount, answers a repeat with another amount with 200 and what was taken, and refuses a bad amount with 400", async () => {
    await call("POST", "/v1/customers/org_1/credits", { id: "topup-partial", currency: "USD", amount: 3000, source: "purchase" });
    const path = "/v1/customers/org_1/credits/topup-partial/take-back";
    expect(await call("POST", path, { reason: "refund re_partial", amount: 1200 })).toMatchObject({ status: 201, body: { status: "taken_back", amount: "1200", grant: { remaining: "1800" } } });
    expect(await call("POST", path, { reason: "refund re_partial", amount: 1800 })).toMatchObject({ status: 200, body: { status: "duplicate", amount: "1200", grant: { remaining: "1800" } } });
    expect(await call("POST", path, { reason: "refund re_bad", amount: "12.5" })).toMatchObject({ status: 400, body: { error: { code: "INVALID_AMOUNT", field: "amount" } } });
    expect(await call("POST", path, { reason: "refund re_bad", amount: 0 })).toMatchObject({ status: 400, body: { error: { code: "INVALID_AMOUNT", field: "amount", message: "amount must be positive, got 0" } } });
    expect(await call("POST", path, { reason: "refund re_bad", amount: [1] })).toMatchObject({ status: 400, body: { error: { code: "VALIDATION_FAILED", field: "amount" } } });
    expect(await call("POST", path, { reason: "refund re_rest", amount: "5000" })).toMatchObject({ status: 201, body: { status: "taken_back", amount: "1800", grant: { remaining: "0" } } });
  });

  it("refuses bad grants with 400 naming the field and an unknown customer with 404", async () => {
    expect(await call("POST", "/v1/customers/org_1/credits", { id: "b", currency: "EUR", amount: 10 })).toMatchObject({ status: 400, body: { error: { code: "CURRENCY_MISMATCH", field: "currency" } } });
    expect(await call("POST", "/v1/customers/org_1/credits", { id: "b", feature: "api", amount: -1 })).toMatchObject({ status: 400, body: { error: { code: "INVALID_AMOUNT", field: "amount" } } });
    expect(await call("POST", "/v1/customers/org_1/credits", { id: "b", feature: "api", amount: 1, colour: "red" })).toMatchObject({ status: 400, body: { error: { field: "colour" } } });
    expect(await call("POST", "/v1/customers/nobody/credits", { id: "b", feature: "api", amount: 1 })).toMatchObject({ status: 404, body: { error: { code: "CUSTOMER_NOT_FOUND" } } });
    expect(await call("GET", "/v1/customers/nobody/credits", undefined, { key: READ_KEY })).toMatchObject({ status: 404 });
    expect(await call("GET", "/v1/customers/org_1/credits/history?cursor=abc", undefined, { key: READ_KEY })).toMatchObject({ status: 400, body: { error: { field: "query.cursor" } } });
  });
});
