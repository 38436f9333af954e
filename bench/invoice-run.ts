import { figure } from "./support/measure.ts";
import { monthRounds, roundsText, runInvoiceMonth, seedInvoiceMonth } from "./support/invoice-month.ts";
import { openBenchStore, storeNames } from "./support/stores.ts";
import type { Benchmark, Figure } from "./types.ts";

/** Hubs of two sizes; the larger one's customers use it less, as a hub's long tail does. */
const SIZES = [
  { customers: 10_000, perCustomer: 100 },
  { customers: 50_000, perCustomer: 40 },
];
const SMOKE = [{ customers: 20, perCustomer: 10 }];

export const invoiceRun: Benchmark = {
  id: "invoice-run",
  title: "hub.runInvoices: 10,000 customers over 1,000,000 ledger events and 50,000 over 2,000,000, 3 meters, vs a raw GROUP BY of the same events",
  async run(options) {
    const figures: Figure[] = [];
    for (const name of storeNames(options)) {
      for (const size of options.smoke ? SMOKE : SIZES) {
        const { store, close } = await openBenchStore(name, options);
        try {
          const seeded = await seedInvoiceMonth(store, { ...size, compaction: "month", log: (line) => options.log(`${name}: ${line}`) });
          const { runSeconds, rawSeconds, runs, raws } = await runInvoiceMonth(store, seeded, monthRounds(options.smoke));
          const customers = seeded.customers.length;
          options.log(`${name}: ${customers.toLocaleString("en-US")} customers: run ${roundsText(runs, 2)} s, raw GROUP BY ${roundsText(raws, 2)} s (medians ${runSeconds.toFixed(2)} and ${rawSeconds.toFixed(2)})`);
          figures.push(
            figure({
              name: `invoice run (${customers.toLocaleString("en-US")} customers × 3 meters, ${seeded.events.toLocaleString("en-US")} events)`,
              store: name,
              value: runSeconds,
              unit: "s",
              baseline: { name: "raw GROUP BY sum", value: rawSeconds },
              higherIsBetter: false,
              target: { text: "ratio >= 0.5", met: ({ ratio }) => ratio >= 0.5 },
              extra: { invoicesPerSecond: Math.round(customers / runSeconds), compactSeconds: Number(seeded.compactSeconds.toFixed(1)) },
              notes: "ratio = baseline seconds / run seconds, each the median of 3 rounds on the same data (the run's writes undone in between); the run reads the rollups, prices, closes the periods and writes numbered invoices with their lines; compactSeconds = the untimed compaction of the month's hours beforehand",
            }),
          );
        } finally {
          await close();
        }
      }
    }
    return figures;
  },
};
