import { createHub } from "../src/hub.ts";
import { compactRollups } from "../src/store/rollups/compact-rollups.ts";
import type { Sql, Store } from "../src/store/types.ts";
import { benchCatalog, customerIds, METERS } from "./support/catalog.ts";
import { figure, timed } from "./support/measure.ts";
import { createLedgerMonths, withClaimedIds } from "./support/seed.ts";
import { openBenchStore, storeNames } from "./support/stores.ts";
import type { Benchmark, Figure } from "./types.ts";

/** A finished calendar month, so every customer's period has ended by the real clock. */
const MONTH = { key: "2026-09", from: new Date("2026-09-01T00:00:00Z"), to: new Date("2026-10-01T00:00:00Z") };

/** Hubs of two sizes; the larger one's customers use it less, as a hub's long tail does. */
const SIZES = [
  { customers: 10_000, perCustomer: 100 },
  { customers: 50_000, perCustomer: 40 },
];
const SMOKE = [{ customers: 20, perCustomer: 10 }];

/**
 * The month's ledger as a live hub writes it: one event after another in time order, every
 * customer's events spread over the month and interleaved with everyone else's (event `i` is
 * customer `i × 7919 mod n`'s, a prime that divides no size, so each gets exactly `perCustomer`;
 * its id written as `customerIds` writes it, not looked up in an array, which costs a walk of the
 * array per row),
 * each customer's meters in turn, transaction ids random-looking (md5). The rollups are then
 * computed from the ledger six hours at a time, in time order, as recording leaves them (`billhub
 * rollups rebuild` computes the same rows). Seeding is not what is measured.
 */
// Statements small enough for the store's 15 s statement timeout on a busy machine.
const CHUNK = 50_000;
const ROLLUP_SPAN_MS = 6 * 3_600_000;

async function seedMonth(sql: Sql, customers: number, perCustomer: number): Promise<number> {
  const total = customers * perCustomer;
  const step = (MONTH.to.getTime() - MONTH.from.getTime()) / 1000 / total;
  await createLedgerMonths(sql, MONTH.from, MONTH.to);
  for (let at = 0; at < total; at += CHUNK) {
    await sql.query(
      withClaimedIds(`INSERT INTO usage_events (transaction_id, customer_id, meter, quantity, occurred_at, timestamp_given, kind, properties)
       SELECT 'evt_' || md5('invoice-run' || i), 'bench_' || lpad(((i * 7919) % $1)::text, 7, '0'), ($2::text[])[1 + (i / $1) % 3], 1 + (i * 7) % 97,
              $3::timestamptz + make_interval(secs => i * $4::float8), true, 'usage', '{}'::jsonb
         FROM generate_series($5::bigint, $6::bigint - 1) AS i`),
      [customers, [...METERS], MONTH.from.toISOString(), step, at, Math.min(total, at + CHUNK)],
    );
  }
  for (let hours = MONTH.from.getTime(); hours < MONTH.to.getTime(); hours += ROLLUP_SPAN_MS) {
    await sql.query("INSERT INTO usage_rollups SELECT * FROM usage_rollups_of_ledger($1, $2) ORDER BY 3, 1, 2", [new Date(hours).toISOString(), new Date(hours + ROLLUP_SPAN_MS).toISOString()]);
  }
  await sql.query("ANALYZE usage_events");
  await sql.query("ANALYZE usage_rollups");
  return total;
}

/**
 * The month's hours compacted into day and month rows as `billhub rollups compact` leaves them
 * when it runs after each day (here once, after the month: the same rows). Not timed as the run.
 */
async function compactMonth(store: Store): Promise<number> {
  const { moved } = await compactRollups(store, { before: MONTH.to });
  await store.query("ANALYZE usage_rollups");
  await store.query("ANALYZE usage_rollup_days");
  await store.query("ANALYZE usage_rollup_months");
  return moved;
}

export const invoiceRun: Benchmark = {
  id: "invoice-run",
  title: "hub.runInvoices: 10,000 customers over 1,000,000 ledger events and 50,000 over 2,000,000, 3 meters, vs a raw GROUP BY of the same events",
  async run(options) {
    const figures: Figure[] = [];
    for (const name of storeNames(options)) {
      for (const size of options.smoke ? SMOKE : SIZES) {
        const { store, close } = await openBenchStore(name, options);
        try {
          const customers = customerIds(size.customers);
          // Customers since before the month, on the calendar-month cycle (no billing period of their own).
          await store.query("INSERT INTO customers (id, created_at) SELECT unnest($1::text[]), $2", [customers, "2026-08-01T00:00:00Z"]);
          const seeded = await timed(() => seedMonth(store, customers.length, size.perCustomer));
          options.log(`${name}: seeded ${seeded.result.toLocaleString("en-US")} events and their rollups in ${seeded.seconds.toFixed(1)} s`);
          const compacted = await timed(() => compactMonth(store));
          options.log(`${name}: compacted ${compacted.result.toLocaleString("en-US")} hourly rollups into day and month rows in ${compacted.seconds.toFixed(1)} s`);
          // The raw baseline first (it also warms the ledger's pages for both): the month's sums per customer and meter.
          const raw = await timed(() =>
            store.query("SELECT customer_id, meter, sum(quantity) AS total FROM usage_events WHERE occurred_at >= $1 AND occurred_at < $2 GROUP BY customer_id, meter", [
              MONTH.from.toISOString(),
              MONTH.to.toISOString(),
            ]),
          );
          const hub = await createHub({ catalog: benchCatalog, store: { migrate: false } }, { store });
          try {
            const run = await timed(() => hub.invoices.run({ period: MONTH.key }));
            if (run.result.invoiced !== customers.length) throw new Error(`invoiced ${run.result.invoiced} of ${customers.length}: ${JSON.stringify(run.result)}`);
            // Spot check: the run billed the same usage the raw aggregate found.
            const sample = customers[customers.length >> 1]!;
            const invoice = (await hub.invoices.list({ customerId: sample, period: MONTH.key })).invoices[0]!;
            const full = await hub.invoices.get(invoice.id);
            const api = raw.result.rows.find((row) => row.customer_id === sample && row.meter === "api_calls");
            const line = full.lineItems.find((item) => item.meter === "api_calls");
            if (String(api?.total) !== line?.quantity) throw new Error(`api_calls of ${sample}: invoice ${line?.quantity}, raw ${String(api?.total)}`);
            options.log(`${name}: ${customers.length.toLocaleString("en-US")} customers: run ${run.seconds.toFixed(2)} s, raw GROUP BY ${raw.seconds.toFixed(2)} s`);
            figures.push(
              figure({
                name: `invoice run (${customers.length.toLocaleString("en-US")} customers × 3 meters, ${seeded.result.toLocaleString("en-US")} events)`,
                store: name,
                value: run.seconds,
                unit: "s",
                baseline: { name: "raw GROUP BY sum", value: raw.seconds },
                higherIsBetter: false,
                target: { text: "ratio >= 0.5", met: ({ ratio }) => ratio >= 0.5 },
                extra: { invoicesPerSecond: Math.round(customers.length / run.seconds), compactSeconds: Number(compacted.seconds.toFixed(1)) },
                notes: "ratio = baseline seconds / run seconds; the run reads the rollups, prices, closes the periods and writes numbered invoices with their lines; compactSeconds = the untimed compaction of the month's hours beforehand",
              }),
            );
          } finally {
            await hub.close();
          }
        } finally {
          await close();
        }
      }
    }
    return figures;
  },
};
