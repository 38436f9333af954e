import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHub, type Hub } from "../../src/hub.ts";
import { SAMPLE_CATALOG } from "../support/api.ts";
import { testClock } from "../support/ledger.ts";
import { driverName, openTestStore, type TestStore } from "../support/store.ts";

const clock = testClock("2026-03-10T12:30:00Z");
let store: TestStore;
let hub: Hub;

beforeAll(async () => {
  store = await openTestStore();
  hub = await createHub({ catalog: SAMPLE_CATALOG }, { store, now: clock.now });
  for (const id of ["ac_a", "ac_b", "ac_100%", "ac_1000", "ac_x_y", "ac_xzy"]) await hub.upsertCustomer({ id, name: `Name of ${id}`, email: `${id.replace("%", "pct")}@example.test` });
  await hub.recordBatch([
    { customerId: "ac_a", meter: "api_calls", quantity: 5, transactionId: "ac_yesterday", timestamp: "2026-03-09T23:10:00Z" },
    { customerId: "ac_a", meter: "api_calls", quantity: 5, transactionId: "ac_1", timestamp: "2026-03-10T00:05:00Z" },
    { customerId: "ac_a", meter: "llm_tokens", quantity: 900, transactionId: "ac_2", timestamp: "2026-03-10T12:01:00Z" },
    { customerId: "ac_b", meter: "api_calls", quantity: 1, transactionId: "ac_3", timestamp: "2026-03-10T12:20:00Z" },
  ]);
});
afterAll(async () => {
  await hub.close();
  await store.cleanup();
});

describe(`hub.activity (${driverName})`, () => {
  it("counts today's usage events and customers, and the events per hour of the last hours, from the rollups", async () => {
    const activity = await hub.activity({ hours: 24 });
    expect(activity.today).toEqual({ from: new Date("2026-03-10T00:00:00Z"), events: "3", customers: 2 });
    expect(activity.hours).toEqual([
      { hour: new Date("2026-03-09T23:00:00Z"), events: "1", customers: 1 },
      { hour: new Date("2026-03-10T00:00:00Z"), events: "1", customers: 1 },
      { hour: new Date("2026-03-10T12:00:00Z"), events: "2", customers: 2 },
    ]);
    expect((await hub.activity({ hours: 1 })).hours.map((h) => h.hour)).toEqual([new Date("2026-03-10T12:00:00Z")]);
    expect(activity.lastInvoiceRun).toBeNull();
  });

  it("names the last invoice run: its month, how many invoices and their numbers", async () => {
    await hub.recordBatch([{ customerId: "ac_b", meter: "api_calls", quantity: 1, transactionId: "ac_feb", timestamp: "2026-02-10T00:00:00Z" }]);
    await hub.assign("ac_b", "pro", { effectiveAt: "2026-02-01T00:00:00Z" });
    const run = await hub.runInvoices({ period: "2026-02" });
    expect(run.invoiced).toBeGreaterThan(0);
    const { lastInvoiceRun } = await hub.activity();
    expect(lastInvoiceRun).toMatchObject({ period: "2026-02", invoices: run.invoiced, firstNumber: run.numbers!.first, lastNumber: run.numbers!.last });
  });

  it("refuses hours outside 1 to 744, naming the option", async () => {
    await expect(hub.activity({ hours: 0 })).rejects.toMatchObject({ code: "VALIDATION_FAILED", field: "options.hours" });
  });
});

describe(`hub.listCustomers (${driverName})`, () => {
  it("pages through customers in id order, each once", async () => {
    const whole = (await hub.listCustomers({ limit: 10 })).customers.map((c) => c.id);
    expect([...whole].sort()).toEqual(["ac_1000", "ac_100%", "ac_a", "ac_b", "ac_x_y", "ac_xzy"].sort());
    const first = await hub.listCustomers({ limit: 4 });
    const second = await hub.listCustomers({ limit: 4, cursor: first.nextCursor! });
    expect([...first.customers, ...second.customers].map((c) => c.id)).toEqual(whole);
    expect(first.nextCursor).toBe(whole[3]);
    expect(second.nextCursor).toBeNull();
  });

  it("finds customers by id, email or name, case-insensitively, with % and _ matching only themselves", async () => {
    const ids = async (search: string) => (await hub.listCustomers({ search })).customers.map((c) => c.id);
    expect(await ids("AC_A")).toEqual(["ac_a"]);
    expect(await ids("100%")).toEqual(["ac_100%"]);
    expect(await ids("x_y")).toEqual(["ac_x_y"]);
    expect(await ids("ac_b@example")).toEqual(["ac_b"]);
    expect(await ids("name of ac_xzy")).toEqual(["ac_xzy"]);
  });

  it("refuses a page size outside 1 to 500 and a search the store cannot hold, naming the field", async () => {
    await expect(hub.listCustomers({ limit: 0 })).rejects.toMatchObject({ code: "VALIDATION_FAILED", field: "filter.limit" });
    await expect(hub.listCustomers({ search: "a\u0000" })).rejects.toMatchObject({ code: "VALIDATION_FAILED", field: "filter.search" });
  });
});
