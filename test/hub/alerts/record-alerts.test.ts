import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { createHub, type Hub } from "../../../src/hub.ts";
import { alertEventId } from "../../../src/hub/alerts/fire-alerts.ts";
import { deletePendingUsage, pendingUsage } from "../../../src/store/alerts/pending-usage.ts";
import type { Store } from "../../../src/store/types.ts";
import { alertsCatalog, alertsCatalogInput, webhookSecret } from "../../support/alerts.ts";
import { describeOnPostgres, openSecondPool, openTestStore, type TestStore } from "../../support/store.ts";
import { testClock } from "../entitlements-catalog.ts";
import { waitFor } from "../../support/wait.ts";
import { defineCatalog } from "../../../src/core/catalog/index.ts";

let store: TestStore;
let hub: Hub;
const clock = testClock("2026-03-18T10:30:00Z");
const endpoints = {
  ops: { url: "http://127.0.0.1:9/ops", secret: webhookSecret() },
  billing: { url: "https://billing.example.com/hooks", secret: webhookSecret(), alerts: ["spend_50"] },
};
const config = { catalog: alertsCatalog, alerts: { endpoints } };
let n = 0;
async function customer(plan?: string): Promise<string> {
  const id = `rec_${++n}`;
  await hub.customers.upsert({ id, periodStart: "2026-03-01T00:00:00Z", periodEnd: "2026-04-01T00:00:00Z" });
  if (plan) await hub.customers.assign(id, plan, { effectiveAt: "2026-03-01T00:00:00Z" });
  return id;
}
const firings = async (customerId: string, alert?: string) => (await hub.alerts.list({ customerId, ...(alert === undefined ? {} : { alert }) })).alerts;
const calls = (customerId: string, quantity: number, transactionId: string, timestamp?: string) => ({ customerId, meter: "api_calls", quantity, transactionId, ...(timestamp ? { timestamp } : {}) });

/** Rows stored for one customer's alert: firings and their deliveries. */
async function stored(customerId: string, alert: string) {
  const { rows } = await store.query<{ firings: number; deliveries: number }>(
    `SELECT (SELECT count(*)::int FROM alert_firings WHERE customer_id = $1 AND alert = $2) AS firings,
            (SELECT count(*)::int FROM alert_deliveries d JOIN alert_firings f ON f.id = d.event_id WHERE f.customer_id = $1 AND f.alert = $2) AS deliveries`,
    [customerId, alert],
  );
  return rows[0]!;
}

/** The customer's rows of recorded usage still to be evaluated. */
async function pending(customerId: string) {
  return (await store.query<{ hour: Date }>("SELECT hour FROM alert_pending_usage WHERE customer_id = $1", [customerId])).rows;
}

beforeAll(async () => {
  store = await openTestStore({ connectTimeoutMs: 60_000 });
  hub = await createHub(config, { store, now: clock.now });
});
afterAll(async () => {
  await hub.close();
  await store.cleanup();
});

