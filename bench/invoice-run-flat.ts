import { figure } from "./support/measure.ts";
import { monthRun, monthRunner, roundsText, seedInvoiceMonth, type MonthRound, type MonthRunner } from "./support/invoice-month.ts";
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

/**
 * Timed rounds of each history (a smoke run takes two). The histories' rounds alternate — round 1
 * of each, then round 2 of each … — after one untimed round of each (the run's code compiled and
 * the store's statements planned): run one after the other, each history's rounds met a different
 * state of this process and machine, and at ~0.2 s a run that moved the figures more than the
 * events did (BENCHMARKS.md, 2026-12-07).
 */
const ROUNDS = 5;

interface History {
  perCustomer: number;
  events: number;
  seedSeconds: number;
  compactSeconds: number;
  runner: MonthRunner;
  rounds: MonthRound[];
  close(): Promise<void>;
}

/** Seeds a month of `perCustomer` events for each of `customers` in a fresh schema, ready to run. */
async function seedHistory(name: "pglite" | "postgres", options: BenchOptions, customers: number, perCustomer: number): Promise<History> {
  // Its own database on PGlite: the histories are in use at once (their rounds alternate).
  const { store, close } = await openBenchStore(name, options, { ownDatabase: true });
  try {
    const seeded = await seedInvoiceMonth(store, { customers, perCustomer, compaction: "daily", log: (line) => options.log(`${name}, ${perCustomer}/customer: ${line}`) });
    const runner = await monthRunner(store, seeded);
    const closeAll = async () => {
      await runner.close();
      await close();
    };
    return { perCustomer, events: seeded.events, seedSeconds: seeded.seedSeconds, compactSeconds: seeded.compactSeconds, runner, rounds: [], close: closeAll };
  } catch (error) {
    await close();
    throw error;
  }
}

export const invoiceRunFlat: Benchmark = {
  id: "invoice-run-flat",
  title: "hub.runInvoices of 2,000 customers with 25, 250 and 2,500 events each (50,000 to 5,000,000; PGlite 10, 100 and 1,000), vs the run at the fewest: flat in events",
  async run(options) {
    const figures: Figure[] = [];
    for (const name of storeNames(options)) {
      const sizes: { customers: number; perCustomer: number[]; note?: string } = options.smoke ? SMOKE : SIZES[name];
      const customers = sizes.customers;
      const histories: History[] = [];
      try {
        for (const perCustomer of sizes.perCustomer) histories.push(await seedHistory(name, options, customers, perCustomer));
        if (!options.smoke) for (const history of histories) await history.runner.round();
        for (let round = 0; round < (options.smoke ? 2 : ROUNDS); round++) {
          for (const history of histories) history.rounds.push(await history.runner.round());
        }
        const [first, ...larger] = histories.map((history) => {
          const run = monthRun(history.rounds);
          options.log(`${name}, ${history.perCustomer}/customer: run ${roundsText(run.runs, 3)} s, raw GROUP BY ${roundsText(run.raws, 3)} s`);
          return { ...history, ...run };
        });
        for (const got of larger) {
          const times = got.perCustomer / first!.perCustomer;
          figures.push(
            figure({
              name: `invoice run, ${customers.toLocaleString("en-US")} customers × ${got.perCustomer.toLocaleString("en-US")} events (${got.events.toLocaleString("en-US")}) vs × ${first!.perCustomer} (${first!.events.toLocaleString("en-US")})${sizes.note ?? ""}`,
              store: name,
              value: got.runSeconds,
              unit: "s",
              baseline: { name: `run at ${first!.perCustomer} events/customer`, value: first!.runSeconds },
              higherIsBetter: false,
              target: { text: `run at ${times}× the events within ${FLAT}× of the run at 1× (cost flat in events)`, met: ({ ratio }) => ratio >= 1 / FLAT },
              extra: {
                rawGroupBy: got.rawSeconds,
                rawGroupByAtBase: first!.rawSeconds,
                rawGrowth: got.rawSeconds / first!.rawSeconds,
                seedSeconds: Number(got.seedSeconds.toFixed(1)),
                compactSeconds: Number(got.compactSeconds.toFixed(1)),
              },
              notes: `ratio = seconds of the run at the base events/customer / seconds of this run, each the median of ${got.rounds.length} runs on the same data, the histories' runs alternating in this bench run on the same store; rawGroupBy / rawGroupByAtBase = the raw GROUP BY sum of the month's events at this size and at the base, rawGrowth their quotient; seeding and compaction are not timed as the run`,
            }),
          );
        }
      } finally {
        for (const history of histories) await history.close();
      }
    }
    return figures;
  },
};
