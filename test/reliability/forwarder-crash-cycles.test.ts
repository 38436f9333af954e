import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHub } from "../../src/hub.ts";
import { billhubProcess } from "../support/cli.ts";
import { outboxState } from "../support/forwarder.ts";
import { seededRandom } from "../support/msw/faults.ts";
import { createStripeStandIn } from "../support/msw/stripe.ts";
import { openProcessStore, type ProcessStore } from "../support/process-store.ts";
import { serveFetch, type ServedFetch } from "../support/stand-ins/serve-fetch.ts";
import { driverName } from "../support/store.ts";
import { waitFor } from "../support/wait.ts";

const CATALOG = join(import.meta.dirname, "../../fixtures/catalog.json");
const EVENTS = 1_000;
const KILLS = 4;
const CUSTOMERS = ["fc_a", "fc_b", "fc_c"];
const FILE_CONFIG = {
  catalog: CATALOG,
  provider: { default: "stripe" },
  // The stand-in takes requests as fast as a live account does; the test key alone would pace them at the sandbox's 25/s.
  stripe: { maxRequestsPerSecond: 1000, meters: { api_calls: { eventName: "api_call" } }, invoiceItems: { enabled: true } },
  forwarder: { leaseMs: 1000, pollIntervalMs: 50, batchSize: 100 },
} as const;

/**
 * The Stripe stand-in over real HTTP, with a trap: the request it is told to catch never gets an
 * answer (before or after Stripe stored the event), so the forwarder is stuck mid-batch when killed.
 */
async function trappedStripe() {
  const stripe = createStripeStandIn();
  let trap: { at: number; afterProcessing: boolean; sprung: () => void } | undefined;
  let sent = 0;
  const served = await serveFetch(async (request) => {
    if (new URL(request.url).pathname !== "/v1/billing/meter_events" || trap === undefined || ++sent < trap.at) return stripe.fetch(request);
    const { afterProcessing, sprung } = trap;
    trap = undefined;
    if (afterProcessing) await stripe.fetch(request);
    sprung();
    return new Promise<Response>(() => {});
  });
  return {
    stripe,
    served,
    /** Resolves once the `at`-th meter event request from now arrived and was left hanging. */
    arm(at: number, afterProcessing: boolean): Promise<void> {
      sent = 0;
      return new Promise((sprung) => (trap = { at, afterProcessing, sprung }));
    },
  };
}

describe(`a forwarder process SIGKILLed mid-batch, ${KILLS} times (${driverName})`, () => {
  let dir: string;
  let store: ProcessStore;
  let stand: Awaited<ReturnType<typeof trappedStripe>>;
  let env: Record<string, string>;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "billhub-forwarder-crash-"));
    stand = await trappedStripe();
    store = await openProcessStore(dir);
    const configFile = join(dir, "billhub.json");
    await writeFile(configFile, JSON.stringify(FILE_CONFIG));
    env = { BILLHUB_CONFIG: configFile, STRIPE_SECRET_KEY: "sk_test_crash", STRIPE_API_BASE: stand.served.url, ...store.env };
    await store.withStore(async (s) => {
      const hub = await createHub({ ...FILE_CONFIG, stripe: { ...FILE_CONFIG.stripe, secretKey: "sk_test_crash" } }, { store: s });
      for (const id of CUSTOMERS) await hub.upsertCustomer({ id, providerIds: { stripe: `cus_${id}` } });
      for (let start = 0; start < EVENTS; start += 500) {
        await hub.recordBatch(Array.from({ length: 500 }, (_, i) => ({ customerId: CUSTOMERS[(start + i) % 3]!, meter: "api_calls", quantity: ((start + i) % 5) + 1, transactionId: `fc_${start + i}` })));
      }
      await hub.close();
    });
  }, 60_000);
  afterAll(async () => {
    await stand?.served.close();
    await store?.cleanup();
    await rm(dir, { recursive: true, force: true });
  });

  it("restarted forwarders deliver everything; Stripe saw each transactionId once or answered that it already had it", async () => {
    const draw = seededRandom(3);
    const killedAt: string[] = [];
    for (let kill = 1; kill <= KILLS; kill += 1) {
      // Somewhere in the middle of a claim (100 rows, sent as two batches of 50).
      const at = 10 + Math.floor(draw() * 80);
      const afterProcessing = kill % 2 === 0;
      const trapped = stand.arm(at, afterProcessing);
      const forwarder = billhubProcess(["outbox", "drain", "--follow"], env);
      const ended = await Promise.race([trapped.then(() => "trapped"), forwarder.exited.then((code) => `exited ${code}: ${forwarder.output()}`)]);
      expect(ended).toBe("trapped");
      forwarder.child.kill("SIGKILL");
      await forwarder.exited;
      killedAt.push(`request ${at} ${afterProcessing ? "after" : "before"} Stripe stored it`);
    }
    expect(stand.stripe.events().length).toBeLessThan(EVENTS);

    // The last forwarder waits out the dead ones' leases and drains everything.
    const last = billhubProcess(["outbox", "drain", "--follow"], env);
    await waitFor("the last forwarder to deliver every event", () => stand.stripe.events().length >= EVENTS, { timeoutMs: 180_000, intervalMs: 100 });
    last.child.kill("SIGTERM");
    expect(await last.exited).toBe(0);

    const rows = await store.withStore((s) => outboxState(s));
    expect(rows).toHaveLength(EVENTS);
    expect(rows.filter((r) => r.status !== "delivered")).toEqual([]);
    const held = stand.stripe.events();
    expect(held.map((e) => e.identifier).sort()).toEqual(rows.map((r) => r.transaction_id).sort());
    const arrivals = stand.stripe.arrivals();
    const once = [...arrivals.values()].filter((n) => n === 1).length;
    const again = stand.stripe.duplicates();
    // Each resend was answered "already exists", and that is what the row's outcome says.
    expect(rows.filter((r) => r.outcome === "already_delivered").map((r) => r.transaction_id).sort()).toEqual(again.map((d) => d.identifier).sort());
    // Only rows whose claim died can have been resent: at most one claim (100 rows) per kill.
    expect(again.length).toBeLessThanOrEqual(KILLS * FILE_CONFIG.forwarder.batchSize);
    expect(again.length).toBeGreaterThan(0);

    const fmt = (n: number) => n.toLocaleString("en-US");
    console.info(
      `forwarder crash cycles (${driverName}): ${KILLS} SIGKILLs mid-batch (${killedAt.join("; ")}); ${fmt(EVENTS)} events, ${fmt(held.length)} held by Stripe, ` +
        `${fmt(once)} seen once, ${fmt(again.length)} resent and answered "already exists" (${fmt([...arrivals.values()].reduce((a, b) => a + b, 0))} arrivals in all), 0 pending, 0 dead`,
    );
  }, 300_000); // five CLI processes start, on a possibly busy machine
});
