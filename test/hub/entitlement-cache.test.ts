import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHub, type Hub } from "../../src/hub.ts";
import { createEntitlementCache } from "../../src/hub/entitlement-cache.ts";
import type { CustomerEntitlements } from "../../src/store/entitlement-state-repository.ts";
import { openTestStore, type TestStore } from "../support/store.ts";
import { entitlementsCatalog, testClock } from "./entitlements-catalog.ts";

let store: TestStore;
let hub: Hub;
const clock = testClock("2026-03-15T12:00:00Z");
beforeAll(async () => {
  store = await openTestStore();
  hub = await createHub({ catalog: entitlementsCatalog, cache: { ttlMs: 5000 } }, { store, now: clock.now });
});
afterAll(async () => {
  await hub.close();
  await store.cleanup();
});

/** A change made by another process: straight to the database, past this hub's cache. */
const elsewhere = (sql: string, params: unknown[]) => store.query(sql, params);

describe("entitlement cache", () => {
  it("serves a customer's limits from the cache until the TTL has passed", async () => {
    await hub.upsertCustomer({ id: "cache_ttl" });
    expect(await hub.limit("cache_ttl", "api")).toBe(100);
    await elsewhere("UPDATE customers SET plan_key = 'pro' WHERE id = $1", ["cache_ttl"]);
    clock.advance(4999);
    expect(await hub.limit("cache_ttl", "api")).toBe(100);
    clock.advance(1);
    expect(await hub.limit("cache_ttl", "api")).toBe(10000);
  });

  it("reads the database on every call when the TTL is 0", async () => {
    const uncached = await createHub({ catalog: entitlementsCatalog, cache: { ttlMs: 0 } }, { store, now: clock.now });
    await uncached.upsertCustomer({ id: "cache_off" });
    expect(await uncached.limit("cache_off", "api")).toBe(100);
    await elsewhere("UPDATE customers SET plan_key = 'pro' WHERE id = $1", ["cache_off"]);
    expect(await uncached.limit("cache_off", "api")).toBe(10000);
    await uncached.close();
  });

  it("is invalidated at once by every write that changes a customer's limits", async () => {
    const id = "cache_writes";
    await hub.upsertCustomer({ id });
    const api = () => hub.limit(id, "api");
    expect(await api()).toBe(100);
    await hub.assign(id, "pro");
    expect(await api()).toBe(10000);
    await hub.assign(id, "pro", { variant: "starter" });
    expect(await api()).toBe(2500);
    await hub.override(id, { api: 3 });
    expect(await api()).toBe(3);
    await hub.clearOverride(id, ["api"]);
    expect(await api()).toBe(2500);
    await hub.adjustLimit(id, { id: "bonus", feature: "api", amount: 1 });
    expect(await api()).toBe(2501);
    await hub.endAdjustment(id, "bonus");
    expect(await api()).toBe(2500);
    await hub.unassign(id);
    expect(await api()).toBe(100);
  });

  it("sees a new billing period at once after an upsert moves it", async () => {
    const id = "cache_period";
    await hub.upsertCustomer({ id, periodStart: "2026-03-01T00:00:00Z", periodEnd: "2026-04-01T00:00:00Z" });
    expect((await hub.entitlements(id)).features.tokens?.resetsAt).toEqual(new Date("2026-04-01T00:00:00Z"));
    await hub.upsertCustomer({ id, periodStart: "2026-03-10T00:00:00Z", periodEnd: "2026-04-10T00:00:00Z" });
    expect((await hub.entitlements(id)).features.tokens?.resetsAt).toEqual(new Date("2026-04-10T00:00:00Z"));
  });

  it("does not remember a customer that did not exist", async () => {
    await expect(hub.limit("cache_later", "api")).rejects.toMatchObject({ code: "CUSTOMER_NOT_FOUND" });
    await elsewhere("INSERT INTO customers (id) VALUES ($1)", ["cache_later"]);
    expect(await hub.limit("cache_later", "api")).toBe(100);
  });
});

describe("entitlement cache internals", () => {
  const value = (customerId: string): CustomerEntitlements => ({
    customer: {} as CustomerEntitlements["customer"],
    state: { customerId, assignedPlan: null, variant: null, cycle: {}, overrides: {}, adjustments: [] },
  });
  const now = () => new Date("2026-03-15T12:00:00Z");

  it("shares one load between concurrent reads of the same customer", async () => {
    const cache = createEntitlementCache({ ttlMs: 1000, maxEntries: 10, now });
    let loads = 0;
    const load = async () => {
      loads += 1;
      await new Promise((resolve) => setImmediate(resolve));
      return value("a");
    };
    await Promise.all([cache.get("a", load), cache.get("a", load), cache.get("a", load)]);
    expect(loads).toBe(1);
  });

  it("does not keep what a load read when the customer was invalidated while it ran", async () => {
    const cache = createEntitlementCache({ ttlMs: 1000, maxEntries: 10, now });
    let release!: () => void;
    const stale = cache.get("a", () => new Promise<CustomerEntitlements>((resolve) => (release = () => resolve(value("stale")))));
    cache.invalidate("a");
    release();
    expect((await stale)?.state.customerId).toBe("stale");
    expect((await cache.get("a", async () => value("fresh")))?.state.customerId).toBe("fresh");
  });

  it("evicts the least recently used customer past maxEntries", async () => {
    const cache = createEntitlementCache({ ttlMs: 1000, maxEntries: 2, now });
    let loads = 0;
    const load = (id: string) => async () => {
      loads += 1;
      return value(id);
    };
    await cache.get("a", load("a"));
    await cache.get("b", load("b"));
    await cache.get("a", load("a"));
    await cache.get("c", load("c"));
    expect(loads).toBe(3);
    await cache.get("a", load("a"));
    expect(loads).toBe(3);
    await cache.get("b", load("b"));
    expect(loads).toBe(4);
  });
});
