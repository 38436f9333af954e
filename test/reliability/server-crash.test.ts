import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHub, type Hub } from "../../src/hub.ts";
import type { UsageEventInput } from "../../src/hub/ledger.ts";
import { seededRandom } from "../support/msw/faults.ts";
import { startServeProcess, type ServeProcess } from "../support/serve-process.ts";
import { startStripeStandIn, type StripeServer } from "../support/stand-ins/stripe-server.ts";
import { openProcessStore, type ProcessStore } from "../support/process-store.ts";
import { driverName } from "../support/store.ts";
import { waitFor } from "../support/wait.ts";

const CATALOG = join(import.meta.dirname, "../../fixtures/catalog.json");
const KEY = "reliability-crash-key-0123456789";
const CUSTOMERS = ["sc_a", "sc_b", "sc_c", "sc_d"];
const BATCHES = 160;
const BATCH_SIZE = 25;
const KILLS = 4;
/** Requests a client keeps in flight at once. */
const SENDERS = 4;

/** The config file the server processes read; the Stripe key and the stand-in's URL come from the environment. */
const FILE_CONFIG = {
  catalog: CATALOG,
  provider: { default: "stripe" },
  // The stand-in takes requests as fast as a live account does; the test key alone would pace them at the sandbox's 25/s.
  stripe: { maxRequestsPerSecond: 1000, meters: { api_calls: { eventName: "api_call" } }, invoiceItems: { enabled: true } },
  forwarder: { leaseMs: 1000, pollIntervalMs: 50, backoffBaseMs: 10, backoffCapMs: 200 },
} as const;

/**
 * The client of a real application: it sends batches, counts a batch as recorded only when the
 * server answered 200, and resends every other batch (same ids, same content) until it is.
 */
function createClient(batches: UsageEventInput[][]) {
  const unacknowledged = new Set(batches.keys());
  const attempts = new Map<number, number>();
  let duplicateAnswers = 0;
  let resentBatches = 0;
  return {
    done: () => unacknowledged.size === 0,
    acknowledged: () => batches.length - unacknowledged.size,
    stats: () => ({ duplicateAnswers, resentBatches }),
    /** Sends until every batch is acknowledged or the server stops answering; how many requests were cut off. */
    async sendUntilDown(url: string): Promise<number> {
      let cutOff = 0;
      let down = false;
      const queue = [...unacknowledged];
      const sender = async () => {
        while (!down) {
          const index = queue.shift();
          if (index === undefined) return;
          const tries = (attempts.get(index) ?? 0) + 1;
          attempts.set(index, tries);
          if (tries > 1) resentBatches += 1;
          let answer: { status: number; body: { results?: Array<{ status: string }> } };
          try {
            const response = await fetch(`${url}/v1/usage/batch`, {
              method: "POST",
              headers: { authorization: `Bearer ${KEY}`, "content-type": "application/json" },
              body: JSON.stringify({ events: batches[index] }),
            });
            answer = { status: response.status, body: (await response.json()) as { results?: Array<{ status: string }> } };
          } catch {
            // No answer: the server is gone. The batch may or may not be stored; it is resent later.
            cutOff += 1;
            down = true;
            return;
          }
          if (answer.status !== 200) throw new Error(`batch ${index}: HTTP ${answer.status}: ${JSON.stringify(answer.body)}`);
          duplicateAnswers += answer.body.results!.filter((result) => result.status === "duplicate").length;
          unacknowledged.delete(index);
        }
      };
      await Promise.all(Array.from({ length: SENDERS }, sender));
      return cutOff;
    },
  };
}

