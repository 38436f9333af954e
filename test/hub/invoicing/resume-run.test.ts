import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Hub } from "../../../src/hub.ts";
import { testClock } from "../../support/ledger.ts";
import { customer, invoicingHub, use } from "../../support/invoicing.ts";
import { withStoreFaults } from "../../support/faulty-store.ts";
import { describeOnPostgres, driverName, openTestStore, type TestStore } from "../../support/store.ts";

const clock = testClock("2026-11-02T09:00:00.000Z");
let store: TestStore;
let hub: Hub;

beforeAll(async () => {
  store = await openTestStore();
  hub = await invoicingHub(store, clock.now);
});
afterAll(async () => {
  await hub.close();
  await store.cleanup();
});

async function count(sql: string): Promise<number> {
  const { rows } = await store.query<{ n: number }>(sql);
  return rows[0]!.n;
}

describe(`a resumable invoice run (${driverName})`, () => {
  it("loses nothing and invoices nothing twice when it crashes midway: a re-run finishes the rest with gap-free numbers", async () => {
    const ids = ["r1", "r2", "r3", "r4", "r5", "r6", "r7"];
    for (const id of ids) {
      await customer(hub, id, { plan: "pro" });
      await use(hub, id, "api_calls", 2000 + Number(id.slice(1)), "2026-08-10T00:00:00Z");
    }
    const faulty = withStoreFaults(store);
    const crashing = await invoicingHub(faulty.store, clock.now);
    let inserts = 0;
    // The database goes away while the second batch (r4, r5, r6) writes its invoices.
    faulty.failWhen((text) => text.includes("INSERT INTO invoices") && ++inserts === 2);
    await expect(crashing.runInvoices({ period: "2026-08", batchSize: 3, storeRetry: { attempts: 1, backoff: { baseMs: 0, capMs: 0 } } })).rejects.toMatchObject({ code: "STORE_UNAVAILABLE" });

    const afterCrash = (await hub.listInvoices({ period: "2026-08" })).invoices;
    expect(afterCrash.map((invoice) => [invoice.number, invoice.customerId])).toEqual([[1, "r1"], [2, "r2"], [3, "r3"]]);
    // The failed batch closed nothing: its customers can still record August usage.
    expect(await count("SELECT count(*)::int AS n FROM closed_periods")).toBe(3);
    await use(hub, "r5", "api_calls", 1000, "2026-08-31T00:00:00Z");

    faulty.heal();
    const resumed = await crashing.runInvoices({ period: "2026-08", batchSize: 3 });
    expect(resumed).toMatchObject({ total: 4, invoiced: 4, alreadyInvoiced: 3, failed: [], numbers: { first: 4, last: 7 } });
    const all = (await hub.listInvoices({ period: "2026-08" })).invoices;
    expect(all.map((invoice) => [invoice.number, invoice.customerId])).toEqual(ids.map((id, index) => [index + 1, id]));
    const r5 = await hub.getInvoice(all[4]!.id);
    expect(r5.lineItems.find((line) => line.chargeKey === "api")).toMatchObject({ quantity: "3005", amount: 1003 });
    expect(await count("SELECT count(*)::int AS n FROM invoice_lines")).toBe(7 * 5);
    await crashing.close();
  });
});

describeOnPostgres("two invoice runs of one month at once", () => {
  it("invoice each customer exactly once, with gap-free numbers", async () => {
    const ids = Array.from({ length: 30 }, (_, index) => `par_${String(index).padStart(2, "0")}`);
    for (const id of ids) {
      await customer(hub, id, { plan: "pro" });
      await use(hub, id, "api_calls", 1500, "2026-07-15T00:00:00Z");
    }
    const before = await count("SELECT count(*)::int AS n FROM invoices");
    const [a, b] = await Promise.all([hub.runInvoices({ period: "2026-07", batchSize: 3 }), hub.runInvoices({ period: "2026-07", batchSize: 5 })]);
    const july = (await hub.listInvoices({ period: "2026-07", limit: 1000 })).invoices;
    expect(a.invoiced + b.invoiced).toBe(july.length);
    expect(july.filter((invoice) => ids.includes(invoice.customerId)).map((invoice) => invoice.customerId).sort()).toEqual(ids);
    expect(new Set(july.map((invoice) => invoice.customerId)).size).toBe(july.length);
    const numbers = july.map((invoice) => invoice.number);
    expect(numbers).toEqual(Array.from({ length: july.length }, (_, index) => before + 1 + index));
  });
});

describe(`an invoice run while the database comes and goes (${driverName})`, () => {
  it("waits out a short outage and finishes, each customer invoiced once, numbers without gaps", async () => {
    const ids = ["o1", "o2", "o3", "o4", "o5"];
    for (const id of ids) {
      await customer(hub, id, { plan: "pro" });
      await use(hub, id, "api_calls", 1000, "2026-07-10T00:00:00Z");
    }
    const faulty = withStoreFaults(store);
    const flaky = await invoicingHub(faulty.store, clock.now);
    let inserts = 0;
    // The second batch finds the database gone, and so does its first retry.
    faulty.failWhen((text) => text.includes("INSERT INTO invoices") && [2, 3].includes(++inserts));
    const result = await flaky.runInvoices({ period: "2026-07", batchSize: 2, storeRetry: { attempts: 5, backoff: { baseMs: 10, capMs: 50 } } });
    expect(inserts).toBeGreaterThan(3);
    expect(result).toMatchObject({ invoiced: result.total, failed: [] });
    const invoices = (await hub.listInvoices({ period: "2026-07" })).invoices;
    expect(invoices.filter((invoice) => ids.includes(invoice.customerId)).map((invoice) => invoice.customerId)).toEqual(ids);
    const numbers = invoices.map((invoice) => invoice.number);
    expect(numbers).toEqual(Array.from({ length: invoices.length }, (_, index) => numbers[0]! + index));
    await flaky.close();
  });

  it("reads the synced prices again on a later try when the database went away while a batch read them", async () => {
    await customer(hub, "o_metered", { plan: "metered" });
    await use(hub, "o_metered", "api_calls", 100, "2026-05-10T00:00:00Z");
    await customer(hub, "o_pro", { plan: "pro" });
    await use(hub, "o_pro", "api_calls", 1000, "2026-05-10T00:00:00Z");
    const faulty = withStoreFaults(store);
    const flaky = await invoicingHub(faulty.store, clock.now);
    let reads = 0;
    // The first read of the prices in effect at May's end finds the database gone.
    faulty.failWhen((text) => text.includes("FROM provider_price_versions") && ++reads === 1);
    const result = await flaky.runInvoices({ period: "2026-05", storeRetry: { attempts: 3, backoff: { baseMs: 10, capMs: 50 } } });
    expect(reads).toBe(2);
    // Priced on the prices read again: no price holds the metered plan's lookup key, so that customer fails alone.
    expect(result.failed).toEqual([{ customerId: "o_metered", code: "CATALOG_INVALID", message: expect.stringContaining('no synced price has lookup key "api_calls"') }]);
    expect(result).toMatchObject({ invoiced: result.total - 1 });
    expect((await hub.listInvoices({ customerId: "o_pro", period: "2026-05" })).invoices).toHaveLength(1);
    await flaky.close();
  });
});