describe("threshold alerts on recorded usage", () => {
  it("fires a percent-of-limit alert when a record reaches it, once in the window however much more is recorded", async () => {
    const id = await customer();
    await hub.record(calls(id, 79, `${id}-1`));
    await hub.alerts.evaluate();
    expect(await firings(id, "api_80")).toEqual([]);
    await hub.record(calls(id, 1, `${id}-2`));
    await hub.alerts.evaluate();
    await hub.record(calls(id, 5, `${id}-3`));
    await hub.alerts.evaluate();
    const [fired, ...rest] = await firings(id, "api_80");
    expect(rest).toEqual([]);
    expect(fired).toMatchObject({
      id: alertEventId(id, "api_80", new Date("2026-03-01T00:00:00Z")),
      kind: "usage",
      feature: "api",
      threshold: "80",
      value: "80",
      window: { start: new Date("2026-03-01T00:00:00Z"), end: new Date("2026-04-01T00:00:00Z") },
      deliveries: [{ endpoint: "ops", status: "pending", attempts: 0 }],
    });
    expect((fired!.event as { data: { percent: number; limit: string } }).data).toMatchObject({ percent: 80, limit: "100" });
  });

  it("fires units alerts reached by one batch, on every feature of the meter, in each feature's window", async () => {
    const id = await customer();
    const results = await hub.recordBatch([calls(id, 100, `${id}-1`), calls(id, 60, `${id}-2`)]);
    expect(results.map((r) => r.status)).toEqual(["created", "created"]);
    await hub.alerts.evaluate();
    expect((await firings(id)).map((f) => [f.alert, f.threshold, f.value, f.window.start.toISOString()]).sort()).toEqual([
      ["api_150", "150", "160", "2026-03-01T00:00:00.000Z"],
      ["api_80", "80", "160", "2026-03-01T00:00:00.000Z"],
      ["daily_30", "30", "160", "2026-03-18T00:00:00.000Z"],
    ]);
  });

  it("fires a spend alert when the period's recorded usage costs the amount under the customer's plan", async () => {
    const id = await customer("pro");
    await hub.record(calls(id, 49, `${id}-1`));
    await hub.alerts.evaluate();
    expect((await firings(id)).filter((f) => f.kind === "spend")).toEqual([]);
    await hub.recordBatch([calls(id, 1, `${id}-2`)]);
    await hub.alerts.evaluate();
    const [spend] = (await firings(id)).filter((f) => f.kind === "spend");
    expect(spend).toMatchObject({
      alert: "spend_50",
      threshold: "50",
      value: "50",
      window: { start: new Date("2026-03-01T00:00:00Z"), end: new Date("2026-04-01T00:00:00Z") },
      deliveries: [{ endpoint: "billing", status: "pending" }, { endpoint: "ops", status: "pending" }],
    });
  });

  it("evaluates a late event in the window it happened in, not the current one", async () => {
    const id = await customer();
    await hub.record(calls(id, 35, `${id}-1`, "2026-03-10T09:00:00Z"));
    await hub.alerts.evaluate();
    const fired = await firings(id);
    expect(fired.map((f) => [f.alert, f.window.start.toISOString(), f.value])).toEqual([["daily_30", "2026-03-10T00:00:00.000Z", "35"]]);
  });

  it("counts a feature's usage from its last reset, as consume does", async () => {
    const [reset, kept] = [await customer(), await customer()];
    for (const id of [reset, kept]) await hub.record(calls(id, 70, `${id}-1`, "2026-03-05T09:00:00Z"));
    await hub.ledger.reset(reset, "api", { reason: "support" });
    await hub.recordBatch([calls(reset, 15, `${reset}-2`), calls(kept, 15, `${kept}-2`)]);
    await hub.alerts.evaluate();
    expect(await firings(reset, "api_80")).toEqual([]);
    expect((await firings(kept, "api_80")).map((f) => f.value)).toEqual(["85"]);
  });

  it("reads no usage for a customer whose thresholds have all fired in their windows", async () => {
    const id = await customer();
    const reads = async (quantity: number, transactionId: string) => {
      await hub.record(calls(id, quantity, transactionId));
      const query = vi.spyOn(store, "query");
      try {
        await hub.alerts.evaluate();
        return query.mock.calls.filter(([text]) => String(text).includes("usage_rollup")).length;
      } finally {
        query.mockRestore();
      }
    };
    expect(await reads(10, `${id}-1`)).toBeGreaterThan(0);
    expect(await reads(150, `${id}-2`)).toBeGreaterThan(0);
    expect((await firings(id)).map((f) => f.alert).sort()).toEqual(["api_150", "api_80", "daily_30"]);
    expect(await reads(1, `${id}-3`)).toBe(0);
  });

  it("evaluates each customer of a batch on its own usage", async () => {
    const [a, b] = [await customer(), await customer()];
    await hub.recordBatch([calls(a, 50, `${a}-1`), calls(b, 20, `${b}-1`), calls(a, 30, `${a}-2`), calls(b, 20, `${b}-2`)]);
    await hub.alerts.evaluate();
    expect((await firings(a)).map((f) => f.alert).sort()).toEqual(["api_80", "daily_30"]);
    expect((await firings(b)).map((f) => f.alert).sort()).toEqual(["daily_30"]);
  });

  it("fires nothing for a retried record, and nothing for a refused batch", async () => {
    const id = await customer();
    await hub.record(calls(id, 10, `${id}-1`));
    // The second item conflicts with the stored first record: the whole batch is refused after its insert.
    await hub.alerts.evaluate();
    await expect(hub.recordBatch([calls(id, 90, `${id}-2`), calls(id, 11, `${id}-1`)])).rejects.toMatchObject({ code: "IDEMPOTENCY_CONFLICT" });
    expect(await pending(id)).toEqual([]);
    expect((await hub.record(calls(id, 10, `${id}-1`))).status).toBe("duplicate");
    expect(await pending(id)).toEqual([]);
    await hub.alerts.evaluate();
    expect(await firings(id)).toEqual([]);
  });

  it("fires what a consume and a record reach together, once", async () => {
    const id = await customer();
    await hub.consume(id, "api", 70, `${id}-1`);
    await hub.record(calls(id, 10, `${id}-2`));
    await Promise.all([hub.consume(id, "api", 1, `${id}-3`), hub.alerts.evaluate()]);
    expect(await stored(id, "api_80")).toEqual({ firings: 1, deliveries: 1 });
  });

  it("keeps usage whose evaluation failed pending, and fires what it reached at the next evaluation without another record", async () => {
    const id = await customer();
    const query = store.query.bind(store);
    // The alert firings table refuses writes for one evaluation, as a database fault would.
    const spy = vi.spyOn(store, "query").mockImplementation((text: string, ...rest: unknown[]) =>
      text.includes("INSERT INTO alert_firings") ? Promise.reject(new Error("connection terminated")) : (query as (...args: unknown[]) => ReturnType<Store["query"]>)(text, ...rest),
    );
    try {
      expect((await hub.record(calls(id, 85, `${id}-1`))).status).toBe("created");
      await expect(hub.alerts.evaluate()).rejects.toThrow("connection terminated");
    } finally {
      spy.mockRestore();
    }
    expect(await hub.metrics.render()).toContain('billhub_alert_evaluation_failures_total{reason="store"} 1');
    expect((await hub.usage({ customerId: id, feature: "api" })).value).toBe("85");
    expect(await firings(id)).toEqual([]);
    expect(await pending(id)).toHaveLength(1);
    await hub.alerts.evaluate();
    expect((await firings(id)).map((f) => [f.alert, f.value]).sort()).toEqual([
      ["api_80", "85"],
      ["daily_30", "85"],
    ]);
    expect(await pending(id)).toEqual([]);
  });
});

