import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { InvoiceLine } from "../../src/core/invoicing/invoice.ts";
import { loadMigrations, migrate } from "../../src/store/migrate.ts";
import { findInvoice, invoicesOfPeriod, writeInvoices, type InvoiceDraft } from "../../src/store/invoices/invoice-repository.ts";
import { createCustomer } from "../support/ledger.ts";
import { driverName, openTestStore, type TestStore } from "../support/store.ts";

const line: InvoiceLine = {
  lineNumber: 1,
  chargeKey: "api",
  model: "per_unit",
  meter: "api_calls",
  description: "API calls × 0.5 USD",
  quantity: "12",
  billableQuantity: "12",
  amount: 600,
  exactAmount: "600",
};

/** A line with every optional part a line can carry. */
const tiered: InvoiceLine = {
  lineNumber: 2,
  chargeKey: "tokens",
  model: "graduated",
  meter: "llm_tokens",
  description: "tokens: 1500 units, graduated tiers",
  quantity: "1500.25",
  billableQuantity: "1500.25",
  tiers: [
    { tier: 1, upTo: "1000", quantity: "1000", unitAmount: "0", flatAmount: "0", exactAmount: "0" },
    { tier: 2, upTo: null, quantity: "500.25", unitAmount: "0.5", flatAmount: "100", exactAmount: "350.125" },
  ],
  packages: "3",
  billedEvents: 7,
  price: { lookupKey: "tokens_v2", provider: "stripe", id: "price_123" },
  amount: 350,
  exactAmount: "350.125",
};

const flat: InvoiceLine = { lineNumber: 3, chargeKey: "base", model: "flat", meter: null, description: "Pro", quantity: "1", billableQuantity: "1", amount: 4900, exactAmount: "4900" };

const draft = (id: string, customerId: string, lineItems: InvoiceLine[] = [line, tiered, flat]): InvoiceDraft => ({
  id,
  customerId,
  plan: "pro",
  period: { from: new Date("2026-10-01T00:00:00Z"), to: new Date("2026-11-01T00:00:00Z") },
  currency: "USD",
  lineItems,
  subtotal: lineItems.reduce((sum, item) => sum + item.amount, 0),
  periodKey: "2026-10",
  provider: "manual",
  status: "issued",
  createdAt: new Date("2026-11-01T00:05:00Z"),
});

