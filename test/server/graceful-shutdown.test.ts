import { connect } from "node:net";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { createHub } from "../../src/hub.ts";
import { startServer } from "../../src/server/serve.ts";
import { SAMPLE_CATALOG, WRITE_KEY } from "../support/api.ts";
import { openTestStore, type TestStore } from "../support/store.ts";

let store: TestStore;
beforeAll(async () => {
  store = await openTestStore();
});
afterAll(() => store.cleanup());

/** Resolves with the connection error's code, or "connected". */
function tryConnect(port: number): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect({ port, host: "127.0.0.1" });
    socket.once("connect", () => {
      socket.destroy();
      resolve("connected");
    });
    socket.once("error", (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
  });
}

function gate() {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { open, opened };
}

describe("graceful shutdown", () => {
  it("stops accepting connections, lets the request in flight finish and commit, then closes", async () => {
    const entered = gate();
    const release = gate();
    const hub = await createHub(
      { catalog: SAMPLE_CATALOG, server: { apiKeys: [{ key: WRITE_KEY, access: "write" }] } },
      {
        store,
        hooks: {
          // Holds the consume inside its transaction until the test lets it go.
          beforeConsume: async () => {
            entered.open();
            await release.opened;
          },
        },
      },
    );
    await hub.upsertCustomer({ id: "inflight_co" });
    const server = await startServer(hub, { port: 0, host: "127.0.0.1" });

    const inFlight = fetch(`${server.url}/v1/entitlements/consume`, {
      method: "POST",
      headers: { authorization: `Bearer ${WRITE_KEY}`, "content-type": "application/json" },
      body: JSON.stringify({ customerId: "inflight_co", feature: "api", amount: 3, transactionId: "inflight_1" }),
    });
    await entered.opened;

    let closed = false;
    const closing = server.close().then(() => {
      closed = true;
    });
    await vi.waitFor(async () => expect(await tryConnect(server.port)).toBe("ECONNREFUSED"), { timeout: 30_000 });
    expect(closed).toBe(false);

    release.open();
    const response = await inFlight;
    expect(response.status).toBe(201);
    // Its connection ends with it, rather than idling until the keep-alive timeout.
    expect(response.headers.get("connection")).toBe("close");
    expect(await response.json()).toMatchObject({ status: "created", used: 3 });
    await closing;
    expect(closed).toBe(true);
    const { rows } = await store.query("SELECT quantity FROM usage_events WHERE transaction_id = 'inflight_1'");
    expect(rows).toEqual([{ quantity: "3" }]);
  });

  it("closes at once when nothing is in flight, even with idle keep-alive connections, and closing twice is one close", async () => {
    const hub = await createHub({ catalog: SAMPLE_CATALOG }, { store });
    const server = await startServer(hub, { port: 0, host: "127.0.0.1" });
    expect((await fetch(`${server.url}/healthz`, { headers: { connection: "keep-alive" } })).status).toBe(200);
    await Promise.all([server.close(), server.close()]);
    expect(await tryConnect(server.port)).toBe("ECONNREFUSED");
  });
});
