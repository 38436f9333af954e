import { figure } from "./support/measure.ts";
import { monthRounds, roundsText, runInvoiceMonth, seedInvoiceMonth, type MonthRun } from "./support/invoice-month.ts";
import { openBenchStore, storeNames } from "./support/stores.ts";
import type { BenchOptions, Benchmark, Figure } from "./types.ts";

/**
 * One hub size, three histories: the first is the baseline of the other two. PGlite takes about
 * 6 minutes to seed 5,000,000 events (their ids claimed, rollups computed), so it gets a tenth of
 * each history: 2,000,000 events at most, a few minutes.
 */
const SIZES = {
  postgres: { customers: 2_000, perCustomer: [25, 250, 2_500] },
  pglite: { customers: 2_000, perCustomer: [10, 100, 1_000], note: ", a tenth of PostgreSQL's events (seeding time)" },
};
const SMOKE = { customers: 10, perCustomer: [2, 20, 200] };
/** A run within this factor of the baseline's counts as flat. */
const FLAT = 1.2;

/** Seeds a month of `perCustomer` events for each of `customers` in a fresh schema, and runs it. */
async function measure(name: "pglite" | "postgres", options: BenchOptions, customers: number, perCustomer: number): Promise<MonthRun & { events: number; seedSeconds: number; compactSeconds: number }> {
  const { store, close } = await openBenchStore(name, options);
  try {
    const seeded = await seedInvoiceMonth(store, { customers, perCustomer, compaction: "daily", log: (line) => options.log(`${name}, ${perCustomer}/customer: ${line}`) });
    const run = await runInvoiceMonth(store, seeded, monthRounds(options.smoke));
    options.log(`${name}, ${perCustomer}/customer: run ${roundsText(run.runs, 3)} s, raw GROUP BY ${roundsText(run.raws, 3)} s`);
    return { ...run, events: seeded.events, seedSeconds: seeded.seedSeconds, compactSeconds: seeded.compactSeconds };
  } finally {
    await close();
  }
}

export const invoiceRunFlat: Benchmark = {
  id: "invoice-run-flat",
  title: "hub.runInvoices of 2,000 customers with 25, 250 and 2,500 events each (50,000 to 5,000,000; PGlite 10, 100 and 1,000), vs the run at the fewest: flat in events",
  async run(options) {
    const figures: Figure[] = [];
    for (const name of storeNames(options)) {
      const sizes: { customers: number; perCustomer: number[]; note?: string } = options.smoke ? SMOKE : SIZES[name];
      const [base, ...larger] = sizes.perCustomer;
      const customers = sizes.customers;
      // Untimed: the run's code compiled and the store's statements planned once before the baseline.
      if (!options.smoke) await measure(name, options, customers, 1);
      const first = await measure(name, options, customers, base!);
      for (const perCustomer of larger) {
        const got = await measure(name, options, customers, perCustomer);
        const times = perCustomer / base!;
        figures.push(
          figure({
            name: `invoice run, ${customers.toLocaleString("en-US")} customers × ${perCustomer.toLocaleString("en-US")} events (${got.events.toLocaleString("en-US")}) vs × ${base} (${first.events.toLocaleString("en-US")})${sizes.note ?? ""}`,
            store: name,
            value: got.runSeconds,
            unit: "s",
            baseline: { name: `run at ${base} events/customer`, value: first.runSeconds },
            higherIsBetter: false,
            target: { text: `run at ${times}× the events within ${FLAT}× of the run at 1× (cost flat in events)`, met: ({ ratio }) => ratio >= 1 / FLAT },
            extra: {
              rawGroupBy: got.rawSeconds,
              rawGroupByAtBase: first.rawSeconds,
              rawGrowth: got.rawSeconds / first.rawSeconds,
              seedSeconds: Number(got.seedSeconds.toFixed(1)),
              compactSeconds: Number(got.compactSeconds.toFixed(1)),
            },
            notes: "ratio = seconds of the run at the base events/customer / seconds of this run, each the median of 3 runs on the same data, both measured in this bench run on the same store; rawGroupBy / rawGroupByAtBase = the raw GROUP BY sum of the month's events at this size and at the base, rawGrowth their quotient; seeding and compaction are not timed as the run",
          }),
        );
      }
    }
    return figures;
  },
};
