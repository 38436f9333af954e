import { randomBytes } from "node:crypto";
import { Agent, request } from "node:http";
import pg from "pg";

export type StoreKind = "pglite" | "postgres";

/** A store a benchmark runs on: PGlite in a directory of its own, or a fresh PostgreSQL schema. */
export interface BenchStore {
  name: StoreKind;
  /** The hub's `store` config for it. */
  config: { url?: string; dataDir?: string; schema: string };
}

/** PGlite always; PostgreSQL too when a URL is given. */
export function storeKinds(databaseUrl: string | undefined): StoreKind[] {
  return databaseUrl ? ["pglite", "postgres"] : ["pglite"];
}

/** A store nothing has used yet: PGlite in `dataDir`, or a new schema on PostgreSQL (drop it with dropBenchSchema). */
export function freshStore(kind: StoreKind, databaseUrl: string | undefined, dataDir: string): BenchStore {
  if (kind === "pglite") return { name: kind, config: { dataDir, schema: "billhub" } };
  if (!databaseUrl) throw new Error("a PostgreSQL store needs DATABASE_URL");
  return { name: kind, config: { url: databaseUrl, schema: `bench_${randomBytes(5).toString("hex")}` } };
}

/** Runs `sql` once on PostgreSQL (outside any hub), e.g. to count rows or drop a schema. */
export async function onPostgres<T>(url: string, sql: string, params: unknown[] = []): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(sql, params)).rows as T[];
  } finally {
    await client.end();
  }
}

/** Drops a benchmark's PostgreSQL schema (nothing to do for PGlite, whose directory goes with the run). */
export async function dropBenchSchema(store: BenchStore): Promise<void> {
  if (store.config.url) await onPostgres(store.config.url, `DROP SCHEMA IF EXISTS ${store.config.schema} CASCADE`);
}

export interface KeepAliveClient {
  send(method: "POST" | "PUT", path: string, body: string, headers?: Record<string, string>): Promise<{ status: number; body: string }>;
  close(): void;
}

/** An HTTP/1.1 client on one origin, with at most `sockets` kept-alive connections. */
export function keepAliveClient(origin: string, sockets: number, defaultHeaders: Record<string, string> = {}): KeepAliveClient {
  const url = new URL(origin);
  const agent = new Agent({ keepAlive: true, maxSockets: sockets });
  return {
    send(method, path, body, headers = {}) {
      const attempt = (retried: boolean): Promise<{ status: number; body: string }> => new Promise((resolve, reject) => {
        const req = request(
          { host: url.hostname, port: url.port, path, method, agent, headers: { ...defaultHeaders, ...headers, "content-length": Buffer.byteLength(body) } },
          (res) => {
            const chunks: Buffer[] = [];
            res.on("data", (chunk: Buffer) => chunks.push(chunk));
            res.on("end", () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
            res.on("error", reject);
          },
        );
        // A kept-alive socket the server closed just as it was reused never carried the request: send it again, once (as Node's documentation advises).
        req.on("error", (error: NodeJS.ErrnoException) => (!retried && req.reusedSocket && error.code === "ECONNRESET" ? attempt(true).then(resolve, reject) : reject(error)));
        req.end(body);
      });
      return attempt(false);
    },
    close: () => agent.destroy(),
  };
}

/** Runs `work(item)` for every item with at most `concurrency` at once; rejects on the first failure. */
export async function pool<T>(items: readonly T[], concurrency: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await work(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
}

/** Seconds taken by `fn`. */
export async function timed(fn: () => Promise<void>): Promise<number> {
  const started = performance.now();
  await fn();
  return (performance.now() - started) / 1000;
}
