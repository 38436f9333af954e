import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { writeInvoices, type InvoiceDraft } from "../../src/store/invoices/invoice-repository.ts";
import { lockCustomerRows, nextRunCustomers } from "../../src/store/invoices/run-customers.ts";
import { createCustomer } from "../support/ledger.ts";
import { driverName, openTestStore, type TestStore } from "../support/store.ts";

const draft = (customerId: string, periodKey: string): InvoiceDraft => ({
  id: `inv_page_${customerId}_${periodKey}`,
  customerId,
  plan: "pro",
  period: { from: new Date("2026-10-01T00:00:00Z"), to: new Date("2026-11-01T00:00:00Z") },
  currency: "USD",
  lineItems: [],
  subtotal: 0,
  periodKey,
  provider: "manual",
  status: "issued",
  createdAt: new Date("2026-11-01T00:05:00Z"),
});

describe(`the invoice run's pages of customers (${driverName})`, () => {
  let store: TestStore;
  const ids = ["page_a", "page_b", "page_c", "page_d", "page_e"];
  beforeAll(async () => {
    store = await openTestStore();
    for (const id of ids) await createCustomer(store, id);
    // b and c are invoiced for 2026-10; d only for another period.
    await store.transaction((tx) => writeInvoices(tx, [draft("page_b", "2026-10"), draft("page_c", "2026-10")]));
    await store.transaction((tx) => writeInvoices(tx, [{ ...draft("page_d", "2026-09"), period: { from: new Date("2026-09-01T00:00:00Z"), to: new Date("2026-10-01T00:00:00Z") } }]));
  });
  afterAll(() => store.cleanup());

  it("leaves out the customers invoiced for the period, and names the page's last customer as the cursor", async () => {
    expect(await nextRunCustomers(store, "2026-10", null, 3)).toEqual({ ids: ["page_a"], last: "page_c" });
    expect(await nextRunCustomers(store, "2026-10", "page_c", 3)).toEqual({ ids: ["page_d", "page_e"], last: "page_e" });
    expect(await nextRunCustomers(store, "2026-10", "page_e", 3)).toEqual({ ids: [], last: null });
  });

  it("gives an empty page with a cursor when every customer of it is invoiced, so the run goes on past it", async () => {
    expect(await nextRunCustomers(store, "2026-10", "page_a", 2)).toEqual({ ids: [], last: "page_c" });
  });

  it("counts only invoices of the period asked", async () => {
    expect(await nextRunCustomers(store, "2026-09", null, 10)).toEqual({ ids: ["page_a", "page_b", "page_c", "page_e"], last: "page_e" });
  });

  it("locks each customer of a batch once and returns them in id order, leaving out ids of no customer", async () => {
    const locked = await store.transaction((tx) => lockCustomerRows(tx, ["page_e", "page_a", "no_such_customer", "page_a", "page_c"]));
    expect(locked.map((customer) => customer.id)).toEqual(["page_a", "page_c", "page_e"]);
    expect(locked[0]!.createdAt).toBeInstanceOf(Date);
  });

  it("turns JIT off for the rest of the batch's transaction, and only for it", async () => {
    const jit = async (sql: { query: TestStore["query"] }) => (await sql.query<{ jit: string }>("SELECT current_setting('jit') AS jit")).rows[0]!.jit;
    const inside = await store.transaction(async (tx) => {
      const before = await jit(tx);
      await lockCustomerRows(tx, ["page_a"]);
      return { before, after: await jit(tx) };
    });
    expect(inside).toEqual({ before: "on", after: "off" });
    expect(await store.transaction((tx) => jit(tx))).toBe("on");
  });

  it.skipIf(driverName !== "pg")("holds the batch's rows until its transaction ends, and no other customer's", async () => {
    const tryLock = (id: string) => store.query("SELECT id FROM customers WHERE id = $1 FOR UPDATE NOWAIT", [id]);
    await store.transaction(async (tx) => {
      await lockCustomerRows(tx, ["page_b", "page_d"]);
      await expect(tryLock("page_d")).rejects.toThrow(/could not obtain lock/);
      await expect(tryLock("page_a")).resolves.toBeDefined();
    });
    await expect(tryLock("page_d")).resolves.toBeDefined();
  });
});
