import { setupServer } from "msw/node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Hub } from "../../../src/hub.ts";
import { openPgStore } from "../../../src/store/pg-driver.ts";
import type { Store } from "../../../src/store/types.ts";
import { clearUsage, forwarderConfig, forwarderHub, outboxState } from "../../support/forwarder.ts";
import { createStripeStandIn } from "../../support/msw/stripe.ts";
import { DATABASE_URL, describeOnPostgres, driverName, openTestStore, type TestStore } from "../../support/store.ts";
import { NOW } from "../../support/usage-events.ts";

const stripe = createStripeStandIn({ now: () => NOW });
const server = setupServer(...stripe.handlers);
const config = forwarderConfig({ default: "stripe" }, { forwarder: { batchSize: 25, concurrency: 2 } });

let store: TestStore;
let hub: Hub;

beforeAll(async () => {
  server.listen({ onUnhandledRequest: "error" });
  store = await openTestStore();
  hub = await forwarderHub(store, config);
  for (const id of ["cc_a", "cc_b", "cc_c", "cc_d"]) await hub.upsertCustomer({ id, providerIds: { stripe: `cus_${id}` } });
});
afterAll(async () => {
  await hub.close();
  server.close();
  await store.cleanup();
});

async function recordEvents(count: number, prefix: string): Promise<string[]> {
  const ids = Array.from({ length: count }, (_, i) => `${prefix}_${i}`);
  for (let start = 0; start < ids.length; start += 200) {
    await hub.recordBatch(ids.slice(start, start + 200).map((transactionId, i) => ({ customerId: ["cc_a", "cc_b", "cc_c", "cc_d"][i % 4]!, meter: "api_calls", quantity: 1, transactionId })));
  }
  return ids;
}

/** Runs the forwarders' drains at once and checks every event reached Stripe exactly once. */
async function drainTogether(forwarders: Hub[], ids: string[]) {
  const reports = await Promise.all(forwarders.map((forwarder) => forwarder.outbox.drain()));
  return {
    claimed: reports.reduce((sum, r) => sum + r.claimed, 0),
    lost: reports.reduce((sum, r) => sum + r.leaseLost, 0),
    delivered: (await outboxState(store, ids)).filter((r) => r.status === "delivered" && r.outcome === "delivered").length,
    held: stripe.events().filter((e) => ids.includes(e.identifier)).length,
    sentTwice: stripe.duplicates(),
    busy: reports.filter((r) => r.claimed > 0).length,
  };
}

describe(`several forwarders on one store (${driverName})`, () => {
  it("never sends a row twice when three drains run at once", async () => {
    await clearUsage(store);
    const ids = await recordEvents(300, "one_store");
    const others = [await forwarderHub(store, config), await forwarderHub(store, config)];
    try {
      expect(await drainTogether([hub, ...others], ids)).toMatchObject({ claimed: 300, lost: 0, delivered: 300, held: 300, sentTwice: [] });
    } finally {
      for (const other of others) await other.close();
    }
  });
});

describeOnPostgres("forwarders in separate processes sharing one PostgreSQL", () => {
  const pools: Store[] = [];
  const forwarders: Hub[] = [];
  beforeAll(async () => {
    for (let i = 0; i < 3; i += 1) {
      // Each forwarder has its own connection pool, as separate processes would.
      const pool = await openPgStore({ connectionString: DATABASE_URL!, schema: store.schema, maxConnections: 4 });
      pools.push(pool);
      forwarders.push(await forwarderHub(pool, config));
    }
  });
  afterAll(async () => {
    for (const forwarder of forwarders) await forwarder.close();
    for (const pool of pools) await pool.close();
  });

  it("three forwarders draining 600 events concurrently send each exactly once, and all of them take part", async () => {
    await clearUsage(store);
    stripe.reset();
    const ids = await recordEvents(600, "three_pools");
    const result = await drainTogether(forwarders, ids);
    expect(result).toMatchObject({ claimed: 600, lost: 0, delivered: 600, held: 600, sentTwice: [] });
    expect(result.busy).toBe(3);
    expect([...stripe.arrivals().values()].every((count) => count === 1)).toBe(true);
  });
});
