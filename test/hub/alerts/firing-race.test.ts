import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHub, type Hub } from "../../../src/hub.ts";
import { insertFiring } from "../../../src/store/alerts/firings.ts";
import type { Store } from "../../../src/store/types.ts";
import { startReceiver } from "../../support/alert-receiver.ts";
import { alertsCatalog, webhookSecret } from "../../support/alerts.ts";
import { describeOnPostgres, openSecondPool, openTestStore, type TestStore } from "../../support/store.ts";
import { testClock } from "../entitlements-catalog.ts";

let store: TestStore;
let hub: Hub;
const clock = testClock("2026-03-18T10:30:00Z");
const config = { catalog: alertsCatalog, alerts: { endpoints: { ops: { url: "http://127.0.0.1:9/ops", secret: webhookSecret() } } } };

beforeAll(async () => {
  store = await openTestStore({ connectTimeoutMs: 60_000 });
  hub = await createHub(config, { store, now: clock.now });
});
afterAll(async () => {
  await hub.close();
  await store.cleanup();
});

/** Rows stored for one customer's alert: firings and their deliveries. */
async function stored(customerId: string, alert: string) {
  const { rows } = await store.query<{ firings: number; deliveries: number }>(
    `SELECT (SELECT count(*)::int FROM alert_firings WHERE customer_id = $1 AND alert = $2) AS firings,
            (SELECT count(*)::int FROM alert_deliveries d JOIN alert_firings f ON f.id = d.event_id WHERE f.customer_id = $1 AND f.alert = $2) AS deliveries`,
    [customerId, alert],
  );
  return rows[0]!;
}

/** 50 consumes of 2 calls at once on a customer with 70 used: the 80 % threshold is crossed by one of them. */
async function race(hubs: Hub[], id: string) {
  await hub.upsertCustomer({ id });
  await hub.consume(id, "api", 70, `${id}-base`);
  const results = await Promise.all(Array.from({ length: 50 }, (_, i) => hubs[i % hubs.length]!.consume(id, "api", 2, `${id}-${i}`)));
  expect(results.every((result) => result.status === "created")).toBe(true);
  return stored(id, "api_80");
}

describe("an alert crossed by concurrent consumes", () => {
  it("fires once, with one delivery per endpoint", async () => {
    expect(await race([hub], "race_local")).toEqual({ firings: 1, deliveries: 1 });
  });
});

describeOnPostgres("an alert crossed by concurrent consumes on PostgreSQL", () => {
  let second: Store;
  let secondHub: Hub;
  beforeAll(async () => {
    // A second pool on the same schema: another process sharing the database.
    second = await openSecondPool(store);
    secondHub = await createHub(config, { store: second, now: clock.now });
  });
  afterAll(async () => {
    await secondHub.close();
    await second.close();
  });

  it("fires once with one delivery when 50 consumes race over 20 connections", async () => {
    expect(await race([hub], "race_pg")).toEqual({ firings: 1, deliveries: 1 });
  });

  it("fires once with one delivery when the racing consumes come from two processes' pools", async () => {
    expect(await race([hub, secondHub], "race_two_pools")).toEqual({ firings: 1, deliveries: 1 });
  });

  it("sends the raced alert once when two senders on two pools deliver at the same time", async () => {
    const secret = webhookSecret();
    const receiver = await startReceiver(secret);
    const endpoints = { ops: { url: receiver.url, secret, alerts: ["api_80"] } };
    const senders = await Promise.all([store, second].map((s) => createHub({ ...config, alerts: { endpoints } }, { store: s, now: clock.now })));
    try {
      expect(await race([hub, secondHub], "race_delivered")).toEqual({ firings: 1, deliveries: 1 });
      // Rows of the earlier races point at an endpoint "ops" of another URL: settle them out of the way.
      await store.query("UPDATE alert_deliveries d SET status = 'delivered', delivered_at = now() FROM alert_firings f WHERE f.id = d.event_id AND f.customer_id <> 'race_delivered'");
      // The race reached three alerts of the customer (80 %, 150 calls, 30 a day): one delivery each.
      const fired = (await hub.alerts.list({ customerId: "race_delivered" })).alerts.map((alert) => alert.id);
      expect(fired).toHaveLength(3);
      const reports = await Promise.all(senders.map((sender) => sender.alerts.deliver()));
      expect(reports.reduce((total, report) => total + report.delivered, 0)).toBe(3);
      expect(receiver.received.map((r) => r.headers["webhook-id"]).sort()).toEqual([...fired].sort());
      expect(receiver.received.every((r) => r.verified)).toBe(true);
    } finally {
      for (const sender of senders) await sender.close();
      await receiver.close();
    }
  });

  it("stores one firing when 40 transactions on two pools insert the same one at once, without any lock of their own", async () => {
    await hub.upsertCustomer({ id: "race_raw" });
    const firing = {
      id: "evt_00000000000000000000000000000001",
      customerId: "race_raw",
      alert: "api_80",
      kind: "usage",
      windowStart: new Date("2026-03-01T00:00:00Z"),
      windowEnd: new Date("2026-04-01T00:00:00Z"),
      feature: "api",
      threshold: "80",
      value: "80",
      body: "{}",
      firedAt: new Date("2026-03-18T10:30:00Z"),
    };
    const outcomes = await Promise.all(Array.from({ length: 40 }, (_, i) => (i % 2 ? store : second).transaction((tx) => insertFiring(tx, firing, ["ops"]))));
    expect(outcomes.filter(Boolean)).toHaveLength(1);
    expect(await stored("race_raw", "api_80")).toEqual({ firings: 1, deliveries: 1 });
  });
});