describe(`invoice lines, kept in their invoice's row (${driverName})`, () => {
  let store: TestStore;
  beforeAll(async () => {
    store = await openTestStore();
    await createCustomer(store, "lines_acme");
    await createCustomer(store, "lines_beta");
  });
  afterAll(() => store.cleanup());

  it("reads back every line as written, tiers, packages, billed events and price included, its fields in one order", async () => {
    const written = await store.transaction((tx) => writeInvoices(tx, [draft("inv_lines_1", "lines_acme"), draft("inv_lines_2", "lines_beta", [])]));
    const read = await findInvoice(store, "inv_lines_1");
    expect(read?.lineItems).toEqual(written[0]!.lineItems);
    // The order an invoice's JSON has always had, whatever order its store kept the keys in.
    expect(Object.keys(read!.lineItems[1]!)).toEqual(["lineNumber", "chargeKey", "model", "meter", "description", "quantity", "billableQuantity", "amount", "exactAmount", "tiers", "packages", "billedEvents", "price"]);
    expect((await findInvoice(store, "inv_lines_2"))?.lineItems).toEqual([]);
    expect((await invoicesOfPeriod(store, "2026-10")).map((invoice) => invoice.lineItems)).toEqual([written[0]!.lineItems, []]);
  });

  it("stores nothing of a line but its fields: a key a line does not have is not written", async () => {
    const stray = { ...line, lineNumber: 1, internalNote: "not for the invoice" } as InvoiceLine;
    await createCustomer(store, "lines_gamma");
    await store.transaction((tx) => writeInvoices(tx, [draft("inv_lines_3", "lines_gamma", [stray])]));
    const { rows } = await store.query<{ lines: unknown[] }>("SELECT lines FROM invoices WHERE id = 'inv_lines_3'");
    expect(rows[0]!.lines).toEqual([line]);
  });

  it("shows the lines through the invoice_lines view with the columns it had as a table", async () => {
    const { rows } = await store.query(
      "SELECT line_number, charge_key, model, meter, quantity::text AS quantity, billable_quantity::text AS billable_quantity, amount, exact_amount::text AS exact_amount, details FROM invoice_lines WHERE invoice_id = 'inv_lines_1' ORDER BY line_number",
    );
    expect(rows).toEqual([
      { line_number: 1, charge_key: "api", model: "per_unit", meter: "api_calls", quantity: "12", billable_quantity: "12", amount: 600, exact_amount: "600", details: {} },
      {
        line_number: 2,
        charge_key: "tokens",
        model: "graduated",
        meter: "llm_tokens",
        quantity: "1500.25",
        billable_quantity: "1500.25",
        amount: 350,
        exact_amount: "350.125",
        details: { tiers: tiered.tiers, packages: "3", billedEvents: 7, price: tiered.price },
      },
      { line_number: 3, charge_key: "base", model: "flat", meter: null, quantity: "1", billable_quantity: "1", amount: 4900, exact_amount: "4900", details: {} },
    ]);
  });

  it("refuses to change lines, through the view or the invoice's row", async () => {
    await expect(store.query("DELETE FROM invoice_lines WHERE invoice_id = 'inv_lines_1'")).rejects.toThrow(/immutable/);
    await expect(store.query("UPDATE invoice_lines SET amount = 1")).rejects.toThrow(/immutable/);
    await expect(
      store.query("INSERT INTO invoice_lines (invoice_id, line_number, charge_key, model, meter, description, quantity, billable_quantity, amount, exact_amount, details) VALUES ('inv_lines_1', 9, 'x', 'flat', NULL, 'x', 1, 1, 1, 1, '{}')"),
    ).rejects.toThrow(/immutable/);
    await expect(store.query("UPDATE invoices SET lines = '[]' WHERE id = 'inv_lines_1'")).rejects.toThrow(/immutable/);
    expect((await findInvoice(store, "inv_lines_1"))?.lineItems).toHaveLength(3);
  });

  it("refuses an invoice whose lines disagree with its line count", async () => {
    await expect(
      store.query(
        `INSERT INTO invoices (id, number, customer_id, plan_key, provider, period_key, period_from, period_to, currency, subtotal, line_count, created_at, lines)
         VALUES ('inv_lines_bad', 999, 'lines_acme', 'pro', 'manual', '2026-09', '2026-09-01', '2026-10-01', 'USD', 0, 2, now(), '[]')`,
      ),
    ).rejects.toThrow(/invoices_lines_check/);
  });

  it("refuses lines that are not a JSON array, or not JSON", async () => {
    const insert = (lines: string) =>
      store.query(
        `INSERT INTO invoices (id, number, customer_id, plan_key, provider, period_key, period_from, period_to, currency, subtotal, line_count, created_at, lines)
         VALUES ('inv_lines_bad', 999, 'lines_acme', 'pro', 'manual', '2026-08', '2026-08-01', '2026-09-01', 'USD', 0, 0, now(), $1)`,
        [lines],
      );
    await expect(insert("{}")).rejects.toThrow(/invoices_lines_check/);
    await expect(insert("[{]")).rejects.toThrow(/json/i);
    expect((await store.query("SELECT 1 FROM invoices WHERE id = 'inv_lines_bad'")).rows).toEqual([]);
  });
});

