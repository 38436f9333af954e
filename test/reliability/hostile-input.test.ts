import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Hub } from "../../src/hub.ts";
import { apiHub, READ_KEY, type Call } from "../support/api.ts";
import { tableCounts } from "../support/hostile.ts";
import { openTestStore, type TestStore } from "../support/store.ts";

const NOW = new Date("2026-03-10T12:00:00.000Z");
/** A lone surrogate: UTF-8 encoders turn it into U+FFFD, so it must never reach the store. */
const LONE = "x\ud800";
/** The customer a lossy encoding of LONE would land on. */
const REPLACED = "x\uFFFD";
let store: TestStore;
let hub: Hub;
let call: Call;

beforeAll(async () => {
  store = await openTestStore();
  ({ hub, call } = await apiHub(store, { hub: { now: () => NOW } }));
  for (const id of [REPLACED, "c_ok"]) {
    await hub.upsertCustomer({ id, periodStart: new Date("2026-03-01T00:00:00Z"), periodEnd: new Date("2026-04-01T00:00:00Z") });
    await hub.assign(id, "pro");
  }
  await hub.record({ customerId: "c_ok", meter: "api_calls", quantity: "1", transactionId: "seed_1" });
  await hub.record({ customerId: "c_ok", meter: "api_calls", quantity: "1", transactionId: "seed_2" });
});
afterAll(async () => {
  await hub.close();
  await store.cleanup();
});

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");

/** Sends the request, expects a 400 with `code` naming `field`, and that no table changed. */
async function refused(method: string, path: string, body: unknown, code: string, field: string, key?: string): Promise<void> {
  const before = await tableCounts(store);
  const answer = await call(method, path, body, key === undefined ? {} : { key });
  expect(answer.status, JSON.stringify(answer.body)).toBe(400);
  expect(answer.body.error).toMatchObject({ code, field });
  expect(await tableCounts(store)).toEqual(before);
}

async function replacedUsage(): Promise<string> {
  return (await hub.usage({ customerId: REPLACED, meter: "api_calls" })).value;
}

