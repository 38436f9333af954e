import { createHub } from "../../src/hub.ts";
import { compactRollups } from "../../src/store/rollups/compact-rollups.ts";
import type { Store } from "../../src/store/types.ts";
import { benchCatalog, customerIds, METERS } from "./catalog.ts";
import { timed } from "./measure.ts";
import { createLedgerMonths, withClaimedIds } from "./seed.ts";

/** A finished calendar month, so every customer's period has ended by the real clock. */
export const MONTH = { key: "2026-09", from: new Date("2026-09-01T00:00:00Z"), to: new Date("2026-10-01T00:00:00Z") };

/**
 * When the month's hourly rollups are compacted into day and month rows, as `billhub rollups
 * compact` leaves them. `month`: once, after the whole month is seeded (the same rows as after each
 * day). `daily`: the month seeded a day at a time, each day's hours compacted once the day is in,
 * as a live hub that runs it daily leaves them.
 */
export type Compaction = "month" | "daily";

// Statements small enough for the store's 15 s statement timeout on a busy machine.
const CHUNK = 50_000;
const ROLLUP_SPAN_MS = 6 * 3_600_000;
const DAY_MS = 24 * 3_600_000;

/**
 * The month's ledger as a live hub writes it: one event after another in time order, every
 * customer's events spread over the month and interleaved with everyone else's (event `i` is
 * customer `i × 7919 mod n`'s, a prime that divides no size, so each gets exactly `perCustomer`;
 * its id written as `customerIds` writes it, not looked up in an array, which costs a walk of the
 * array per row),
 * each customer's meters in turn, transaction ids random-looking (md5). The rollups are then
 * computed from the ledger six hours at a time, in time order, as recording leaves them (`billhub
 * rollups rebuild` computes the same rows), and compacted as `compaction` says. Seeding and
 * compaction are not what is measured; their seconds are returned apart.
 */
async function seedMonth(store: Store, customers: number, perCustomer: number, compaction: Compaction): Promise<{ events: number; moved: number; compactSeconds: number }> {
  const total = customers * perCustomer;
  const step = (MONTH.to.getTime() - MONTH.from.getTime()) / 1000 / total;
  // The first event at or after `ms`, by the product the INSERT computes: a span's events are all
  // in the ledger before its rollups are computed (one at the boundary may come a span early).
  const firstEventAt = (ms: number) => {
    const offset = (ms - MONTH.from.getTime()) / 1000;
    let i = Math.ceil(offset / step);
    while (i > 0 && (i - 1) * step >= offset) i--;
    while (i * step < offset) i++;
    return Math.min(total, i);
  };
  await createLedgerMonths(store, MONTH.from, MONTH.to);
  let moved = 0;
  let compactSeconds = 0;
  const spanMs = compaction === "daily" ? DAY_MS : MONTH.to.getTime() - MONTH.from.getTime();
  for (let span = MONTH.from.getTime(); span < MONTH.to.getTime(); span += spanMs) {
    const spanEnd = span + spanMs;
    for (let at = firstEventAt(span), end = firstEventAt(spanEnd); at < end; at += CHUNK) {
      await store.query(
        withClaimedIds(`INSERT INTO usage_events (transaction_id, customer_id, meter, quantity, occurred_at, timestamp_given, kind, properties)
         SELECT 'evt_' || md5('invoice-run' || i), 'bench_' || lpad(((i * 7919) % $1)::text, 7, '0'), ($2::text[])[1 + (i / $1) % 3], 1 + (i * 7) % 97,
                $3::timestamptz + make_interval(secs => i * $4::float8), true, 'usage', '{}'::jsonb
           FROM generate_series($5::bigint, $6::bigint - 1) AS i`),
        [customers, [...METERS], MONTH.from.toISOString(), step, at, Math.min(end, at + CHUNK)],
      );
    }
    for (let hours = span; hours < spanEnd; hours += ROLLUP_SPAN_MS) {
      await store.query("INSERT INTO usage_rollups SELECT * FROM usage_rollups_of_ledger($1, $2) ORDER BY 3, 1, 2", [new Date(hours).toISOString(), new Date(hours + ROLLUP_SPAN_MS).toISOString()]);
    }
    if (compaction === "month") await store.query("ANALYZE usage_events");
    await store.query("ANALYZE usage_rollups");
    const compacted = await timed(() => compactRollups(store, { before: new Date(spanEnd) }));
    // A compaction whose VACUUM failed leaves dead rows the run would read through: not what is measured.
    if (compacted.result.vacuumError !== undefined) throw compacted.result.vacuumError;
    moved += compacted.result.moved;
    compactSeconds += compacted.seconds;
  }
  const analyzed = await timed(async () => {
    if (compaction === "daily") await store.query("ANALYZE usage_events");
    await store.query("ANALYZE usage_rollups");
    await store.query("ANALYZE usage_rollup_days");
    await store.query("ANALYZE usage_rollup_months");
  });
  return { events: total, moved, compactSeconds: compactSeconds + analyzed.seconds };
}

export interface SeededMonth {
  customers: string[];
  events: number;
  seedSeconds: number;
  compactSeconds: number;
}

/**
 * `customers` customers since before the month, on the calendar-month cycle (no billing period of
 * their own), with `perCustomer` events each in the month, their rollups computed and compacted.
 */
