import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { createHub } from "../src/hub.ts";
import { openPgliteStore } from "../src/store/pglite-driver.ts";
import { dropBenchSchema, freshStore, keepAliveClient, onPostgres, pool, storeKinds, timed, type BenchStore } from "./io-support.ts";
import { startServeProcess } from "./serve-process.ts";
import type { Benchmark, BenchOptions, Figure } from "./types.ts";

const CATALOG = fileURLToPath(new URL("../fixtures/catalog.json", import.meta.url));
const API_KEY = "bench-ingest-key-0123456789";
const CONCURRENCY = 8;
const TARGET_EVENTS_PER_S = 20_000;

interface Sizes {
  batch: number;
  requests: number;
  customers: number;
}

type UsageEvent = { transactionId: string; customerId: string; meter: string; quantity: number };

/** `requests` batches of `batch` usage events, spread over the customers, with ids unique to this run. */
function makeBatches(sizes: Sizes, customers: string[], prefix: string): UsageEvent[][] {
  return Array.from({ length: sizes.requests }, (_, r) =>
    Array.from({ length: sizes.batch }, (_, i) => {
      const n = r * sizes.batch + i;
      return { transactionId: `${prefix}-${n}`, customerId: customers[n % customers.length]!, meter: "api_calls", quantity: 1 };
    }),
  );
}

/** Events in the ledger of a store the server has let go of. */
async function ledgerCount(store: BenchStore): Promise<number> {
  if (store.config.url) {
    const [row] = await onPostgres<{ n: string }>(store.config.url, `SELECT count(*) AS n FROM ${store.config.schema}.usage_events`);
    return Number(row!.n);
  }
  const opened = await openPgliteStore({ dataDir: store.config.dataDir!, schema: store.config.schema });
  try {
    const { rows } = await opened.query<{ n: string }>("SELECT count(*) AS n FROM usage_events");
    return Number(rows[0]!.n);
  } finally {
    await opened.close();
  }
}

/** POSTs every batch to `billhub serve` (a child process) at concurrency 8; events/s. */
async function overHttp(store: BenchStore, sizes: Sizes, log: BenchOptions["log"]): Promise<number> {
  const env: Record<string, string> = { BILLHUB_API_KEYS: API_KEY, BILLHUB_CATALOG: CATALOG, BILLHUB_FORWARDER_ENABLED: "false", BILLHUB_SCHEMA: store.config.schema };
  if (store.config.url) env.DATABASE_URL = store.config.url;
  else env.BILLHUB_DATA_DIR = store.config.dataDir!;
  const server = await startServeProcess(env);
  const client = keepAliveClient(server.url, CONCURRENCY, { authorization: `Bearer ${API_KEY}`, "content-type": "application/json" });
  let seconds = 0;
  let sent = 0;
  try {
    const customers = Array.from({ length: sizes.customers }, (_, i) => `cus_http_${i}`);
    for (const id of customers) {
      const answer = await client.send("PUT", `/v1/customers/${id}`, "{}");
      if (answer.status !== 201) throw new Error(`PUT /v1/customers/${id} answered ${answer.status}: ${answer.body.slice(0, 300)}`);
    }
    const send = async (body: string) => {
      const answer = await client.send("POST", "/v1/usage/batch", body);
      if (answer.status < 200 || answer.status >= 300) throw new Error(`POST /v1/usage/batch answered ${answer.status}: ${answer.body.slice(0, 300)}`);
    };
    const warmup = makeBatches({ ...sizes, requests: CONCURRENCY }, customers, `warm-${randomBytes(4).toString("hex")}`).map((events) => JSON.stringify({ events }));
    await pool(warmup, CONCURRENCY, send);
    const bodies = makeBatches(sizes, customers, `http-${randomBytes(4).toString("hex")}`).map((events) => JSON.stringify({ events }));
    seconds = await timed(() => pool(bodies, CONCURRENCY, send));
    sent = (warmup.length + bodies.length) * sizes.batch;
  } finally {
    client.close();
    await server.stop();
  }
  const held = await ledgerCount(store);
  if (held !== sent) throw new Error(`the ledger holds ${held} events, ${sent} were sent`);
  log(`${store.name}: HTTP ${sizes.requests}×${sizes.batch} events in ${seconds.toFixed(2)} s, ledger holds all ${held}`);
  return (sizes.requests * sizes.batch) / seconds;
}

/** The library's own batch record (hub.recordBatch in this process), same batches, same concurrency; events/s. */
async function inLibrary(store: BenchStore, sizes: Sizes, log: BenchOptions["log"]): Promise<number> {
  const hub = await createHub({ catalog: CATALOG, store: store.config });
  try {
    const customers = Array.from({ length: sizes.customers }, (_, i) => `cus_lib_${i}`);
    for (const id of customers) await hub.customers.upsert({ id });
    const record = async (events: UsageEvent[]) => {
      const results = await hub.recordBatch(events);
      if (results.some((result) => result.status !== "created")) throw new Error("library batch: an event was not created");
    };
    await pool(makeBatches({ ...sizes, requests: CONCURRENCY }, customers, `warm-${randomBytes(4).toString("hex")}`), CONCURRENCY, record);
    const batches = makeBatches(sizes, customers, `lib-${randomBytes(4).toString("hex")}`);
    const seconds = await timed(() => pool(batches, CONCURRENCY, record));
    log(`${store.name}: library ${sizes.requests}×${sizes.batch} events in ${seconds.toFixed(2)} s`);
    return (sizes.requests * sizes.batch) / seconds;
  } finally {
    await hub.close();
  }
}

export const httpIngest: Benchmark = {
  id: "http-ingest",
  title: `HTTP batch ingest through billhub serve (child process, keep-alive, concurrency ${CONCURRENCY}) vs hub.recordBatch in-process`,
  async run(options) {
    const sizes: Sizes = options.smoke ? { batch: 100, requests: 8, customers: 10 } : { batch: 500, requests: 240, customers: 100 };
    const root = mkdtempSync(join(tmpdir(), "billhub-bench-ingest-"));
    const figures: Figure[] = [];
    try {
      for (const kind of storeKinds(options.databaseUrl)) {
        const httpStore = freshStore(kind, options.databaseUrl, join(root, `${kind}-http`));
        const libraryStore = freshStore(kind, options.databaseUrl, join(root, `${kind}-library`));
        try {
          const http = await overHttp(httpStore, sizes, options.log);
          const library = await inLibrary(libraryStore, sizes, options.log);
          figures.push({
            name: `http-ingest (POST /v1/usage/batch, ${sizes.batch}/request, concurrency ${CONCURRENCY})`,
            store: kind,
            value: http,
            unit: "events/s",
            baseline: { name: `hub.recordBatch in-process, ${sizes.batch}/batch, concurrency ${CONCURRENCY}`, value: library },
            ratio: http / library,
            ...(kind === "postgres" ? { target: `>= ${TARGET_EVENTS_PER_S.toLocaleString("en-US")} events/s`, met: http >= TARGET_EVENTS_PER_S } : {}),
            extra: { events: sizes.batch * sizes.requests },
            notes: "server in its own process; the ledger count is checked after the run",
          });
        } finally {
          await dropBenchSchema(httpStore);
          await dropBenchSchema(libraryStore);
        }
      }
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
    return figures;
  },
};