describe(`a server killed with SIGKILL mid-ingest, ${KILLS} times (${driverName})`, () => {
  let dir: string;
  let stripe: StripeServer;
  let store: ProcessStore;
  let env: Record<string, string>;
  let server: ServeProcess | undefined;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "billhub-server-crash-"));
    stripe = await startStripeStandIn();
    const configFile = join(dir, "billhub.json");
    await writeFile(configFile, JSON.stringify(FILE_CONFIG));
    env = { BILLHUB_CONFIG: configFile, BILLHUB_API_KEYS: `${KEY}:write`, STRIPE_SECRET_KEY: "sk_test_crash", STRIPE_API_BASE: stripe.url };
    store = await openProcessStore(dir);
    env = { ...env, ...store.env };
    await store.withStore(async (s) => {
      const seed: Hub = await createHub({ ...FILE_CONFIG, stripe: { ...FILE_CONFIG.stripe, secretKey: "sk_test_crash" } }, { store: s });
      for (const id of CUSTOMERS) await seed.upsertCustomer({ id, providerIds: { stripe: `cus_${id}` } });
      await seed.close();
    });
  }, 60_000);
  afterAll(async () => {
    await server?.kill();
    await stripe?.close();
    await store?.cleanup();
    await rm(dir, { recursive: true, force: true });
  });

  it("keeps every acknowledged event exactly once, and Stripe holds each transactionId once", async () => {
    const batches = Array.from({ length: BATCHES }, (_, b) =>
      Array.from({ length: BATCH_SIZE }, (_, i): UsageEventInput => {
        const n = b * BATCH_SIZE + i;
        return { customerId: CUSTOMERS[n % CUSTOMERS.length]!, meter: "api_calls", quantity: (n % 9) + 1, transactionId: `sc_${n}` };
      }),
    );
    const client = createClient(batches);
    const draw = seededRandom(44);
    let cutOff = 0;
    for (let kill = 1; kill <= KILLS; kill += 1) {
      server = await startServeProcess(env);
      const sending = client.sendUntilDown(server.url);
      // Let it ingest (and forward) for a while, then pull the plug wherever it is.
      await new Promise((resolve) => setTimeout(resolve, 150 + Math.floor(draw() * 500)));
      await server.kill();
      cutOff += await sending;
    }
    expect(client.done()).toBe(false);

    server = await startServeProcess(env);
    await client.sendUntilDown(server.url);
    expect(client.done()).toBe(true);
    // The last server forwards everything, the rows its killed predecessors held included (after their leases).
    const expected = batches.flat();
    await waitFor("every acknowledged event at Stripe", () => stripe.state.events().length >= expected.length, { timeoutMs: 180_000, intervalMs: 100 });
    expect(await server.stop()).toBe(0);
    server = undefined;

    const ledger = await store.withStore((s) => s.query<{ transaction_id: string; quantity: string; status: string | null }>(
      "SELECT e.transaction_id, e.quantity::text AS quantity, o.status FROM usage_events e LEFT JOIN usage_outbox o USING (transaction_id)",
    ));
    // Sorted here: the database's collation may order ids differently from JavaScript.
    const rows = [...ledger.rows].sort((a, b) => (a.transaction_id < b.transaction_id ? -1 : 1));
    const byId = [...expected].sort((a, b) => (a.transactionId < b.transactionId ? -1 : a.transactionId > b.transactionId ? 1 : 0));
    expect(rows.map((r) => [r.transaction_id, Number(r.quantity)])).toEqual(byId.map((e) => [e.transactionId, e.quantity]));
    expect(rows.filter((r) => r.status !== "delivered")).toEqual([]);

    const held = stripe.state.events();
    expect(held.map((e) => e.identifier).sort()).toEqual(byId.map((e) => e.transactionId));
    const resent = stripe.state.duplicates();
    const { duplicateAnswers, resentBatches } = client.stats();
    expect(cutOff).toBeGreaterThan(0);

    const fmt = (n: number) => n.toLocaleString("en-US");
    console.info(
      `server crash (${driverName}): ${KILLS} SIGKILLs mid-ingest, ${fmt(cutOff)} requests cut off, ${fmt(resentBatches)} batches resent ` +
        `(${fmt(duplicateAnswers)} events answered "duplicate": stored before the kill, ack lost); ` +
        `${fmt(expected.length)} events acknowledged, ${fmt(rows.length)} in the ledger, each once; ` +
        `Stripe holds ${fmt(held.length)} identifiers, each once (${fmt(resent.length)} resent by a restarted forwarder and recognized as already there)`,
    );
  }, 300_000); // five CLI processes start, on a possibly busy machine
});
