import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { createHub } from "../../src/hub.ts";
import { billhub } from "../support/cli.ts";
import { outboxState } from "../support/forwarder.ts";
import { createStripeStandIn } from "../support/msw/stripe.ts";
import { serveFetch, type ServedFetch } from "../support/stand-ins/serve-fetch.ts";
import { DATABASE_URL, describeOnPostgres, openTestStore, type TestStore } from "../support/store.ts";
import { waitFor } from "../support/wait.ts";

const CATALOG = join(import.meta.dirname, "../../fixtures/catalog.json");
const EVENTS = 3_000;
const PROCESSES = 3;
const CUSTOMERS = ["fp_a", "fp_b", "fp_c", "fp_d"];
const FILE_CONFIG = {
  catalog: CATALOG,
  provider: { default: "stripe" },
  // Requests wait at the gate below until all processes hold a claim: no client timeout may end that wait.
  // The stand-in takes requests as fast as a live account does; the test key alone would pace them at the sandbox's 25/s.
  stripe: { timeoutMs: 300_000, maxRequestsPerSecond: 1000, meters: { api_calls: { eventName: "api_call" } }, invoiceItems: { enabled: true } },
  forwarder: { batchSize: 100, concurrency: 2 },
} as const;

describeOnPostgres(`${PROCESSES} forwarder processes draining one outbox at once`, () => {
  let dir: string;
  let store: TestStore;
  let served: ServedFetch;
  let env: Record<string, string>;
  const stripe = createStripeStandIn();
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "billhub-forwarders-"));
    store = await openTestStore();
    // Stripe answers nothing until every process holds a claim, so all of them really drain at once.
    served = await serveFetch(async (request) => {
      await released;
      return stripe.fetch(request);
    });
    const configFile = join(dir, "billhub.json");
    await writeFile(configFile, JSON.stringify(FILE_CONFIG));
    env = { BILLHUB_CONFIG: configFile, DATABASE_URL: DATABASE_URL!, BILLHUB_SCHEMA: store.schema, STRIPE_SECRET_KEY: "sk_test_processes", STRIPE_API_BASE: served.url };
    const hub = await createHub({ ...FILE_CONFIG, stripe: { ...FILE_CONFIG.stripe, secretKey: "sk_test_processes" } }, { store });
    for (const id of CUSTOMERS) await hub.upsertCustomer({ id, providerIds: { stripe: `cus_${id}` } });
    for (let start = 0; start < EVENTS; start += 1000) {
      await hub.recordBatch(Array.from({ length: 1000 }, (_, i) => ({ customerId: CUSTOMERS[(start + i) % CUSTOMERS.length]!, meter: "api_calls", quantity: ((start + i) % 7) + 1, transactionId: `fp_${start + i}` })));
    }
    await hub.close();
  }, 60_000);
  afterAll(async () => {
    release();
    await served?.close();
    await store?.cleanup();
    await rm(dir, { recursive: true, force: true });
  });

  it("sends no row twice and delivers every row, each claimed exactly once", async () => {
    const drains = Array.from({ length: PROCESSES }, () => billhub(["outbox", "drain"], env));
    await waitFor(`${PROCESSES} forwarder processes to hold claims at once`, async () => {
      const { rows } = await store.query<{ n: number }>("SELECT count(DISTINCT claimed_by)::int AS n FROM usage_outbox WHERE status = 'pending' AND claim_id IS NOT NULL");
      return rows[0]!.n === PROCESSES;
    }, { timeoutMs: 120_000 });
    release();
    const results = await Promise.all(drains);
    expect(results.map((r) => r.code)).toEqual(Array.from({ length: PROCESSES }, () => 0));

    const delivered = results.map((r) => Number(/Forwarded \d+ rows: (\d+) delivered/.exec(r.stdout)?.[1]));
    expect(delivered.every((n) => n > 0)).toBe(true);
    expect(delivered.reduce((a, b) => a + b, 0)).toBe(EVENTS);

    const rows = await outboxState(store);
    expect(rows).toHaveLength(EVENTS);
    expect(rows.filter((r) => r.status !== "delivered" || r.attempts !== 1 || r.outcome !== "delivered")).toEqual([]);
    const arrivals = stripe.arrivals();
    expect(arrivals.size).toBe(EVENTS);
    expect(stripe.duplicates()).toEqual([]);
    expect(stripe.events().map((e) => e.identifier).sort()).toEqual(rows.map((r) => r.transaction_id).sort());

    console.info(
      `forwarder processes (pg): ${PROCESSES} processes × 2 claim loops drained ${EVENTS.toLocaleString("en-US")} rows at once ` +
        `(${delivered.map((n) => n.toLocaleString("en-US")).join(" + ")} delivered), every row claimed once, ` +
        `${arrivals.size.toLocaleString("en-US")} identifiers at Stripe, 0 sent twice`,
    );
  }, 240_000); // three CLI processes start, on a possibly busy machine
});
