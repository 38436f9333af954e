import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Hub } from "../../../src/hub.ts";
import { testClock } from "../../support/ledger.ts";
import { customer, invoicingHub, use } from "../../support/invoicing.ts";
import { driverName, openTestStore, type TestStore } from "../../support/store.ts";

const clock = testClock("2026-11-02T09:00:00.000Z");
let store: TestStore;
let hub: Hub;

beforeAll(async () => {
  store = await openTestStore();
  hub = await invoicingHub(store, clock.now);
  await customer(hub, "acme", { plan: "pro" });
  await customer(hub, "beta", { plan: "pro" });
  await customer(hub, "free_co");
  // Anchored on the 15th: October bills its period ending in October, 15 Sep → 15 Oct.
  await customer(hub, "cycle_co", { plan: "pro", periodStart: "2026-10-15T00:00:00Z", periodEnd: "2026-11-15T00:00:00Z" });
  // Created after October ended, with no October usage: not a customer in October.
  await customer(hub, "late_co", { plan: "pro", createdAt: "2026-11-01T12:00:00Z" });
  await use(hub, "acme", "api_calls", 5000, "2026-10-03T10:00:00Z");
  await use(hub, "beta", "api_calls", 1500, "2026-10-31T23:59:59Z");
  await use(hub, "cycle_co", "api_calls", 3000, "2026-10-14T00:00:00Z");
  await use(hub, "cycle_co", "api_calls", 7000, "2026-10-16T00:00:00Z");
});
afterAll(async () => {
  await hub.close();
  await store.cleanup();
});

async function invoiceCount(): Promise<number> {
  const { rows } = await store.query<{ n: number }>("SELECT count(*)::int AS n FROM invoices");
  return rows[0]!.n;
}

