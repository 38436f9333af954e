import { createHub } from "../src/hub.ts";
import type { Sql } from "../src/store/types.ts";
import { benchCatalog, customerIds, METERS } from "./support/catalog.ts";
import { figure, secondsSince } from "./support/measure.ts";
import { perStore } from "./support/stores.ts";
import type { Benchmark } from "./types.ts";

const BATCH = 500;

interface Row {
  transactionId: string;
  customerId: string;
  meter: string;
  quantity: number;
  timestamp: string;
}

function batchOf(prefix: string, batch: number, size: number, customers: string[]): Row[] {
  const rows: Row[] = [];
  for (let i = 0; i < size; i++) {
    const n = batch * size + i;
    rows.push({
      transactionId: `${prefix}_${String(n).padStart(9, "0")}`,
      customerId: customers[n % customers.length]!,
      meter: METERS[n % METERS.length]!,
      quantity: (n % 97) + 1,
      timestamp: new Date(Date.UTC(2026, 2, 1) + n * 1000).toISOString(),
    });
  }
  return rows;
}

/** The raw baseline: the same rows into the same ledger table in one unnest insert. */
async function rawInsert(tx: Sql, rows: Row[]): Promise<void> {
  await tx.query(
    `INSERT INTO usage_events (transaction_id, customer_id, meter, quantity, occurred_at, timestamp_given, kind, reason, properties)
     SELECT t, c, m, q, o, true, 'usage', NULL, '{}'::jsonb FROM unnest($1::text[], $2::text[], $3::text[], $4::numeric[], $5::timestamptz[]) AS i(t, c, m, q, o)
     ON CONFLICT (transaction_id) DO NOTHING`,
    [rows.map((r) => r.transactionId), rows.map((r) => r.customerId), rows.map((r) => r.meter), rows.map((r) => String(r.quantity)), rows.map((r) => r.timestamp)],
  );
}

export const record: Benchmark = {
  id: "record",
  title: `hub.recordBatch (batches of ${BATCH} with transaction ids, the default manual provider) vs a raw unnest INSERT … ON CONFLICT DO NOTHING`,
  run: (options) =>
    perStore(options, async ({ name, store }) => {
      const batches = options.smoke ? 2 : 40;
      const size = options.smoke ? 20 : BATCH;
      const customers = customerIds(options.smoke ? 10 : 200);
      const hub = await createHub({ catalog: benchCatalog, store: { migrate: false } }, { store });
      try {
        await store.query("INSERT INTO customers (id) SELECT unnest($1::text[])", [customers]);
        // Warm both paths (plans, caches, JIT) on rows that are not measured.
        await hub.recordBatch(batchOf("warm_lib", 0, size, customers));
        await store.transaction((tx) => rawInsert(tx, batchOf("warm_raw", 0, size, customers)));
        let library = 0;
        let raw = 0;
        // Interleaved, so both sides see the same table size and the same machine load.
        for (let b = 0; b < batches; b++) {
          const mine = batchOf("lib", b, size, customers);
          let start = process.hrtime.bigint();
          const results = await hub.recordBatch(mine);
          library += secondsSince(start);
          if (results.some((r) => r.status !== "created")) throw new Error("a new event was not created");
          const theirs = batchOf("raw", b, size, customers);
          start = process.hrtime.bigint();
          await store.transaction((tx) => rawInsert(tx, theirs));
          raw += secondsSince(start);
        }
        // A resent batch: every row a duplicate, answered from the same insert statement.
        const resend = batchOf("lib", 0, size, customers);
        const start = process.hrtime.bigint();
        const again = await hub.recordBatch(resend);
        const duplicateSeconds = secondsSince(start);
        if (again.some((r) => r.status !== "duplicate")) throw new Error("a resent event was not a duplicate");
        const events = batches * size;
        options.log(`${name}: ${events} events each side; library ${library.toFixed(2)} s, raw ${raw.toFixed(2)} s`);
        return [
          figure({
            name: `record (recordBatch of ${size})`,
            store: name,
            value: events / library,
            unit: "events/s",
            baseline: { name: "raw unnest insert", value: events / raw },
            target: { text: "ratio >= 0.5", met: (f) => f.ratio >= 0.5 },
            extra: { duplicateBatch: Math.round(size / duplicateSeconds) },
            notes: "manual provider (the default): no outbox rows; duplicateBatch = events/s when a whole batch is resent",
          }),
        ];
      } finally {
        await hub.close();
      }
    }),
};
