import { fork } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { migrate } from "../src/store/migrate.ts";
import { openPgStore } from "../src/store/pg-driver.ts";
import { openPgliteStore } from "../src/store/pglite-driver.ts";
import type { Store } from "../src/store/types.ts";
import type { MemoryReadings } from "./forwarder-memory-process.ts";
import { dropBenchSchema, freshStore } from "./io-support.ts";
import { EVENT_NAME, SECRET_KEY, startStandIn, type StandIn } from "./support/stand-in-process.ts";
import type { Benchmark, BenchOptions, Figure } from "./types.ts";

const FORWARDER_PROCESS = fileURLToPath(new URL("./forwarder-memory-process.ts", import.meta.url));
const BACKLOG = 1_000_000;
const CUSTOMERS = 200;
const SEED_CHUNK = 100_000;
const TARGET_MB = 300;
/** The longest the drain may take (the whole figure should stay within about 3 minutes); a slower forwarder is measured on what it drained by then. */
const DRAIN_BUDGET_MS = 100_000;
const MB = 2 ** 20;

/**
 * Writes `count` pending Stripe outbox rows and their ledger events straight into the store
 * (generate_series, not hub.record: seeding is not what is measured), for 200 customers with
 * Stripe ids, transaction ids in random order, timestamps within the last 20 minutes.
 */
async function seedBacklog(store: Store, prefix: string, count: number): Promise<void> {
  await migrate(store);
  await store.query(
    `INSERT INTO customers (id, provider_ids) SELECT 'cus_fw_' || i, jsonb_build_object('stripe', 'cus_stripe_' || i) FROM generate_series(0, $1::int - 1) AS i`,
    [CUSTOMERS],
  );
  for (let from = 0; from < count; from += SEED_CHUNK) {
    await store.query(
      `WITH events AS (
         INSERT INTO usage_events (transaction_id, customer_id, meter, quantity, occurred_at, timestamp_given, kind, properties)
         SELECT $1 || md5(n::text), 'cus_fw_' || (n % $4::int), 'api_calls', 1 + n % 7, now() - n * interval '1 millisecond', true, 'usage', '{}'::jsonb
         FROM generate_series($2::int, $3::int - 1) AS n
         RETURNING transaction_id, customer_id, occurred_at
       ),
       ids AS (INSERT INTO usage_transaction_ids (transaction_id, customer_id, occurred_at) SELECT transaction_id, customer_id, occurred_at FROM events)
       INSERT INTO usage_outbox (transaction_id, customer_id, provider, role) SELECT transaction_id, customer_id, 'stripe', 'primary' FROM events`,
      [prefix, from, Math.min(count, from + SEED_CHUNK), CUSTOMERS],
    );
  }
  await store.query("ANALYZE usage_events");
  await store.query("ANALYZE usage_outbox");
}

/** Runs the forwarder in a child process on the seeded store; its memory readings. */
function drainInChild(input: object): Promise<MemoryReadings> {
  return new Promise((resolve, reject) => {
    const child = fork(FORWARDER_PROCESS, [JSON.stringify(input)], { execArgv: ["--import", "tsx", "--expose-gc"], stdio: ["ignore", "inherit", "inherit", "ipc"] });
    let readings: MemoryReadings | undefined;
    child.on("message", (message: MemoryReadings) => {
      readings = message;
    });
    child.once("error", reject);
    child.once("exit", (code) => (readings && code === 0 ? resolve(readings) : reject(new Error(`the forwarder process exited (${code}) ${readings ? "" : "without readings"}`))));
  });
}

/**
 * The forwarder's memory while it drains a 1,000,000-event v2 stream backlog (v1 at Stripe's
 * 1,000 calls/s would take 17 minutes) to the stand-in at 0 ms with the rate limits on. The
 * forwarder runs in a child process of its own, so its RSS is not the benchmark runner's; on
 * PostgreSQL that is the forwarder alone, on PGlite the embedded database is in it too.
 */
