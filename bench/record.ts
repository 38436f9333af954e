import { randomBytes } from "node:crypto";
import { createHub, type Hub } from "../src/hub.ts";
import type { Sql } from "../src/store/types.ts";
import { defineCatalog } from "../src/core/catalog/index.ts";
import { benchCatalog, benchCatalogInput, customerIds, METERS } from "./support/catalog.ts";
import { figure, secondsSince } from "./support/measure.ts";
import { openBenchStore, storeNames, type BenchStore, type CopyRows } from "./support/stores.ts";
import type { Benchmark, BenchOptions, Figure } from "./types.ts";
import { createLedgerMonths } from "./support/seed.ts";

const BATCH = 500;

interface Row {
  transactionId: string;
  customerId: string;
  meter: string;
  quantity: number;
  timestamp: string;
}

/**
 * What makes a batch easy or hard to record. `stripe`: the customers' usage goes to Stripe (they
 * have Stripe ids), so every event also writes an outbox row, as in production with a provider;
 * the default `manual` provider writes none. `randomIds`: transaction ids as callers make them
 * (UUID-like, in no order), which land all over the ledger's primary-key index, where sequential
 * ids append at its end. Customers are interleaved within every batch (event n is customer
 * n mod 200), so a batch locks and writes for many customers.
 */
interface Variant {
  label: string;
  stripe: boolean;
  randomIds: boolean;
  /** The original figure's target, kept for comparison with earlier runs. */
  target?: boolean;
  /**
   * The catalog declares usage and spend alerts: every batch marks its customers pending
   * evaluation, and one evaluation pass over them is timed after the batches.
   */
  alerts?: boolean;
}

/**
 * The bench catalog with alerts on two of its three meters and a spend alert (which watches every
 * priced meter): thresholds no batch reaches, so what is measured is the evaluation, every time.
 */
const alertsCatalog = defineCatalog({
  ...benchCatalogInput,
  alerts: {
    api_80: { kind: "usage", feature: "api", percent: 80 },
    tokens_1b: { kind: "usage", feature: "tokens", units: "1000000000" },
    spend_1m: { kind: "spend", amount: 100_000_000 },
  },
});

const VARIANTS: Variant[] = [
  { label: "", stripe: false, randomIds: false, target: true },
  { label: ", Stripe outbox rows", stripe: true, randomIds: false },
  { label: ", random ids", stripe: false, randomIds: true },
  { label: ", Stripe outbox rows, random ids", stripe: true, randomIds: true },
  { label: ", usage and spend alerts", stripe: false, randomIds: false, alerts: true },
];

function batchOf(prefix: string, batch: number, size: number, customers: string[], randomIds: boolean): Row[] {
  const rows: Row[] = [];
  for (let i = 0; i < size; i++) {
    const n = batch * size + i;
    rows.push({
      transactionId: randomIds ? `${prefix}_${randomBytes(12).toString("hex")}` : `${prefix}_${String(n).padStart(9, "0")}`,
      customerId: customers[n % customers.length]!,
      meter: METERS[n % METERS.length]!,
      quantity: (n % 97) + 1,
      timestamp: new Date(Date.UTC(2026, 2, 1) + n * 1000).toISOString(),
    });
  }
  return rows;
}

/**
 * The raw baseline: the same rows into the same ledger in one statement that refuses duplicates as
 * the schema allows (the transaction ids claimed first, the ledger rows of those claimed), and
 * their outbox rows when the variant has them.
 */
async function rawInsert(tx: Sql, rows: Row[], stripe: boolean): Promise<void> {
  const insert = `WITH input AS (SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::numeric[], $5::timestamptz[]) AS i(t, c, m, q, o)),
     claimed AS (INSERT INTO usage_transaction_ids (transaction_id, customer_id, occurred_at) SELECT t, c, o FROM input ON CONFLICT (transaction_id) DO NOTHING RETURNING transaction_id),
     inserted AS (INSERT INTO usage_events (transaction_id, customer_id, meter, quantity, occurred_at, timestamp_given, kind, reason, properties)
       SELECT t, c, m, q, o, true, 'usage', NULL, '{}'::jsonb FROM input JOIN claimed ON claimed.transaction_id = input.t RETURNING transaction_id, customer_id)`;
  await tx.query(
    stripe ? `${insert} INSERT INTO usage_outbox (transaction_id, customer_id, provider, role) SELECT transaction_id, customer_id, 'stripe', 'primary' FROM inserted` : `${insert} SELECT count(*) FROM inserted`,
    [rows.map((r) => r.transactionId), rows.map((r) => r.customerId), rows.map((r) => r.meter), rows.map((r) => String(r.quantity)), rows.map((r) => r.timestamp)],
  );
}

