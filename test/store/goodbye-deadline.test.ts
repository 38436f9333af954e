import { createServer, Socket, type Server } from "node:net";
import { afterAll, beforeAll, expect, it } from "vitest";
import { openPgStore } from "../../src/store/pg-driver.ts";
import type { Store } from "../../src/store/types.ts";
import { DATABASE_URL, describeOnPostgres, openTestStore, uniqueSchema, type TestStore } from "../support/store.ts";
import { startServeProcess } from "../support/serve-process.ts";

/**
 * A proxy to PostgreSQL that carries the conversation but never closes a client's connection: the
 * client's goodbye (Terminate, then FIN) reaches no one, as on a network that went quiet right
 * after the last reply.
 */
async function quietGoodbyeProxy(target: URL): Promise<{ port: number; goodbyes: () => number; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  let goodbyes = 0;
  const server: Server = createServer({ allowHalfOpen: true }, (client) => {
    sockets.add(client);
    const upstream = new Socket();
    sockets.add(upstream);
    client.on("error", () => {});
    upstream.on("error", () => {});
    client.on("data", (chunk) => {
      // 'X' is the Terminate message: swallowed, as is the FIN after it (allowHalfOpen).
      if (chunk[0] === 0x58 && chunk.length === 5) goodbyes += 1;
      else upstream.write(chunk);
    });
    upstream.on("data", (chunk) => client.write(chunk));
    upstream.connect(Number(target.port || 5432), target.hostname);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    port: (server.address() as { port: number }).port,
    goodbyes: () => goodbyes,
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

describeOnPostgres("a maintenance statement's connection", () => {
  let proxy: Awaited<ReturnType<typeof quietGoodbyeProxy>>;
  let store: Store;
  const schema = uniqueSchema("goodbye");

  beforeAll(async () => {
    proxy = await quietGoodbyeProxy(new URL(DATABASE_URL!));
    const url = new URL(DATABASE_URL!);
    url.hostname = "127.0.0.1";
    url.port = String(proxy.port);
    store = await openPgStore({ connectionString: url.toString(), schema });
  });
  afterAll(async () => {
    await proxy.close();
    await store.close().catch(() => {});
  });

  it("is let go within seconds when the server never closes it after the statement answered", async () => {
    const started = Date.now();
    await store.maintain("SELECT 1");
    expect(proxy.goodbyes()).toBe(1);
    // Without a deadline on the goodbye this waits for a close that never comes (the test times out).
    expect(Date.now() - started).toBeLessThan(20_000);
  }, 30_000);
});

describeOnPostgres("billhub serve's connections at shutdown", () => {
  let proxy: Awaited<ReturnType<typeof quietGoodbyeProxy>>;
  // The schema the server runs on, migrated here and dropped after.
  let schemaOwner: TestStore;

  beforeAll(async () => {
    proxy = await quietGoodbyeProxy(new URL(DATABASE_URL!));
    schemaOwner = await openTestStore();
  });
  afterAll(async () => {
    await proxy.close();
    await schemaOwner.cleanup();
  });

  it("are let go within seconds of SIGTERM when the server never closes them, and the process exits 0", async () => {
    const url = new URL(DATABASE_URL!);
    url.hostname = "127.0.0.1";
    url.port = String(proxy.port);
    const key = "sk_goodbye_shutdown_test";
    const server = await startServeProcess({ DATABASE_URL: url.toString(), BILLHUB_SCHEMA: schemaOwner.schema, BILLHUB_API_KEYS: `${key}:write` });
    try {
      // Requests that need the store, so the pool holds connections when the signal comes.
      const answers = await Promise.all(
        ["acme", "globex", "initech"].map((id) =>
          fetch(`${server.url}/v1/customers/${id}`, { method: "PUT", headers: { authorization: `Bearer ${key}`, "content-type": "application/json" }, body: "{}" }),
        ),
      );
      expect(answers.map((answer) => answer.status)).toEqual([201, 201, 201]);
      const started = Date.now();
      const code = await Promise.race([server.stop(), new Promise<"still running">((resolve) => setTimeout(() => resolve("still running"), 20_000))]);
      expect(code).toBe(0);
      expect(proxy.goodbyes()).toBeGreaterThan(0);
      // Without a deadline on the pool's goodbyes the process waits for closes that never come.
      expect(Date.now() - started).toBeLessThan(15_000);
    } finally {
      await server.kill();
    }
  }, 90_000);
});
