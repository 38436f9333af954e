import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHub, type Hub } from "../../src/hub.ts";
import type { Store } from "../../src/store/types.ts";
import { describeOnPostgres, openSecondPool, openTestStore, type TestStore } from "../support/store.ts";
import { entitlementsCatalog, testClock } from "./entitlements-catalog.ts";
import { usageRecorder } from "./usage-recorder.ts";

let store: TestStore;
let hub: Hub;
const clock = testClock("2026-03-18T10:30:00Z");
beforeAll(async () => {
  store = await openTestStore({ connectTimeoutMs: 60_000 });
  hub = await createHub({ catalog: entitlementsCatalog }, { store, now: clock.now });
});
afterAll(async () => {
  await hub.close();
  await store.cleanup();
});

/** A customer on the free plan (api: 100 a month) with 90 already used: 10 units left. */
async function customerWithTenLeft(id: string): Promise<void> {
  await hub.upsertCustomer({ id });
  await usageRecorder(hub)(id, "api_calls", 90, "2026-03-10T00:00:00Z");
}

async function race(hubs: Hub[], id: string) {
  const results = await Promise.all(Array.from({ length: 50 }, (_, i) => hubs[i % hubs.length]!.consume(id, "api", 1, `${id}-${i}`)));
  const counts = {
    created: results.filter((r) => r.status === "created").length,
    refused: results.filter((r) => r.status === "refused").length,
    used: (await hub.check(id, "api")).exact.used,
  };
  console.info(`consume race (${id}, ${store.driver}, ${hubs.length} pool(s)): 50 concurrent consumes for the last 10 units: ${counts.created} granted, ${counts.refused} refused, ${counts.used} of 100 used`);
  return counts;
}

describe("concurrent consumes", () => {
  it("grants exactly the 10 units left to 50 concurrent consumers", async () => {
    await customerWithTenLeft("race_local");
    expect(await race([hub], "race_local")).toEqual({ created: 10, refused: 40, used: "100" });
  });
});

describeOnPostgres("concurrent consumes on PostgreSQL", () => {
  let second: Store;
  let secondHub: Hub;
  beforeAll(async () => {
    // A second pool on the same schema: another process sharing the database.
    second = await openSecondPool(store);
    secondHub = await createHub({ catalog: entitlementsCatalog }, { store: second, now: clock.now });
  });
  afterAll(async () => {
    await secondHub.close();
    await second.close();
  });

  it("grants exactly 10 of 50 parallel consumers racing over 20 connections for the last 10 units", async () => {
    await customerWithTenLeft("race_pg");
    expect(await race([hub], "race_pg")).toEqual({ created: 10, refused: 40, used: "100" });
  });

  it("grants exactly 10 when the racing consumers are split across two processes' connection pools", async () => {
    await customerWithTenLeft("race_two_pools");
    expect(await race([hub, secondHub], "race_two_pools")).toEqual({ created: 10, refused: 40, used: "100" });
  });

  it("grants a contested transactionId once when retried concurrently", async () => {
    await customerWithTenLeft("race_retry");
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 2 ? hub : secondHub).consume("race_retry", "api", 1, "race_retry-same")));
    expect(results.filter((r) => r.status === "created")).toHaveLength(1);
    expect(results.filter((r) => r.status === "duplicate")).toHaveLength(19);
    expect((await hub.check("race_retry", "api")).used).toBe(91);
  });
});