describe("recorded usage evaluated off the record path", () => {
  it("marks the customer pending in the record's transaction and reads no usage or firings there", async () => {
    const id = await customer();
    const query = vi.spyOn(store, "query");
    try {
      await hub.recordBatch([calls(id, 50, `${id}-1`), calls(id, 40, `${id}-2`)]);
      expect(query.mock.calls.some(([text]) => String(text).includes("alert_firings") || String(text).includes("usage_rollup"))).toBe(false);
    } finally {
      query.mockRestore();
    }
    expect(await pending(id)).toHaveLength(1);
    expect(await firings(id)).toEqual([]);
    expect(await hub.alerts.evaluate()).toMatchObject({ failed: 0 });
    expect((await firings(id)).map((f) => f.alert).sort()).toEqual(["api_80", "daily_30"]);
    expect(await pending(id)).toEqual([]);
  });

  it("fires the last usage of a window when it is evaluated after the window ended, and the next window's too", async () => {
    const id = await customer();
    try {
      clock.set("2026-03-31T23:30:00Z");
      await hub.record(calls(id, 85, `${id}-1`, "2026-03-31T23:10:00Z"));
      clock.set("2026-04-01T00:30:00Z");
      await hub.record(calls(id, 81, `${id}-2`, "2026-04-01T00:10:00Z"));
      clock.set("2026-04-02T09:00:00Z");
      await hub.alerts.evaluate();
    } finally {
      clock.set("2026-03-18T10:30:00Z");
    }
    expect((await firings(id, "api_80")).map((f) => [f.window.start.toISOString(), f.value]).sort()).toEqual([
      ["2026-03-01T00:00:00.000Z", "85"],
      ["2026-04-01T00:00:00.000Z", "81"],
    ]);
  });

  it("leaves a customer pending when a record adds to it during its evaluation, and fires at the next one", async () => {
    const id = await customer();
    await hub.record(calls(id, 75, `${id}-1`));
    const query = store.query.bind(store);
    let recorded = false;
    // Once the evaluation has read all the usage (75, below 80) and before it deletes the pending
    // rows it read, a record commits 10 more. Not right after the first usage read: the reads of
    // the feature's windows run side by side, and the month's may not have begun when the day's ends.
    const spy = vi.spyOn(store, "query").mockImplementation(async (text: string, ...rest: unknown[]) => {
      if (!recorded && text.includes("DELETE FROM alert_pending_usage")) {
        recorded = true;
        await hub.record(calls(id, 10, `${id}-2`));
      }
      return (query as (...args: unknown[]) => ReturnType<Store["query"]>)(text, ...rest);
    });
    try {
      await hub.alerts.evaluate();
    } finally {
      spy.mockRestore();
    }
    expect(recorded).toBe(true);
    expect(await firings(id, "api_80")).toEqual([]);
    expect(await pending(id)).toHaveLength(1);
    await hub.alerts.evaluate();
    expect((await firings(id, "api_80")).map((f) => f.value)).toEqual(["85"]);
  });

  it("keeps usage recorded after one evaluation deleted its row pending when a second evaluation deletes what it read before", async () => {
    const id = await customer();
    await hub.record(calls(id, 75, `${id}-1`));
    // A second sender read the pending row before the first evaluated and deleted it.
    const heldBySecond = (await pendingUsage(store, { afterCustomer: null, customers: 10_000 })).filter((row) => row.customerId === id);
    expect(heldBySecond).toHaveLength(1);
    await hub.alerts.evaluate();
    expect(await pending(id)).toEqual([]);
    // A record writes the same customer and hour again, then the second sender deletes what it read.
    await hub.record(calls(id, 10, `${id}-2`));
    await deletePendingUsage(store, heldBySecond);
    expect(await pending(id)).toHaveLength(1);
    await hub.alerts.evaluate();
    expect((await firings(id, "api_80")).map((f) => f.value)).toEqual(["85"]);
  });

  it("goes on delivering in a following sender while evaluating recorded usage fails", async () => {
    const own = await openTestStore();
    const senderHub = await createHub({ catalog: alertsCatalog, alerts: { evaluation: { intervalMs: 50 }, delivery: { pollIntervalMs: 10 } } }, { store: own, now: clock.now });
    const query = own.query.bind(own);
    const transaction = own.transaction.bind(own);
    let claims = 0;
    const spy = vi.spyOn(own, "query").mockImplementation((text: string, ...rest: unknown[]) =>
      text.includes("FROM alert_pending_usage") ? Promise.reject(new Error("pending rows unreadable")) : (query as (...args: unknown[]) => ReturnType<Store["query"]>)(text, ...rest),
    );
    // Deliveries are claimed in a transaction of their own: counted there.
    const claimSpy = vi.spyOn(own, "transaction").mockImplementation((fn) =>
      transaction((tx) =>
        fn({
          ...tx,
          query: (text: string, ...rest: unknown[]) => {
            if (text.includes("FROM alert_deliveries")) claims += 1;
            return (tx.query as (...args: unknown[]) => ReturnType<Store["query"]>)(text, ...rest);
          },
        } as typeof tx),
      ),
    );
    const lines: string[] = [];
    const stop = new AbortController();
    const following = senderHub.alerts.deliver({ follow: true, signal: stop.signal, log: (line) => lines.push(line) });
    try {
      const deadline = Date.now() + 30_000;
      while ((claims < 2 || !lines.some((line) => line.includes("evaluating recorded usage for alerts failed"))) && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      expect(lines.some((line) => line.includes("evaluating recorded usage for alerts failed") && line.includes("pending rows unreadable"))).toBe(true);
      expect(claims).toBeGreaterThanOrEqual(2);
    } finally {
      stop.abort();
      await following;
      spy.mockRestore();
      claimSpy.mockRestore();
      await senderHub.close();
      await own.cleanup();
    }
    expect(await senderHub.metrics.render()).toContain('billhub_alert_evaluation_failures_total{reason="store"}');
  });

  it("evaluates the other customers of a batch when one is on a plan the catalog no longer declares, and counts that one", async () => {
    const legacyCatalog = defineCatalog({ ...alertsCatalogInput, plans: { ...alertsCatalogInput.plans, legacy: { name: "Legacy", features: { api: { limit: 100, overage: "allow" }, api_daily: null, exports: 5 } } } });
    const legacyHub = await createHub({ catalog: legacyCatalog, alerts: { endpoints } }, { store, now: clock.now });
    const [before, gone, after] = [await customer(), await customer(), await customer()];
    const errors = vi.spyOn(console, "error").mockImplementation(() => {});
    try {
      await legacyHub.customers.assign(gone, "legacy", { effectiveAt: "2026-03-01T00:00:00Z" });
      await hub.recordBatch([calls(before, 90, `${before}-1`), calls(gone, 90, `${gone}-1`), calls(after, 90, `${after}-1`)]);
      expect(await hub.alerts.evaluate()).toEqual({ customers: 2, failed: 1 });
      expect(errors).toHaveBeenCalledWith(expect.stringContaining(`evaluating the alerts of customer "${gone}" failed (its usage is recorded; evaluated again at its next record): Customer "${gone}" is on plan "legacy"`));
    } finally {
      errors.mockRestore();
      await legacyHub.close();
    }
    expect(await hub.metrics.render()).toContain('billhub_alert_evaluation_failures_total{reason="customer"} 1');
    for (const id of [before, after]) expect((await firings(id)).map((f) => f.alert).sort()).toEqual(["api_80", "daily_30"]);
    expect(await firings(gone)).toEqual([]);
    expect((await hub.usage({ customerId: gone, meter: "api_calls" })).value).toBe("90");
  });

  it("is evaluated by a following sender (billhub serve's loop) with no endpoint configured", async () => {
    const own = await openTestStore();
    const senderHub = await createHub({ catalog: alertsCatalog, alerts: { evaluation: { intervalMs: 50 }, delivery: { pollIntervalMs: 10 } } }, { store: own, now: clock.now });
    const stop = new AbortController();
    const following = senderHub.alerts.deliver({ follow: true, signal: stop.signal });
    try {
      await senderHub.customers.upsert({ id: "follow", periodStart: "2026-03-01T00:00:00Z", periodEnd: "2026-04-01T00:00:00Z" });
      await senderHub.record(calls("follow", 85, "follow-1"));
      // A pass fires the alerts one after another and deletes the pending row after the last:
      // wait for the pass to end, not for its first firing.
      await waitFor("the following sender to evaluate the record", async () => (await own.query("SELECT 1 FROM alert_pending_usage WHERE customer_id = 'follow'")).rows.length === 0, {
        timeoutMs: 30_000,
        intervalMs: 20,
      });
      expect((await senderHub.alerts.list({ customerId: "follow" })).alerts.map((f) => f.alert).sort()).toEqual(["api_80", "daily_30"]);
    } finally {
      stop.abort();
      await following;
      await senderHub.close();
      await own.cleanup();
    }
  });

  it("evaluates what is pending before delivering, so deliver alone fires and sends", async () => {
    const id = await customer();
    await hub.record(calls(id, 85, `${id}-1`));
    await hub.alerts.deliver();
    expect((await firings(id, "api_80"))[0]!.deliveries).toMatchObject([{ endpoint: "ops", attempts: 1 }]);
  });
});

describe("recorded usage on meters no alert watches", () => {
  it("is recorded without evaluating any alert", async () => {
    const quiet = defineCatalog({ ...alertsCatalogInput, alerts: { exports_3: { kind: "usage", feature: "exports", units: 3 } } });
    const own = await openTestStore();
    const quietHub = await createHub({ catalog: quiet, alerts: { endpoints: { ops: endpoints.ops } } }, { store: own, now: clock.now });
    try {
      await quietHub.customers.upsert({ id: "quiet" });
      const query = vi.spyOn(own, "query");
      await quietHub.record(calls("quiet", 500, "quiet-1"));
      expect(query.mock.calls.some(([text]) => /alert_firings|alert_pending_usage|usage_rollup/.test(String(text)))).toBe(false);
      query.mockRestore();
      await quietHub.recordBatch([{ customerId: "quiet", meter: "exports", quantity: 1, transactionId: "quiet-e1" }, ...["e2", "e3"].map((t) => ({ customerId: "quiet", meter: "exports", quantity: 1, transactionId: `quiet-${t}` }))]);
      await quietHub.alerts.evaluate();
      expect((await quietHub.alerts.list({ customerId: "quiet" })).alerts.map((f) => f.alert)).toEqual(["exports_3"]);
    } finally {
      await quietHub.close();
      await own.cleanup();
    }
  });
});

/**
 * 50 records of 2 calls at once on a customer with 70 recorded (the 80 % threshold is crossed by
 * one of them), with every hub evaluating while they run, and once more after.
 */
async function race(hubs: Hub[], id: string, batch: boolean) {
  await hub.customers.upsert({ id });
  await hub.record(calls(id, 70, `${id}-base`));
  const evaluations = (n: number) => Array.from({ length: n }, (_, i) => hubs[i % hubs.length]!.alerts.evaluate());
  const [results] = await Promise.all([
    Promise.all(
      Array.from({ length: 50 }, (_, i) => {
        const target = hubs[i % hubs.length]!;
        // Each its own hour, so that no two of them wait on the same rollup row.
        const event = calls(id, 2, `${id}-${i}`, new Date(Date.UTC(2026, 2, 1, 0) + i * 3_600_000).toISOString());
        return batch ? target.recordBatch([event]).then(([result]) => result!) : target.record(event);
      }),
    ),
    ...evaluations(4),
  ]);
  expect(results.every((result) => result.status === "created")).toBe(true);
  await Promise.all(evaluations(hubs.length));
  await Promise.all(evaluations(hubs.length));
  expect(await pending(id)).toEqual([]);
  return stored(id, "api_80");
}

describe("an alert crossed by concurrent records", () => {
  it("fires once, with one delivery per endpoint", async () => {
    expect(await race([hub], "rrace_local", false)).toEqual({ firings: 1, deliveries: 1 });
  });
});

describeOnPostgres("an alert crossed by concurrent records on PostgreSQL", () => {
  let second: Store;
  let secondHub: Hub;
  beforeAll(async () => {
    second = await openSecondPool(store);
    secondHub = await createHub(config, { store: second, now: clock.now });
  });
  afterAll(async () => {
    await secondHub.close();
    await second.close();
  });

  it("fires once with one delivery when 50 records race over 20 connections", async () => {
    expect(await race([secondHub], "rrace_pg", false)).toEqual({ firings: 1, deliveries: 1 });
  });

  it("fires once with one delivery when the racing batches come from two processes' pools", async () => {
    expect(await race([hub, secondHub], "rrace_two_pools", true)).toEqual({ firings: 1, deliveries: 1 });
  });
});
