import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHub, type Hub } from "../../../src/hub.ts";
import { alertEventId } from "../../../src/hub/alerts/fire-alerts.ts";
import { openTestStore, type TestStore } from "../../support/store.ts";
import { alertsCatalog, webhookSecret } from "../../support/alerts.ts";
import { testClock } from "../entitlements-catalog.ts";

let store: TestStore;
let hub: Hub;
const clock = testClock("2026-03-18T10:30:00Z");
const endpoints = {
  ops: { url: "http://127.0.0.1:9/ops", secret: webhookSecret() },
  billing: { url: "https://billing.example.com/hooks", secret: webhookSecret(), alerts: ["spend_50"] },
};
let n = 0;
async function customer(plan?: string): Promise<string> {
  const id = `alr_${++n}`;
  await hub.upsertCustomer({ id, periodStart: "2026-03-01T00:00:00Z", periodEnd: "2026-04-01T00:00:00Z" });
  if (plan) await hub.assign(id, plan, { effectiveAt: "2026-03-01T00:00:00Z" });
  return id;
}
const firings = async (customerId: string, alert?: string) => (await hub.alerts.list({ customerId, ...(alert === undefined ? {} : { alert }) })).alerts;

beforeAll(async () => {
  store = await openTestStore();
  hub = await createHub({ catalog: alertsCatalog, alerts: { endpoints } }, { store, now: clock.now });
});
afterAll(async () => {
  await hub.close();
  await store.cleanup();
});

describe("threshold alerts on consume", () => {
  it("fires a percent-of-limit alert when a consume reaches it, once in the window however much more is consumed", async () => {
    const id = await customer();
    await hub.consume(id, "api", 79, `${id}-1`);
    expect(await firings(id, "api_80")).toEqual([]);
    await hub.consume(id, "api", 1, `${id}-2`);
    await hub.consume(id, "api", 5, `${id}-3`);
    const [fired, ...rest] = await firings(id, "api_80");
    expect(rest).toEqual([]);
    expect(fired).toMatchObject({
      id: alertEventId(id, "api_80", new Date("2026-03-01T00:00:00Z")),
      alert: "api_80",
      kind: "usage",
      customerId: id,
      feature: "api",
      threshold: "80",
      value: "80",
      window: { start: new Date("2026-03-01T00:00:00Z"), end: new Date("2026-04-01T00:00:00Z") },
      deliveries: [{ endpoint: "ops", status: "pending", attempts: 0 }],
    });
    expect(fired!.event).toEqual({
      type: "alert.usage",
      timestamp: "2026-03-18T10:30:00.000Z",
      data: {
        id: fired!.id,
        alert: "api_80",
        kind: "usage",
        customerId: id,
        feature: "api",
        threshold: "80",
        value: "80",
        percent: 80,
        limit: "100",
        window: { start: "2026-03-01T00:00:00.000Z", end: "2026-04-01T00:00:00.000Z" },
        firedAt: "2026-03-18T10:30:00.000Z",
      },
    });
  });

  it("fires again in the next window, with another event id", async () => {
    const id = await customer();
    await hub.consume(id, "api", 90, `${id}-march`);
    clock.set("2026-04-02T08:00:00Z");
    try {
      await hub.consume(id, "api", 85, `${id}-april`);
      const ids = (await firings(id)).filter((f) => f.alert === "api_80").map((f) => f.id);
      expect(ids).toEqual([alertEventId(id, "api_80", new Date("2026-04-01T00:00:00Z")), alertEventId(id, "api_80", new Date("2026-03-01T00:00:00Z"))]);
    } finally {
      clock.set("2026-03-18T10:30:00Z");
    }
  });

  it("fires a units alert past the limit, in overage", async () => {
    const id = await customer();
    await hub.consume(id, "api", 160, `${id}-1`);
    expect((await firings(id)).map((f) => [f.alert, f.threshold, f.value]).sort()).toEqual([
      ["api_150", "150", "160"],
      ["api_80", "80", "160"],
      ["daily_30", "30", "160"],
    ]);
  });

  it("fires the alerts of every feature on the consumed meter, each in its own window", async () => {
    const id = await customer();
    await hub.consume(id, "api", 30, `${id}-1`);
    const [daily] = await firings(id);
    expect(daily).toMatchObject({ alert: "daily_30", feature: "api_daily", window: { start: new Date("2026-03-18T00:00:00Z"), end: new Date("2026-03-19T00:00:00Z") } });
  });

  it("never fires a percent alert on an unlimited limit", async () => {
    const id = await customer("unlimited");
    await hub.consume(id, "api", 10_000, `${id}-1`);
    expect((await firings(id)).map((f) => f.alert).sort()).toEqual(["api_150", "daily_30"]);
  });

  it("fires nothing for a refused consume", async () => {
    const id = await customer();
    await hub.consume(id, "exports", 1, `${id}-1`);
    for (let i = 2; i <= 6; i++) await hub.consume(id, "exports", 1, `${id}-${i}`);
    expect(await firings(id)).toEqual([]);
  });

  it("fires a spend alert when the period's usage costs the amount under the customer's plan, to the endpoints that take it", async () => {
    const id = await customer("pro");
    await hub.consume(id, "api", 49, `${id}-1`);
    expect((await firings(id)).filter((f) => f.kind === "spend")).toEqual([]);
    await hub.consume(id, "api", 1, `${id}-2`);
    const [spend] = (await firings(id)).filter((f) => f.kind === "spend");
    expect(spend).toMatchObject({
      alert: "spend_50",
      threshold: "50",
      value: "50",
      window: { start: new Date("2026-03-01T00:00:00Z"), end: new Date("2026-04-01T00:00:00Z") },
      deliveries: [{ endpoint: "billing", status: "pending" }, { endpoint: "ops", status: "pending" }],
    });
    expect((spend!.event as { data: { currency: string } }).data.currency).toBe("USD");
  });

  it("lists alerts by alert, kind and delivery status, a page at a time", async () => {
    const id = await customer("pro");
    await hub.consume(id, "api", 200, `${id}-1`);
    expect((await hub.alerts.list({ customerId: id, kind: "spend" })).alerts.map((f) => f.alert)).toEqual(["spend_50"]);
    expect((await hub.alerts.list({ customerId: id, alert: "api_150" })).alerts).toHaveLength(1);
    expect((await hub.alerts.list({ customerId: id, status: "dead" })).alerts).toEqual([]);
    const first = await hub.alerts.list({ customerId: id, limit: 2 });
    const second = await hub.alerts.list({ customerId: id, limit: 2, cursor: first.nextCursor! });
    expect([...first.alerts, ...second.alerts].map((f) => f.alert).sort()).toEqual(["api_150", "daily_30", "spend_50"]);
    expect(second.nextCursor).toBeNull();
  });

  it("refuses a cursor it did not hand out", async () => {
    await expect(hub.alerts.list({ cursor: "not-a-cursor" })).rejects.toMatchObject({ code: "VALIDATION_FAILED", field: "cursor" });
  });
});
