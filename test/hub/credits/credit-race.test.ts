import { afterAll, beforeAll, expect, it } from "vitest";
import { createHub, type Hub } from "../../../src/hub.ts";
import type { Store } from "../../../src/store/types.ts";
import { DATABASE_URL, describeOnPostgres, openSecondPool, openTestStore, type TestStore } from "../../support/store.ts";
import { testClock } from "../entitlements-catalog.ts";
import { creditsCatalog } from "./credits-catalog.ts";

// Many connections racing needs real PostgreSQL: the embedded store runs one statement at a time.
describeOnPostgres("consumes racing for unit credits on PostgreSQL", () => {
  let store: TestStore;
  let hub: Hub;
  let first: Store;
  let second: Store;
  let firstHub: Hub;
  let secondHub: Hub;
  const clock = testClock("2026-03-18T10:30:00Z");
  beforeAll(async () => {
    store = await openTestStore();
    hub = await createHub({ catalog: creditsCatalog }, { store, now: clock.now });
    // Two pools on the same schema: two processes sharing the database. The consumes of one
    // customer take turns, so 200 of them queue for a connection longer than the default 5 s allows.
    first = await openSecondPool(store);
    second = await openSecondPool(store);
    firstHub = await createHub({ catalog: creditsCatalog }, { store: first, now: clock.now });
    secondHub = await createHub({ catalog: creditsCatalog }, { store: second, now: clock.now });
  });
  afterAll(async () => {
    await firstHub.close();
    await secondHub.close();
    await first.close();
    await second.close();
    await hub.close();
    await store.cleanup();
  });

  it("never overdraws: 200 parallel consumes over two pools against 100 credited units grant exactly 100", async () => {
    await hub.upsertCustomer({ id: "race" });
    // Two grants, so the race also crosses from one grant to the next.
    await hub.credits.grant("race", { id: "first", feature: "api", amount: 60, priority: 0 });
    await hub.credits.grant("race", { id: "second", feature: "api", amount: "40", priority: 1 });
    const started = Date.now();
    const results = await Promise.all(
      Array.from({ length: 200 }, (_, i) => {
        const target = i % 2 === 0 ? firstHub : secondHub;
        // Balance reads settle the same grants under the same row locks while consumes draw.
        return i % 25 === 0 ? Promise.all([target.consume("race", "api", 1, `race-${i}`), target.credits.balance("race")]).then(([result]) => result) : target.consume("race", "api", 1, `race-${i}`);
      }),
    );
    const created = results.filter((result) => result.status === "created").length;
    const balance = await hub.credits.balance("race");
    console.info(`credit race (pg, 2 pools): 200 concurrent consumes for 100 credited units: ${created} granted, ${200 - created} refused; ${balance.units.api!.drawn} drawn (${Date.now() - started} ms)`);
    expect(created).toBe(100);
    expect(balance.units.api).toEqual({ available: "0", scheduled: "0", granted: "100", drawn: "100", expired: "0" });
    expect((await hub.check("race", "api")).exact.used).toBe("100");
    const ledger = await store.query<{ drawn: string }>("SELECT sum(amount)::text AS drawn FROM credit_entries WHERE customer_id = 'race' AND kind = 'draw'");
    expect(ledger.rows[0]!.drawn).toBe("100");
  });
});

it.skipIf(DATABASE_URL !== undefined)("[skipped on the embedded store] the credit race needs PostgreSQL: PGlite runs one statement at a time, so nothing races", () => {});