/** The second baseline: the same rows (their transaction-id claims, events and outbox rows) by COPY, PostgreSQL's bulk load; a duplicate id would fail it rather than be answered. */
function copyRows(rows: Row[], stripe: boolean): CopyRows[] {
  const events: CopyRows = {
    table: "usage_events",
    columns: ["transaction_id", "customer_id", "meter", "quantity", "occurred_at", "timestamp_given", "kind", "properties"],
    text: rows.map((r) => `${r.transactionId}\t${r.customerId}\t${r.meter}\t${r.quantity}\t${r.timestamp}\ttrue\tusage\t{}\n`).join(""),
  };
  const ids: CopyRows = { table: "usage_transaction_ids", columns: ["transaction_id", "customer_id", "occurred_at"], text: rows.map((r) => `${r.transactionId}\t${r.customerId}\t${r.timestamp}\n`).join("") };
  if (!stripe) return [ids, events];
  return [ids, events, { table: "usage_outbox", columns: ["transaction_id", "customer_id", "provider", "role"], text: rows.map((r) => `${r.transactionId}\t${r.customerId}\tstripe\tprimary\n`).join("") }];
}

async function openHub(bench: BenchStore, stripe: boolean, alerts: boolean): Promise<Hub> {
  if (!stripe) return createHub({ catalog: alerts ? alertsCatalog : benchCatalog, store: { migrate: false } }, { store: bench.store });
  return createHub(
    {
      catalog: benchCatalog,
      store: { migrate: false },
      provider: { default: "stripe" },
      stripe: { secretKey: "sk_live_bench_record", meters: Object.fromEntries(METERS.map((meter) => [meter, { eventName: meter }])) },
      forwarder: { enabled: false },
    },
    { store: bench.store },
  );
}

async function measure(bench: BenchStore, variant: Variant, options: BenchOptions): Promise<Figure> {
  const { name, store } = bench;
  const batches = options.smoke ? 2 : 40;
  const size = options.smoke ? 20 : BATCH;
  const customers = customerIds(options.smoke ? 10 : 200);
  const hub = await openHub(bench, variant.stripe, variant.alerts ?? false);
  try {
    await store.query("INSERT INTO customers (id, provider_ids) SELECT c, jsonb_build_object('stripe', 'cus_' || c) FROM unnest($1::text[]) AS c ON CONFLICT (id) DO NOTHING", [customers]);
    await createLedgerMonths(store, new Date(Date.UTC(2026, 2, 1)), new Date(Date.UTC(2026, 3, 1)));
    // Warm every path (plans, caches, JIT) on rows that are not measured.
    await hub.recordBatch(batchOf("warm_lib", 0, size, customers, variant.randomIds));
    if (variant.alerts) await hub.alerts.evaluate();
    await store.transaction((tx) => rawInsert(tx, batchOf("warm_raw", 0, size, customers, variant.randomIds), variant.stripe));
    await bench.copyIn(copyRows(batchOf("warm_copy", 0, size, customers, variant.randomIds), variant.stripe));
    let library = 0;
    let raw = 0;
    let copy = 0;
    let first: Row[] = [];
    // Interleaved, so all three see the same table size and the same machine load.
    for (let b = 0; b < batches; b++) {
      const mine = batchOf("lib", b, size, customers, variant.randomIds);
      if (b === 0) first = mine;
      let start = process.hrtime.bigint();
      const results = await hub.recordBatch(mine);
      library += secondsSince(start);
      if (results.some((r) => r.status !== "created")) throw new Error("a new event was not created");
      const theirs = batchOf("raw", b, size, customers, variant.randomIds);
      start = process.hrtime.bigint();
      await store.transaction((tx) => rawInsert(tx, theirs, variant.stripe));
      raw += secondsSince(start);
      const copied = batchOf("copy", b, size, customers, variant.randomIds);
      start = process.hrtime.bigint();
      await bench.copyIn(copyRows(copied, variant.stripe));
      copy += secondsSince(start);
    }
    const events = batches * size;
    const outbox = Number((await store.query<{ n: string }>("SELECT count(*) AS n FROM usage_outbox WHERE transaction_id LIKE 'lib\\_%'")).rows[0]!.n);
    if (outbox !== (variant.stripe ? events : 0)) throw new Error(`the library wrote ${outbox} outbox rows for ${events} events`);
    const evaluation = variant.alerts ? await timedEvaluation(hub, customers.length) : undefined;
    // A resent batch: every row a duplicate, answered from the same insert statement.
    const again = await timedResend(hub, first);
    options.log(`${name}${variant.label}: ${events} events each side; library ${library.toFixed(2)} s, unnest ${raw.toFixed(2)} s, COPY ${copy.toFixed(2)} s`);
    return figure({
      name: `record (recordBatch of ${size}${variant.label})`,
      store: name,
      value: events / library,
      unit: "events/s",
      baseline: { name: `raw unnest insert${variant.stripe ? " + outbox rows" : ""}`, value: events / raw },
      ...(variant.target ? { target: { text: "ratio >= 0.5", met: (f) => f.ratio >= 0.5 } } : {}),
      extra: { copy: Math.round(events / copy), ratioToCopy: Number((copy / library).toFixed(3)), duplicateBatch: again, ...(evaluation === undefined ? {} : { evaluationMs: evaluation }) },
      notes: `${variant.alerts ? "usage alerts on two meters and a spend alert, none reached: each batch marks its customers pending in its transaction; evaluationMs = one evaluation pass over the 200 pending customers after the batches (what the alert sender runs at most every alerts.evaluation.intervalMs); " : ""}${variant.stripe ? "customers routed to Stripe: one outbox row per event" : "manual provider (the default): no outbox rows"}; ${variant.randomIds ? "random" : "sequential"} transaction ids; customers interleaved in every batch; copy = COPY of the same rows${variant.stripe ? " and outbox rows" : ""}, events/s; duplicateBatch = events/s when a whole batch is resent`,
    });
  } finally {
    await hub.close();
  }
}

