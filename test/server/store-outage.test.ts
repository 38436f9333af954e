import { createServer, connect, type Server } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BillingError } from "../../src/core/errors.ts";
import { createHub } from "../../src/hub.ts";
import { startServer } from "../../src/server/serve.ts";
import type { Store } from "../../src/store/types.ts";
import { SAMPLE_CATALOG, WRITE_KEY } from "../support/api.ts";
import { withStoreFaults } from "../support/faulty-store.ts";
import { openTestStore, type TestStore } from "../support/store.ts";

let store: TestStore;
beforeAll(async () => {
  store = await openTestStore();
});
afterAll(() => store.cleanup());

/** The store with statements matching `stuck` never answering, as over a network that drops packets. */
function hangingStore(base: Store, stuck: (text: string) => boolean): Store {
  return { ...base, query: (text, params) => (stuck(text) ? new Promise(() => {}) : base.query(text, params)) };
}

const config = { catalog: SAMPLE_CATALOG, server: { apiKeys: [{ key: WRITE_KEY, access: "write" as const }] }, forwarder: { enabled: false } };

describe("the service while the store is unavailable", () => {
  it("answers /readyz 503 within its 2 s deadline, with Retry-After, when the database never answers", async () => {
    const hub = await createHub(config, { store: hangingStore(store, (text) => text.includes("to_regclass")) });
    const server = await startServer(hub, { port: 0 });
    try {
      const started = Date.now();
      const response = await fetch(`${server.url}/readyz`);
      expect(Date.now() - started).toBeLessThan(4_000);
      expect(response.status).toBe(503);
      expect(response.headers.get("retry-after")).toBe("2");
      expect(await response.json()).toMatchObject({ ok: false, error: "The store did not answer within 2000 ms" });
    } finally {
      await server.close();
    }
  });

  it("answers a write 503 STORE_UNAVAILABLE with Retry-After, and the same write succeeds once the database is back", async () => {
    const faulty = withStoreFaults(store);
    const hub = await createHub(config, { store: faulty.store });
    await hub.upsertCustomer({ id: "outage_a" });
    const server = await startServer(hub, { port: 0 });
    const write = () =>
      fetch(`${server.url}/v1/usage`, {
        method: "POST",
        headers: { authorization: `Bearer ${WRITE_KEY}`, "content-type": "application/json" },
        body: JSON.stringify({ customerId: "outage_a", meter: "api_calls", quantity: 3, transactionId: "outage_tx" }),
      });
    try {
      faulty.failWhen(() => true);
      const down = await write();
      expect(down.status).toBe(503);
      expect(down.headers.get("retry-after")).toBe("2");
      expect(((await down.json()) as { error: { code: string } }).error.code).toBe("STORE_UNAVAILABLE");
      faulty.heal();
      expect((await write()).status).toBe(201);
      expect((await write()).status).toBe(200);
    } finally {
      await server.close();
    }
  });
});

describe("the HTTP server's own limits", () => {
  it("refuses to start on a port already in use with LISTEN_FAILED naming the port, instead of an uncaught error", async () => {
    const holder: Server = createServer();
    await new Promise<void>((resolve) => holder.listen(0, "127.0.0.1", resolve));
    const port = (holder.address() as { port: number }).port;
    const hub = await createHub(config, { store });
    try {
      const error = await startServer(hub, { port }).then(() => undefined, (e: unknown) => e);
      expect(error).toBeInstanceOf(BillingError);
      expect(error).toMatchObject({ code: "LISTEN_FAILED", field: "server.port" });
      expect((error as Error).message).toBe(`127.0.0.1:${port} is already in use (another billhub or another program); stop it or choose another PORT`);
    } finally {
      await hub.close();
      await new Promise((resolve) => holder.close(resolve));
    }
  });

  it("closes a request whose body trickles in past server.requestTimeoutMs", async () => {
    const hub = await createHub({ ...config, stripe: { secretKey: "sk_test_trickle" }, server: { ...config.server, requestTimeoutMs: 1_000 } }, { store });
    const server = await startServer(hub, { port: 0 });
    try {
      const socket = connect(server.port, "127.0.0.1");
      socket.on("error", () => {});
      let received = "";
      socket.on("data", (chunk) => (received += chunk.toString()));
      const closed = new Promise<number>((resolve) => socket.on("close", () => resolve(Date.now())));
      await new Promise((resolve) => socket.once("connect", resolve));
      const started = Date.now();
      socket.write(`POST /webhooks/stripe HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"id":`);
      const closedAt = await closed;
      // The deadline is checked every second: closed within a few seconds, not Node's 5 minutes.
      expect(closedAt - started).toBeLessThan(10_000);
      expect(received).toMatch(/^HTTP\/1\.1 408/);
    } finally {
      await server.close();
    }
  });
});