describe(`the invoice run of a month (${driverName})`, () => {
  it("invoices every customer of the month once, numbered in customer order, each equal to its preview", async () => {
    const previews = new Map<string, Awaited<ReturnType<Hub["previewInvoice"]>>>();
    for (const id of ["acme", "beta", "cycle_co", "free_co"]) previews.set(id, await hub.previewInvoice(id, { period: "2026-10" }));
    const progress: Array<{ done: number; total: number }> = [];
    const result = await hub.runInvoices({ period: "2026-10", batchSize: 2, onProgress: (p) => progress.push(p) });
    expect(result).toEqual({
      period: "2026-10",
      total: 5,
      invoiced: 4,
      alreadyInvoiced: 0,
      skipped: { notEnded: 0, notYetCustomer: 1, noPeriod: 0, covered: 0 },
      failed: [],
      numbers: { first: 1, last: 4 },
    });
    expect(progress).toEqual([{ done: 0, total: 5 }, { done: 2, total: 5 }, { done: 4, total: 5 }, { done: 5, total: 5 }]);

    const { invoices } = await hub.listInvoices({ period: "2026-10" });
    expect(invoices.map((invoice) => [invoice.number, invoice.customerId, invoice.subtotal])).toEqual([
      [1, "acme", 10_000],
      [2, "beta", 10_000],
      [3, "cycle_co", 10_000],
      [4, "free_co", 0],
    ]);
    for (const summary of invoices) {
      const stored = await hub.getInvoice(summary.id);
      const { id: _id, number: _number, periodKey, provider, status, createdAt, ...priced } = stored;
      expect(priced).toEqual(previews.get(summary.customerId));
      expect({ periodKey, provider, status, createdAt }).toEqual({ periodKey: "2026-10", provider: "manual", status: "issued", createdAt: clock.now() });
    }
    const cycle = await hub.getInvoice(invoices[2]!.id);
    expect(cycle.period).toEqual({ from: new Date("2026-09-15T00:00:00Z"), to: new Date("2026-10-15T00:00:00Z") });
    expect(cycle.lineItems.find((line) => line.chargeKey === "api")).toMatchObject({ quantity: "3000", amount: 1000 });
  });

  it("closes each invoiced period: late usage in it is refused with PERIOD_CLOSED, a correction is accepted, the next period is open", async () => {
    await expect(use(hub, "acme", "api_calls", 10, "2026-10-20T00:00:00Z")).rejects.toMatchObject({ code: "PERIOD_CLOSED" });
    await expect(use(hub, "cycle_co", "api_calls", 10, "2026-10-14T23:00:00Z")).rejects.toMatchObject({ code: "PERIOD_CLOSED" });
    // cycle_co's October invoice ended on the 15th: the rest of October is its next period.
    expect((await use(hub, "cycle_co", "api_calls", 10, "2026-10-20T00:00:00Z")).status).toBe("created");
    const correction = await use(hub, "acme", "api_calls", 10, "2026-10-21T00:00:00Z", { kind: "correction", reason: "missed by the importer" });
    expect(correction.status).toBe("created");
    const { rows } = await store.query("SELECT customer_id, reference FROM closed_periods ORDER BY customer_id");
    const ids = new Map((await hub.listInvoices({ period: "2026-10" })).invoices.map((invoice) => [invoice.customerId, invoice.id]));
    expect(rows).toEqual([...ids].map(([customerId, id]) => ({ customer_id: customerId, reference: id })));
  });

  it("passes every invoiced customer by when run again, writing nothing", async () => {
    const again = await hub.runInvoices({ period: "2026-10" });
    expect(again).toMatchObject({ total: 1, invoiced: 0, alreadyInvoiced: 4, skipped: { notYetCustomer: 1 }, numbers: null });
    expect(await invoiceCount()).toBe(4);
  });

  it("leaves periods that have not ended by the hub's clock for a later run", async () => {
    const november = await hub.runInvoices({ period: "2026-11" });
    expect(november).toMatchObject({ total: 5, invoiced: 0, skipped: { notEnded: 5 } });
    expect(await invoiceCount()).toBe(4);
  });

  it("keeps stored invoices and their lines immutable: updates, deletes and TRUNCATE are refused by the database", async () => {
    await expect(store.query("UPDATE invoices SET subtotal = 1 WHERE number = 1")).rejects.toThrow(/immutable/);
    await expect(store.query("DELETE FROM invoice_lines")).rejects.toThrow(/immutable/);
    await expect(store.query("TRUNCATE invoices")).rejects.toThrow(/immutable/);
    // Lines live in their invoice's row; invoice_lines is a view of them, which cannot be truncated.
    await expect(store.query("TRUNCATE invoice_lines")).rejects.toThrow();
    await expect(store.query("UPDATE invoices SET lines = '[]' WHERE number = 1")).rejects.toThrow(/immutable/);
    expect((await hub.listInvoices({ period: "2026-10" })).invoices[0]!.subtotal).toBe(10_000);
  });

  it("fails only the customer it cannot price, and invoices it on a later run once it can be", async () => {
    await customer(hub, "metered_co", { plan: "metered" });
    await use(hub, "metered_co", "api_calls", 100, "2026-09-10T00:00:00Z");
    const september = await hub.runInvoices({ period: "2026-09" });
    expect(september.failed).toEqual([{ customerId: "metered_co", code: "CATALOG_INVALID", message: expect.stringContaining('no synced price has lookup key "api_calls"') }]);
    expect(september).toMatchObject({ invoiced: 4, numbers: { first: 5, last: 8 } });
    await expect(use(hub, "metered_co", "api_calls", 1, "2026-09-11T00:00:00Z")).resolves.toMatchObject({ status: "created" });

    // The fix: the customer was on pro all of September, as the plan history now says.
    await hub.assign("metered_co", "pro", { effectiveAt: "2026-09-01T00:00:00Z" });
    const rerun = await hub.runInvoices({ period: "2026-09" });
    expect(rerun).toMatchObject({ invoiced: 1, failed: [], numbers: { first: 9, last: 9 } });
    const invoice = (await hub.listInvoices({ customerId: "metered_co" })).invoices[0]!;
    expect(invoice).toMatchObject({ number: 9, plan: "pro", periodKey: "2026-09" });
    expect((await hub.getInvoice(invoice.id)).lineItems.find((line) => line.chargeKey === "api")).toMatchObject({ quantity: "101" });
  });

  it("bills a customer whose cycle moved only for what no earlier invoice covered", async () => {
    await customer(hub, "mover", { plan: "pro", periodStart: "2026-10-15T00:00:00Z", periodEnd: "2026-11-15T00:00:00Z" });
    clock.set("2026-11-20T00:00:00.000Z");
    await use(hub, "mover", "api_calls", 4000, "2026-10-12T00:00:00Z");
    await use(hub, "mover", "api_calls", 9000, "2026-11-05T00:00:00Z");
    await hub.runInvoices({ period: "2026-10" });
    await hub.upsertCustomer({ id: "mover", periodStart: "2026-11-10T00:00:00Z", periodEnd: "2026-12-10T00:00:00Z" });
    const preview = await hub.previewInvoice("mover", { period: "2026-11" });
    // November bills the period ending in November, 10 Oct → 10 Nov, less 10–15 Oct already invoiced.
    expect(preview.period).toEqual({ from: new Date("2026-10-15T00:00:00Z"), to: new Date("2026-11-10T00:00:00Z") });
    expect(preview.lineItems.find((line) => line.chargeKey === "api")).toMatchObject({ quantity: "9000" });
    await hub.runInvoices({ period: "2026-11" });
    const stored = (await hub.listInvoices({ customerId: "mover", period: "2026-11" })).invoices[0]!;
    expect(stored.period).toEqual(preview.period);
    clock.set("2026-11-02T09:00:00.000Z");
  });

  it("refuses a malformed month or batch size, naming the field, and writes nothing", async () => {
    const before = await invoiceCount();
    await expect(hub.runInvoices({ period: "2026-1" })).rejects.toMatchObject({ code: "VALIDATION_FAILED", field: "period" });
    await expect(hub.runInvoices({ period: "2026-10", batchSize: 0 })).rejects.toMatchObject({ code: "VALIDATION_FAILED", field: "batchSize" });
    await expect(hub.runInvoices({} as never)).rejects.toMatchObject({ code: "VALIDATION_FAILED", field: "period" });
    expect(await invoiceCount()).toBe(before);
  });
});