/**
 * Every variant starts with no events, outbox rows or rollups (a new schema each would mean
 * migrating it again: seconds on PGlite). The customers stay: invoices guard their table.
 */
async function emptyTables(bench: BenchStore): Promise<void> {
  const { rows } = await bench.store.query<{ name: string }>(
    "SELECT tablename AS name FROM pg_tables WHERE schemaname = $1 AND (tablename IN ('usage_events', 'usage_transaction_ids', 'usage_outbox') OR tablename LIKE 'usage\\_rollup%')",
    [bench.store.schema],
  );
  if (rows.length > 0) await bench.store.exec(`TRUNCATE ${rows.map((row) => row.name).join(", ")}`);
}

/** Milliseconds of one evaluation pass over the customers the batches left pending. */
async function timedEvaluation(hub: Hub, customers: number): Promise<number> {
  const start = process.hrtime.bigint();
  const report = await hub.alerts.evaluate();
  const seconds = secondsSince(start);
  if (report.customers !== customers || report.failed !== 0) throw new Error(`the evaluation covered ${report.customers} customers (${report.failed} failed) of ${customers}`);
  return Math.round(seconds * 1000);
}

/** Events/s of a batch resent whole (every row a duplicate). */
async function timedResend(hub: Hub, rows: Row[]): Promise<number> {
  const start = process.hrtime.bigint();
  const again = await hub.recordBatch(rows);
  const seconds = secondsSince(start);
  if (again.some((r) => r.status !== "duplicate")) throw new Error("a resent event was not a duplicate");
  return Math.round(rows.length / seconds);
}

export const record: Benchmark = {
  id: "record",
  title: `hub.recordBatch (batches of ${BATCH}): manual or Stripe-routed customers, sequential or random transaction ids, vs a raw unnest INSERT … ON CONFLICT DO NOTHING and COPY of the same rows`,
  async run(options) {
    const figures: Figure[] = [];
    for (const storeName of storeNames(options)) {
      const bench = await openBenchStore(storeName, options);
      try {
        for (const variant of VARIANTS) {
          await emptyTables(bench);
          figures.push(await measure(bench, variant, options));
        }
      } finally {
        await bench.close();
      }
    }
    return figures;
  },
};