export async function seedInvoiceMonth(store: Store, input: { customers: number; perCustomer: number; compaction: Compaction; log: (line: string) => void }): Promise<SeededMonth> {
  const customers = customerIds(input.customers);
  await store.query("INSERT INTO customers (id, created_at) SELECT unnest($1::text[]), $2", [customers, "2026-08-01T00:00:00Z"]);
  const seeded = await timed(() => seedMonth(store, customers.length, input.perCustomer, input.compaction));
  const seedSeconds = seeded.seconds - seeded.result.compactSeconds;
  input.log(`seeded ${seeded.result.events.toLocaleString("en-US")} events and their rollups in ${seedSeconds.toFixed(1)} s`);
  input.log(`compacted ${seeded.result.moved.toLocaleString("en-US")} hourly rollups into day and month rows (${input.compaction === "daily" ? "after each day" : "after the month"}) in ${seeded.result.compactSeconds.toFixed(1)} s`);
  return { customers, events: seeded.result.events, seedSeconds, compactSeconds: seeded.result.compactSeconds };
}

export interface MonthRun {
  /** The median of the runs' seconds. */
  runSeconds: number;
  /** The raw baseline: the month's sums per customer and meter straight from the ledger (the median of as many). */
  rawSeconds: number;
  /** Every run's and every raw aggregate's seconds, in the order measured. */
  runs: number[];
  raws: number[];
}

/**
 * Rounds a benchmark runs each month in (its writes undone in between), and as many raw
 * aggregates: its figures are their medians. One run of a few hundred milliseconds on a shared
 * machine moves by a fifth from run to run. A smoke run takes two, to go through the undo.
 */
export const monthRounds = (smoke: boolean) => (smoke ? 2 : 3);

/** The seconds of each round, for the log: "0.70 / 0.66 / 0.98". */
export const roundsText = (values: readonly number[], digits: number) => values.map((value) => value.toFixed(digits)).join(" / ");

const median = (values: readonly number[]) => [...values].sort((a, b) => a - b)[values.length >> 1]!;

/**
 * Takes back what a run wrote, so the month can be run again on the same data: its invoices,
 * the periods they closed and the numbers they took. Invoices are immutable, so their triggers are
 * set aside for the delete (the schema's owner may; the bench creates the schema).
 */
async function undoRun(store: Store): Promise<void> {
  await store.transaction(async (tx) => {
    await tx.query("ALTER TABLE invoices DISABLE TRIGGER invoices_immutable");
    await tx.query("DELETE FROM invoices");
    await tx.query("ALTER TABLE invoices ENABLE TRIGGER invoices_immutable");
    await tx.query("DELETE FROM closed_periods");
    await tx.query("UPDATE invoice_numbering SET last_number = 0");
  });
  // As the first run found them: no dead rows of the last one in the way (PGlite has no autovacuum).
  await store.maintain("VACUUM ANALYZE invoices, closed_periods, invoice_numbering");
}

/** One round of a month: the raw aggregate's and the run's seconds. */
export interface MonthRound {
  run: number;
  raw: number;
}

/** A seeded month ready to be run round after round (`monthRunner`). */
export interface MonthRunner {
  /**
   * Times the raw `GROUP BY` of the month's events (first: it also warms the ledger's pages for
   * both), then `hub.invoices.run` of the month, and checks that the run invoiced every customer
   * and billed one customer's api_calls as the raw aggregate sums them. Every round after the
   * first undoes the one before it first, so each runs on the same data.
   */
  round(): Promise<MonthRound>;
  close(): Promise<void>;
}

/** A hub on a seeded month, to time its rounds one by one (rounds of several months can then alternate). */
export async function monthRunner(store: Store, seeded: SeededMonth): Promise<MonthRunner> {
  const { customers } = seeded;
  const hub = await createHub({ catalog: benchCatalog, store: { migrate: false } }, { store });
  let rounds = 0;
  return {
    async round() {
      if (rounds++ > 0) await undoRun(store);
      const raw = await timed(() =>
        store.query<{ customer_id: string; meter: string; total: unknown }>(
          "SELECT customer_id, meter, sum(quantity) AS total FROM usage_events WHERE occurred_at >= $1 AND occurred_at < $2 GROUP BY customer_id, meter",
          [MONTH.from.toISOString(), MONTH.to.toISOString()],
        ),
      );
      const run = await timed(() => hub.invoices.run({ period: MONTH.key }));
      if (run.result.invoiced !== customers.length) throw new Error(`invoiced ${run.result.invoiced} of ${customers.length}: ${JSON.stringify(run.result)}`);
      const sample = customers[customers.length >> 1]!;
      const invoice = (await hub.invoices.list({ customerId: sample, period: MONTH.key })).invoices[0]!;
      const full = await hub.invoices.get(invoice.id);
      const api = raw.result.rows.find((row) => row.customer_id === sample && row.meter === "api_calls");
      const line = full.lineItems.find((item) => item.meter === "api_calls");
      if (String(api?.total) !== line?.quantity) throw new Error(`api_calls of ${sample}: invoice ${line?.quantity}, raw ${String(api?.total)}`);
      return { run: run.seconds, raw: raw.seconds };
    },
    close: () => hub.close(),
  };
}

/** The medians of rounds, with every round's seconds in the order measured. */
export function monthRun(rounds: readonly MonthRound[]): MonthRun {
  const runs = rounds.map((round) => round.run);
  const raws = rounds.map((round) => round.raw);
  return { runSeconds: median(runs), rawSeconds: median(raws), runs, raws };
}

/** `rounds` rounds of one month (see `monthRunner`), each figure the median of its rounds. */
export async function runInvoiceMonth(store: Store, seeded: SeededMonth, rounds = 1): Promise<MonthRun> {
  const runner = await monthRunner(store, seeded);
  try {
    const measured: MonthRound[] = [];
    for (let round = 0; round < rounds; round++) measured.push(await runner.round());
    return monthRun(measured);
  } finally {
    await runner.close();
  }
}