export async function forwarderMemory(input: { standIn: StandIn; databaseUrl: string | undefined; dataDir: string; log: BenchOptions["log"] }): Promise<Figure> {
  const kind = input.databaseUrl ? "postgres" : "pglite";
  const bench = freshStore(kind, input.databaseUrl, input.dataDir);
  const prefix = `fwmem${randomBytes(4).toString("hex")}-`;
  try {
    const seedStarted = performance.now();
    const store = bench.config.url ? await openPgStore({ connectionString: bench.config.url, schema: bench.config.schema, maxConnections: 2, statementTimeoutMs: 600_000, queryTimeoutMs: 600_000 }) : await openPgliteStore({ dataDir: bench.config.dataDir!, schema: bench.config.schema });
    try {
      await seedBacklog(store, prefix, BACKLOG);
    } finally {
      await store.close();
    }
    const seedSeconds = (performance.now() - seedStarted) / 1000;
    input.log(`${kind} memory: seeded ${BACKLOG.toLocaleString("en-US")} outbox rows in ${seedSeconds.toFixed(1)} s`);

    await input.standIn.configure({ latencyMs: 0, rateLimits: true });
    await input.standIn.reset();
    const readings = await drainInChild({ store: bench.config, apiBase: input.standIn.url, secretKey: SECRET_KEY, eventName: EVENT_NAME, count: BACKLOG, budgetMs: DRAIN_BUDGET_MS });
    const stats = await input.standIn.stats(prefix);
    if (stats.duplicates !== 0 || stats.arrivals !== stats.held || stats.held < readings.delivered) {
      throw new Error(`memory drain: the stand-in holds ${stats.held} events (outbox: ${readings.delivered} delivered) after ${stats.arrivals} arrivals, ${stats.duplicates} duplicate identifiers`);
    }
    const peak = Math.max(readings.peakRss, readings.maxRss);
    input.log(`${kind} memory: drained ${readings.delivered.toLocaleString("en-US")} events in ${readings.seconds.toFixed(1)} s; RSS ${(readings.before.rss / MB).toFixed(0)} MB before, peak ${(peak / MB).toFixed(0)} MB; heap peak ${(readings.peakHeapUsed / MB).toFixed(0)} MB`);
    return {
      name: "forwarder memory (1,000,000-event v2 stream backlog, peak RSS of the forwarder process)",
      store: kind,
      value: Math.round(peak / MB),
      unit: "MB",
      baseline: { name: "RSS of the same process before the drain", value: Math.round(readings.before.rss / MB) },
      target: `< ${TARGET_MB} MB RSS`,
      met: peak / MB < TARGET_MB,
      extra: {
        rssGrowthMB: Math.round((peak - readings.before.rss) / MB),
        heapUsedBeforeMB: Math.round(readings.before.heapUsed / MB),
        heapUsedPeakMB: Math.round(readings.peakHeapUsed / MB),
        externalPeakMB: Math.round(readings.peakExternal / MB),
        delivered: readings.delivered,
        eventsPerSecond: Math.round(readings.delivered / readings.seconds),
        "429s": stats.rateLimited.meter_event_stream,
        seedSeconds: Number(seedSeconds.toFixed(1)),
      },
      notes: "forwarder (default settings) in a child process, stopped after 100 s if the backlog is not drained by then (delivered says how far it got); peak = the kernel's RSS high-water mark of that process (VmHWM), at least the highest 100 ms sample; stand-in at 0 ms with Stripe's live limits",
    };
  } finally {
    await dropBenchSchema(bench);
  }
}

export const forwarderMemoryBenchmark: Benchmark = {
  id: "forwarder-memory",
  title: "the forwarder's peak RSS (its own process) while draining a 1,000,000-event v2 stream backlog to a Stripe stand-in (full run only)",
  async run(options) {
    // A million rows take minutes to seed and drain: nothing a smoke run should carry.
    if (options.smoke) return [];
    const root = mkdtempSync(join(tmpdir(), "billhub-bench-memory-"));
    const standIn = await startStandIn();
    try {
      return [await forwarderMemory({ standIn, databaseUrl: options.databaseUrl, dataDir: join(root, "memory"), log: options.log })];
    } finally {
      await standIn.close();
      rmSync(root, { recursive: true, force: true });
    }
  },
};
