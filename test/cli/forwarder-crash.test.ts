import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { createHub, type Hub } from "../../src/hub.ts";
import { billhub, billhubProcess } from "../support/cli.ts";
import { outboxState } from "../support/forwarder.ts";
import { createStripeStandIn } from "../support/msw/stripe.ts";
import { serveFetch, type ServedFetch } from "../support/stand-ins/serve-fetch.ts";
import { DATABASE_URL, describeOnPostgres, openTestStore, type TestStore } from "../support/store.ts";
import { waitFor } from "../support/wait.ts";

const CATALOG = join(import.meta.dirname, "../../fixtures/catalog.json");

describeOnPostgres("a forwarder process killed mid-batch", () => {
  let store: TestStore;
  let hub: Hub;
  let dir: string;
  let served: ServedFetch;
  let env: Record<string, string>;
  const stripe = createStripeStandIn();
  let meterEvents = 0;
  let hung!: () => void;
  const hanging = new Promise<void>((resolve) => (hung = resolve));

  beforeAll(async () => {
    store = await openTestStore();
    hub = await createHub({ catalog: CATALOG, provider: { default: "stripe" }, stripe: { secretKey: "sk_test_crash", meters: { api_calls: { eventName: "api_call" } }, invoiceItems: { enabled: true } } }, { store });
    await hub.upsertCustomer({ id: "acme", providerIds: { stripe: "cus_acme" } });
    await hub.recordBatch(Array.from({ length: 10 }, (_, i) => ({ customerId: "acme", meter: "api_calls", quantity: i + 1, transactionId: `crash_${i}` })));
    // Stripe answers the first four meter events, then the fifth request never gets an answer.
    served = await serveFetch(async (request) => {
      if (new URL(request.url).pathname === "/v1/billing/meter_events" && ++meterEvents === 5) {
        hung();
        return new Promise<Response>(() => {});
      }
      return stripe.fetch(request);
    });
    dir = await mkdtemp(join(tmpdir(), "billhub-crash-"));
    const configFile = join(dir, "billhub.json");
    await writeFile(configFile, JSON.stringify({ catalog: CATALOG, provider: { default: "stripe" }, stripe: { meters: { api_calls: { eventName: "api_call" } }, invoiceItems: { enabled: true } }, forwarder: { leaseMs: 1000, batchSize: 10 } }));
    env = { BILLHUB_CONFIG: configFile, DATABASE_URL: DATABASE_URL!, BILLHUB_SCHEMA: store.schema, STRIPE_SECRET_KEY: "sk_test_crash", STRIPE_API_BASE: served.url };
  });
  const identifiersAtStripe = () => stripe.events().map((e) => e.identifier).sort();
  afterAll(async () => {
    await hub.close();
    await served.close();
    await store.cleanup();
    await rm(dir, { recursive: true, force: true });
  });

  it("loses nothing and double-counts nothing: the next forwarder resends after the lease, Stripe recognizes what it had", async () => {
    const first = billhubProcess(["outbox", "drain", "--follow"], env);
    const ended = await Promise.race([hanging.then(() => "hung"), first.exited.then((code) => `exited ${code}: ${first.output()}`)]);
    expect(ended).toBe("hung");
    first.child.kill("SIGKILL");
    await first.exited;
    expect((await outboxState(store)).every((row) => row.status === "pending" && row.attempts === 1)).toBe(true);
    // Four claim loops share the ten rows, so which four reached Stripe before the hang is theirs to decide.
    const heldBeforeCrash = identifiersAtStripe();
    expect(heldBeforeCrash).toHaveLength(4);

    // The dead process's heartbeat has stopped: wait for its lease to run out.
    await waitFor("the killed forwarder's leases to run out", async () => {
      const { rows } = await store.query<{ leased: number }>("SELECT count(*)::int AS leased FROM usage_outbox WHERE status = 'pending' AND next_attempt_at > now()");
      return rows[0]!.leased === 0;
    }, { intervalMs: 100 });
    const second = await billhub(["outbox", "drain"], env);
    expect(second.stdout).toContain("Forwarded 10 rows: 6 delivered, 4 already at the provider, 0 to retry later, 0 dead.");

    // Each event once, with its value; the order of arrival is the claim loops' (no order is promised).
    const held = stripe.events().map((e) => [e.identifier, e.payload.value]);
    expect(held.sort(([a], [b]) => a!.localeCompare(b!, "en", { numeric: true }))).toEqual(Array.from({ length: 10 }, (_, i) => [`crash_${i}`, String(i + 1)]));
    expect(stripe.duplicates().map((d) => d.identifier).sort()).toEqual(heldBeforeCrash);
    expect((await outboxState(store)).map((row) => [row.status, row.attempts])).toEqual(Array.from({ length: 10 }, () => ["delivered", 2]));
  }, 120_000); // two CLI processes start, on a possibly busy machine
});