describe(`lines of invoices written before they were kept in the invoice's row (${driverName})`, () => {
  let store: TestStore;
  beforeAll(async () => {
    store = await openTestStore({ migrate: false });
  });
  afterAll(() => store.cleanup());

  it("moves every line into its invoice, in line order, and reads the invoice as it read before", async () => {
    const all = await loadMigrations();
    await migrate(store, all.filter((m) => m.id < "1200"));
    await store.query("INSERT INTO customers (id) VALUES ('old_acme'), ('old_beta')");
    await store.query(
      `INSERT INTO invoices (id, number, customer_id, plan_key, provider, period_key, period_from, period_to, currency, subtotal, line_count, created_at)
       VALUES ('inv_old_1', 1, 'old_acme', 'pro', 'manual', '2026-09', '2026-09-01', '2026-10-01', 'USD', 5250, 2, '2026-10-01T00:05:00Z'),
              ('inv_old_2', 2, 'old_beta', 'pro', 'manual', '2026-09', '2026-09-01', '2026-10-01', 'USD', 0, 0, '2026-10-01T00:05:00Z')`,
    );
    await store.query(
      `INSERT INTO invoice_lines (invoice_id, line_number, charge_key, model, meter, description, quantity, billable_quantity, amount, exact_amount, details)
       VALUES ('inv_old_1', 2, 'tokens', 'graduated', 'llm_tokens', 'tokens', 1500.250, 1500.25, 350, 350.125, $1),
              ('inv_old_1', 1, 'base', 'flat', NULL, 'Pro', 1, 1, 4900, 4900, '{}')`,
      [JSON.stringify({ tiers: tiered.tiers, price: tiered.price })],
    );

    await migrate(store, all);

    const invoice = await findInvoice(store, "inv_old_1");
    expect(invoice?.lineItems).toEqual([
      { lineNumber: 1, chargeKey: "base", model: "flat", meter: null, description: "Pro", quantity: "1", billableQuantity: "1", amount: 4900, exactAmount: "4900" },
      { lineNumber: 2, chargeKey: "tokens", model: "graduated", meter: "llm_tokens", description: "tokens", quantity: "1500.25", billableQuantity: "1500.25", tiers: tiered.tiers, price: tiered.price, amount: 350, exactAmount: "350.125" },
    ]);
    expect((await findInvoice(store, "inv_old_2"))?.lineItems).toEqual([]);
    await expect(store.query("UPDATE invoices SET subtotal = 1 WHERE id = 'inv_old_1'")).rejects.toThrow(/immutable/);
  });
});

describe(`lines of invoices written while they were kept as jsonb (${driverName})`, () => {
  let store: TestStore;
  beforeAll(async () => {
    store = await openTestStore({ migrate: false });
  });
  afterAll(() => store.cleanup());

  it("keeps every invoice's lines as they read before, now as json, and the view shows them as before", async () => {
    const all = await loadMigrations();
    await migrate(store, all.filter((m) => m.id < "1210"));
    await createCustomer(store, "jsonb_acme");
    await createCustomer(store, "jsonb_beta");
    const written = await store.transaction((tx) => writeInvoices(tx, [draft("inv_jsonb_1", "jsonb_acme"), draft("inv_jsonb_2", "jsonb_beta", [])]));
    const before = await store.query<{ type: string }>("SELECT pg_typeof(lines)::text AS type FROM invoices WHERE id = 'inv_jsonb_1'");
    expect(before.rows[0]!.type).toBe("jsonb");

    await migrate(store, all);

    const after = await store.query<{ type: string }>("SELECT pg_typeof(lines)::text AS type FROM invoices WHERE id = 'inv_jsonb_1'");
    expect(after.rows[0]!.type).toBe("json");
    expect((await findInvoice(store, "inv_jsonb_1"))?.lineItems).toEqual(written[0]!.lineItems);
    expect((await findInvoice(store, "inv_jsonb_2"))?.lineItems).toEqual([]);
    const view = await store.query<{ line_number: number; details: unknown }>("SELECT line_number, details FROM invoice_lines WHERE invoice_id = 'inv_jsonb_1' ORDER BY line_number");
    expect(view.rows).toEqual([
      { line_number: 1, details: {} },
      { line_number: 2, details: { tiers: tiered.tiers, packages: "3", billedEvents: 7, price: tiered.price } },
      { line_number: 3, details: {} },
    ]);
    await expect(store.query("UPDATE invoices SET lines = '[]' WHERE id = 'inv_jsonb_1'")).rejects.toThrow(/immutable/);
    await expect(store.query("DELETE FROM invoice_lines WHERE invoice_id = 'inv_jsonb_1'")).rejects.toThrow(/immutable/);
  });
});
