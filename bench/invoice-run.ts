import { createHub } from "../src/hub.ts";
import { benchCatalog, customerIds } from "./support/catalog.ts";
import { figure, timed } from "./support/measure.ts";
import { seedLedger } from "./support/seed.ts";
import { perStore } from "./support/stores.ts";
import type { Benchmark } from "./types.ts";

/** A finished calendar month, so every customer's period has ended by the real clock. */
const MONTH = { key: "2026-09", from: new Date("2026-09-01T00:00:00Z"), to: new Date("2026-10-01T00:00:00Z") };

export const invoiceRun: Benchmark = {
  id: "invoice-run",
  title: "hub.runInvoices: 10,000 customers × 3 meters over 1,000,000 ledger events vs a raw GROUP BY",
  run: (options) =>
    perStore(options, async ({ name, store }) => {
      const customers = customerIds(options.smoke ? 20 : 10_000);
      const perCustomer = options.smoke ? 10 : 100;
      // Customers since before the month, on the calendar-month cycle (no billing period of their own).
      await store.query("INSERT INTO customers (id, created_at) SELECT unnest($1::text[]), $2", [customers, "2026-08-01T00:00:00Z"]);
      const seeded = await timed(() => seedLedger(store, { customers, perCustomer, from: MONTH.from, to: MONTH.to }));
      options.log(`${name}: seeded ${seeded.result.toLocaleString("en-US")} events in ${seeded.seconds.toFixed(1)} s`);
      // The raw baseline first (it also warms the ledger's pages for both): the month's sums per customer and meter.
      const raw = await timed(() =>
        store.query("SELECT customer_id, meter, sum(quantity) AS total FROM usage_events WHERE occurred_at >= $1 AND occurred_at < $2 GROUP BY customer_id, meter", [
          MONTH.from.toISOString(),
          MONTH.to.toISOString(),
        ]),
      );
      const hub = await createHub({ catalog: benchCatalog, store: { migrate: false } }, { store });
      try {
        const run = await timed(() => hub.runInvoices({ period: MONTH.key }));
        if (run.result.invoiced !== customers.length) throw new Error(`invoiced ${run.result.invoiced} of ${customers.length}: ${JSON.stringify(run.result)}`);
        // Spot check: the run billed the same usage the raw aggregate found.
        const sample = customers[customers.length >> 1]!;
        const invoice = (await hub.listInvoices({ customerId: sample, period: MONTH.key })).invoices[0]!;
        const full = await hub.getInvoice(invoice.id);
        const api = raw.result.rows.find((row) => row.customer_id === sample && row.meter === "api_calls");
        const line = full.lineItems.find((item) => item.meter === "api_calls");
        if (String(api?.total) !== line?.quantity) throw new Error(`api_calls of ${sample}: invoice ${line?.quantity}, raw ${String(api?.total)}`);
        options.log(`${name}: run ${run.seconds.toFixed(2)} s, raw GROUP BY ${raw.seconds.toFixed(2)} s`);
        return [
          figure({
            name: `invoice run (${customers.length.toLocaleString("en-US")} customers × 3 meters, ${seeded.result.toLocaleString("en-US")} events)`,
            store: name,
            value: run.seconds,
            unit: "s",
            baseline: { name: "raw GROUP BY sum", value: raw.seconds },
            higherIsBetter: false,
            extra: { invoicesPerSecond: Math.round(customers.length / run.seconds) },
            notes: "ratio = baseline seconds / run seconds; the run prices, closes the periods and writes numbered invoices with their lines",
          }),
        ];
      } finally {
        await hub.close();
      }
    }),
};
