import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { InvoiceLine } from "../../src/core/invoicing/invoice.ts";
import { findInvoice, writeInvoices, type InvoiceDraft } from "../../src/store/invoices/invoice-repository.ts";
import { createCustomer } from "../support/ledger.ts";
import { driverName, openTestStore, type TestStore } from "../support/store.ts";

const line: InvoiceLine = {
  lineNumber: 1,
  chargeKey: "api",
  model: "per_unit",
  meter: "api_calls",
  description: "API calls",
  quantity: "12",
  billableQuantity: "12",
  amount: 600,
  exactAmount: "600",
};

const draft = (id: string, customerId: string): InvoiceDraft => ({
  id,
  customerId,
  plan: "pro",
  period: { from: new Date("2026-10-01T00:00:00Z"), to: new Date("2026-11-01T00:00:00Z") },
  currency: "USD",
  lineItems: [line, { ...line, lineNumber: 2, chargeKey: "api_again" }],
  subtotal: 1200,
  periodKey: "2026-10",
  provider: "manual",
  status: "issued",
  createdAt: new Date("2026-11-01T00:05:00Z"),
});

/** Lines (invoice id, line number), 50 minor units each. */
const insertLines = (sql: TestStore, lines: Array<[string, number]>) =>
  sql.query(
    `INSERT INTO invoice_lines (invoice_id, line_number, charge_key, model, meter, description, quantity, billable_quantity, amount, exact_amount)
     SELECT l.invoice_id, l.line_number, 'api', 'per_unit', 'api_calls', 'API calls', 1, 1, 50, 50 FROM unnest($1::text[], $2::integer[]) AS l(invoice_id, line_number)`,
    [lines.map(([id]) => id), lines.map(([, number]) => number)],
  );

describe(`invoice lines and their invoices (${driverName})`, () => {
  let store: TestStore;
  beforeAll(async () => {
    store = await openTestStore();
    await createCustomer(store, "lines_acme");
  });
  afterAll(() => store.cleanup());

  it("stores lines written in the same statement as their invoice", async () => {
    const [written] = await store.transaction((tx) => writeInvoices(tx, [draft("inv_lines_1", "lines_acme")]));
    expect((await findInvoice(store, "inv_lines_1"))?.lineItems).toEqual(written!.lineItems);
  });

  it("refuses a line whose invoice does not exist with the foreign-key error code, writing nothing of the statement", async () => {
    await expect(insertLines(store, [["inv_lines_1", 3], ["inv_nowhere", 1]])).rejects.toMatchObject({ code: "23503" });
    await expect(insertLines(store, [["inv_nowhere", 1]])).rejects.toThrow(/invoice line of invoice inv_nowhere refused: no such invoice/);
    const { rows } = await store.query<{ n: number }>("SELECT count(*)::int AS n FROM invoice_lines WHERE invoice_id IN ('inv_lines_1', 'inv_nowhere')");
    expect(rows[0]!.n).toBe(2);
  });

  it("keeps an invoice's lines from being orphaned: invoices cannot be deleted", async () => {
    await expect(store.query("DELETE FROM invoices WHERE id = 'inv_lines_1'")).rejects.toThrow(/immutable/);
  });
});