describe("lone surrogates in ids and text", () => {
  it("refuses usage, consume and check for x\\ud800 naming customerId, and never touches customer x\\uFFFD", async () => {
    await refused("POST", "/v1/usage", { customerId: LONE, meter: "api_calls", quantity: "5", transactionId: "ls_1" }, "VALIDATION_FAILED", "customerId");
    await refused("POST", "/v1/usage/batch", { events: [{ customerId: LONE, meter: "api_calls", quantity: "5", transactionId: "ls_2" }] }, "VALIDATION_FAILED", "events.0.customerId");
    await refused("POST", "/v1/entitlements/consume", { customerId: LONE, feature: "api", amount: "5", transactionId: "ls_3" }, "VALIDATION_FAILED", "customerId");
    await refused("POST", "/v1/entitlements/check", { customerId: LONE, feature: "api" }, "VALIDATION_FAILED", "customerId");
    expect(await replacedUsage()).toBe("0");
  });

  it("refuses the same through the library: record, consume and check answer with the field, and x\\uFFFD keeps no usage", async () => {
    await expect(hub.record({ customerId: LONE, meter: "api_calls", quantity: "5", transactionId: "ls_lib_1" })).rejects.toMatchObject({ code: "INVALID_USAGE", field: "customerId" });
    await expect(hub.consume(LONE, "api", "5", "ls_lib_2")).rejects.toMatchObject({ code: "VALIDATION_FAILED", field: "customer" });
    await expect(hub.check(LONE, "api")).rejects.toMatchObject({ code: "VALIDATION_FAILED", field: "customer" });
    await expect(hub.usage({ customerId: LONE, meter: "api_calls" })).rejects.toMatchObject({ code: "VALIDATION_FAILED", field: "customerId" });
    expect(await replacedUsage()).toBe("0");
  });

  it("refuses a lone surrogate in transaction ids, meter and feature keys, naming each", async () => {
    await refused("POST", "/v1/usage", { customerId: "c_ok", meter: "api_calls", quantity: "1", transactionId: LONE }, "VALIDATION_FAILED", "transactionId");
    await refused("POST", "/v1/usage", { customerId: "c_ok", meter: `api_calls\udc00`, quantity: "1", transactionId: "ls_4" }, "VALIDATION_FAILED", "meter");
    await refused("POST", "/v1/entitlements/check", { customerId: "c_ok", feature: LONE }, "VALIDATION_FAILED", "feature");
    await refused("POST", "/v1/outbox/replay", { transactionId: LONE }, "VALIDATION_FAILED", "transactionId");
  });

  it("refuses a lone surrogate in metadata, properties and names (keys and values, however deep) instead of a 500 or a silent U+FFFD", async () => {
    await refused("PUT", "/v1/customers/c_meta", { metadata: { foo: LONE } }, "VALIDATION_FAILED", "metadata.foo");
    await refused("PUT", "/v1/customers/c_meta", { metadata: { foo: { [LONE]: 1 } } }, "VALIDATION_FAILED", `metadata.foo.${LONE}`);
    await refused("PUT", "/v1/customers/c_meta", { name: LONE }, "VALIDATION_FAILED", "name");
    await refused("POST", "/v1/usage", { customerId: "c_ok", meter: "api_calls", quantity: "1", transactionId: "ls_5", properties: { x: LONE } }, "VALIDATION_FAILED", "properties.x");
    await refused("POST", "/v1/usage", { customerId: "c_ok", meter: "api_calls", quantity: "1", transactionId: "ls_6", properties: { tags: ["ok", LONE] } }, "VALIDATION_FAILED", "properties.tags.1");
    await refused("POST", "/v1/entitlements/consume", { customerId: "c_ok", feature: "api", amount: "1", transactionId: "ls_7", properties: { x: LONE } }, "VALIDATION_FAILED", "properties.x");
    await refused("POST", "/v1/customers/c_ok/adjustments", { id: "adj_1", feature: "api", amount: 5, reason: LONE }, "VALIDATION_FAILED", "reason");
    await expect(hub.getCustomer("c_meta")).rejects.toMatchObject({ code: "CUSTOMER_NOT_FOUND" });
  });

  it("refuses the same in library calls: customer name and metadata, event properties", async () => {
    await expect(hub.upsertCustomer({ id: "c_lib", name: LONE })).rejects.toMatchObject({ code: "VALIDATION_FAILED", field: "name" });
    await expect(hub.upsertCustomer({ id: "c_lib", metadata: { foo: [LONE] } })).rejects.toMatchObject({ code: "VALIDATION_FAILED", field: "metadata.foo.0" });
    await expect(hub.record({ customerId: "c_ok", meter: "api_calls", quantity: "1", transactionId: "ls_lib_3", properties: { a: { b: LONE } } })).rejects.toMatchObject({ code: "INVALID_USAGE", field: "properties.a.b" });
    await expect(hub.getCustomer("c_lib")).rejects.toMatchObject({ code: "CUSTOMER_NOT_FOUND" });
  });

  it("reads a path id whose escapes are not UTF-8 (%ED%A0%80) as that text, never as customer x\\uFFFD", async () => {
    const answer = await call("GET", "/v1/customers/x%ED%A0%80");
    expect(answer.status).toBe(404);
    expect(answer.body.error).toMatchObject({ code: "CUSTOMER_NOT_FOUND" });
    expect((await call("GET", `/v1/customers/${encodeURIComponent(REPLACED)}`)).body).toMatchObject({ id: REPLACED });
  });
});

