import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHub, type Hub } from "../../../src/hub.ts";
import type { EventPage, ListEventsQuery } from "../../../src/hub/ledger.ts";
import { driverName, openTestStore, type TestStore } from "../../support/store.ts";
import { createCustomer, ledgerCatalog, testClock } from "../../support/ledger.ts";

let store: TestStore;
let hub: Hub;
const clock = testClock("2026-03-10T12:00:00.000Z");
const ids: string[] = [];

beforeAll(async () => {
  store = await openTestStore();
  hub = await createHub({ catalog: ledgerCatalog }, { store, now: clock.now });
  await createCustomer(store, "cus_audit");
  await createCustomer(store, "cus_other");
  await createCustomer(store, "cus_quiet");
  // 25 events over 5 timestamps (5 share each), so ties on the timestamp are ordered by id.
  const batch = Array.from({ length: 25 }, (_, i) => {
    const id = `audit_${String(i).padStart(2, "0")}`;
    ids.push(id);
    return { customerId: "cus_audit", meter: i % 3 === 0 ? "llm_tokens" : "api_calls", quantity: i, transactionId: id, timestamp: `2026-03-0${1 + (i % 5)}T00:00:00Z` };
  });
  await hub.recordBatch(batch);
  await hub.adjust({ customerId: "cus_audit", meter: "api_calls", kind: "refund", quantity: 1, reason: "flaky endpoint", transactionId: "audit_refund", timestamp: "2026-03-06T00:00:00Z" });
  await hub.record({ customerId: "cus_other", meter: "api_calls", quantity: 1, transactionId: "other_1" });
});
afterAll(() => store.cleanup());

async function all(query: Omit<ListEventsQuery, "cursor">): Promise<EventPage["events"][]> {
  const pages: EventPage["events"][] = [];
  let page = await hub.listEvents(query);
  pages.push(page.events);
  while (page.nextCursor) {
    page = await hub.listEvents({ ...query, cursor: page.nextCursor });
    pages.push(page.events);
  }
  return pages;
}

describe(`hub.listEvents (${driverName})`, () => {
  it("pages through a customer's events newest first, each exactly once, by (timestamp, transaction id)", async () => {
    const pages = await all({ customerId: "cus_audit", limit: 10 });
    expect(pages.map((p) => p.length)).toEqual([10, 10, 6]);
    const listed = pages.flat();
    expect(listed.map((e) => e.transactionId).sort()).toEqual([...ids, "audit_refund"].sort());
    const keys = listed.map((e) => `${e.timestamp.toISOString()} ${e.transactionId}`);
    expect(keys).toEqual([...keys].sort().reverse());
    expect(listed[0]).toMatchObject({ transactionId: "audit_refund", kind: "refund", quantity: "-1", reason: "flaky endpoint" });
  });

  it("pages oldest first with order asc", async () => {
    const listed = (await all({ customerId: "cus_audit", limit: 7, order: "asc" })).flat();
    expect(listed.map((e) => e.transactionId).slice(0, 3)).toEqual(["audit_00", "audit_05", "audit_10"]);
    expect(listed).toHaveLength(26);
  });

  it("neither repeats nor skips an event when newer ones are recorded between pages", async () => {
    const first = await hub.listEvents({ customerId: "cus_audit", limit: 8 });
    await hub.record({ customerId: "cus_audit", meter: "api_calls", quantity: 1, transactionId: "audit_meanwhile" });
    const rest = (await all({ customerId: "cus_audit", limit: 8 })).flat();
    let page = await hub.listEvents({ customerId: "cus_audit", limit: 8, cursor: first.nextCursor! });
    const after = [...page.events];
    while (page.nextCursor) {
      page = await hub.listEvents({ customerId: "cus_audit", limit: 8, cursor: page.nextCursor });
      after.push(...page.events);
    }
    const seen = [...first.events, ...after].map((e) => e.transactionId);
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen.sort()).toEqual([...ids, "audit_refund"].sort());
    expect(rest.map((e) => e.transactionId)).toContain("audit_meanwhile");
  });

  it("filters by meter, kind and a timestamp range", async () => {
    const tokens = (await all({ customerId: "cus_audit", meter: "llm_tokens", limit: 100 })).flat();
    expect(tokens.map((e) => e.transactionId).sort()).toEqual(ids.filter((_, i) => i % 3 === 0).sort());
    const refunds = (await all({ customerId: "cus_audit", kind: "refund" })).flat();
    expect(refunds.map((e) => e.transactionId)).toEqual(["audit_refund"]);
    const second = (await all({ customerId: "cus_audit", from: "2026-03-02T00:00:00Z", to: "2026-03-03T00:00:00Z" })).flat();
    expect(second.map((e) => e.transactionId).sort()).toEqual(["audit_01", "audit_06", "audit_11", "audit_16", "audit_21"]);
  });

  it("answers an empty page for a customer without events and CUSTOMER_NOT_FOUND for an unknown one", async () => {
    expect(await hub.listEvents({ customerId: "cus_quiet" })).toEqual({ events: [], nextCursor: null });
    await expect(hub.listEvents({ customerId: "cus_ghost" })).rejects.toMatchObject({ code: "CUSTOMER_NOT_FOUND", field: "customerId" });
  });

  it("refuses a cursor it did not issue, and page sizes outside 1 to 1000", async () => {
    await expect(hub.listEvents({ customerId: "cus_audit", cursor: "not-a-cursor" })).rejects.toMatchObject({ code: "VALIDATION_FAILED", field: "cursor" });
    const forged = Buffer.from(JSON.stringify({ t: "yesterday", id: "x" })).toString("base64url");
    await expect(hub.listEvents({ customerId: "cus_audit", cursor: forged })).rejects.toMatchObject({ code: "VALIDATION_FAILED", field: "cursor" });
    await expect(hub.listEvents({ customerId: "cus_audit", limit: 0 })).rejects.toMatchObject({ code: "VALIDATION_FAILED", field: "limit" });
    await expect(hub.listEvents({ customerId: "cus_audit", limit: 1001 })).rejects.toMatchObject({ code: "VALIDATION_FAILED", field: "limit" });
    await expect(hub.listEvents({ customerId: "cus_audit", meter: "apicalls" })).rejects.toMatchObject({ code: "UNKNOWN_METER" });
  });
});

describe(`hub.listResets (${driverName})`, () => {
  it("lists reset points newest first, with their reasons, for one feature or all", async () => {
    await hub.resetUsage("cus_audit", "api", { reason: "first" });
    clock.advance(60_000);
    await hub.resetUsage("cus_audit", "tokens", { reason: "second" });
    const resets = await hub.listResets("cus_audit");
    expect(resets.map((r) => [r.feature, r.reason])).toEqual([
      ["tokens", "second"],
      ["api", "first"],
    ]);
    expect((await hub.listResets("cus_audit", "api")).map((r) => r.reason)).toEqual(["first"]);
    await expect(hub.listResets("cus_audit", "apis")).rejects.toMatchObject({ code: "UNKNOWN_FEATURE" });
    await expect(hub.listResets("cus_ghost")).rejects.toMatchObject({ code: "CUSTOMER_NOT_FOUND" });
  });
});