describe("forged pagination cursors", () => {
  it("refuses forged outbox cursors to a read key with 400 VALIDATION_FAILED naming cursor", async () => {
    for (const key of [["not-a-date", "a", "b"], ["0000-01-01 00:00:00+00", "a", "stripe"], ["0000-01-01T00:00:00Z", "a", "b"], ["2026-03-10 12:00:00+00", "a\u0000", "stripe"], ["2026-03-10 12:00:00+00", "a", "b\u0000"]]) {
      await refused("GET", `/v1/outbox/rows?cursor=${b64(key)}`, undefined, "VALIDATION_FAILED", "cursor", READ_KEY);
    }
  });

  it("accepts outbox cursors holding created_at as this database prints it", async () => {
    const { rows } = await store.query<{ now: string; whole: string }>("SELECT now()::text AS now, '2026-03-10 12:00:00+00'::timestamptz::text AS whole");
    for (const printed of [rows[0]!.now, rows[0]!.whole]) {
      const answer = await call("GET", `/v1/outbox/rows?cursor=${b64([printed, "tx_1", "stripe"])}`, undefined, { key: READ_KEY });
      expect(answer.status, `${printed}: ${JSON.stringify(answer.body)}`).toBe(200);
    }
  });

  it("refuses forged event cursors (year 0000, year 10000, NUL in the id) with 400 naming cursor, and still pages with real ones", async () => {
    for (const key of [{ t: "0000-01-01T00:00:00Z", id: "a" }, { t: "+010000-01-01T00:00:00Z", id: "a" }, { t: "2026-03-10T12:00:00Z", id: "a\u0000" }, { t: "2026-03-10T12:00:00Z", id: LONE }]) {
      await refused("GET", `/v1/customers/c_ok/events?cursor=${b64(key)}`, undefined, "VALIDATION_FAILED", "cursor", READ_KEY);
    }
    const first = await call("GET", "/v1/customers/c_ok/events?limit=1", undefined, { key: READ_KEY });
    const second = await call("GET", `/v1/customers/c_ok/events?limit=1&cursor=${first.body.nextCursor}`, undefined, { key: READ_KEY });
    expect([first.status, second.status]).toEqual([200, 200]);
    expect(second.body.events[0].transactionId).not.toBe(first.body.events[0].transactionId);
  });
});

describe("dates outside 1970–9999", () => {
  it("refuses usage stamped in year 0000 with 400 naming timestamp, and records nothing", async () => {
    await refused("POST", "/v1/usage", { customerId: "c_ok", meter: "api_calls", quantity: "1", transactionId: "dt_1", timestamp: "0000-01-01T00:00:00Z" }, "INVALID_USAGE", "timestamp");
    await refused("POST", "/v1/usage", { customerId: "c_ok", meter: "api_calls", quantity: "1", transactionId: "dt_2", timestamp: "1969-12-31T23:59:59Z" }, "INVALID_USAGE", "timestamp");
  });

  it("refuses a usage window that would end in the year 10000 (at=9999-12-31T23:59:59Z) naming at", async () => {
    await refused("GET", "/v1/customers/c_ok/usage?meter=api_calls&window=month&at=9999-12-31T23:59:59Z", undefined, "VALIDATION_FAILED", "at", READ_KEY);
    await refused("GET", "/v1/customers/c_ok/stats?meter=api_calls&groupBy=day&window=day&at=9999-12-31T23:59:59Z", undefined, "VALIDATION_FAILED", "at", READ_KEY);
    await refused("GET", "/v1/customers/c_ok/events?from=0000-01-01T00:00:00Z&to=2026-01-01T00:00:00Z", undefined, "VALIDATION_FAILED", "from", READ_KEY);
  });

  it("refuses invoice runs and previews for 9999-12 and 0000-01 naming period, and writes no invoice", async () => {
    await refused("POST", "/v1/invoices/run", { period: "9999-12" }, "VALIDATION_FAILED", "period");
    await refused("POST", "/v1/invoices/run", { period: "0000-01" }, "VALIDATION_FAILED", "period");
    await refused("GET", "/v1/customers/c_ok/invoice-preview?period=0000-01", undefined, "VALIDATION_FAILED", "options.period", READ_KEY);
    await refused("GET", "/v1/customers/c_ok/invoice-preview?from=0001-01-01T00:00:00Z&to=0001-02-01T00:00:00Z", undefined, "VALIDATION_FAILED", "options.period.from", READ_KEY);
  });

  it("refuses a billing period in year 0001 instead of storing it as 2001", async () => {
    await refused("PUT", "/v1/customers/c_y1", { periodStart: "0001-01-01T00:00:00Z", periodEnd: "2026-02-01T00:00:00Z" }, "VALIDATION_FAILED", "periodStart");
    await refused("PUT", "/v1/customers/c_ok", { periodEnd: "+010000-01-01T00:00:00Z" }, "VALIDATION_FAILED", "periodEnd");
    await refused("POST", "/v1/customers/c_ok/adjustments", { id: "adj_y0", feature: "api", amount: 5, startsAt: "0000-06-01T00:00:00Z" }, "VALIDATION_FAILED", "startsAt");
    await expect(hub.getCustomer("c_y1")).rejects.toMatchObject({ code: "CUSTOMER_NOT_FOUND" });
  });
});
