import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { defineCatalog } from "../../../src/core/catalog/index.ts";
import { createHub, type Hub } from "../../../src/hub.ts";
import { alertEventId } from "../../../src/hub/alerts/fire-alerts.ts";
import { alertsCatalogInput, webhookSecret } from "../../support/alerts.ts";
import { openTestStore, type TestStore } from "../../support/store.ts";
import { testClock } from "../entitlements-catalog.ts";

/** API calls at 1 cent each on the pro plan; money-credit alerts at 100 cents or less, at 0, and 7 days before an expiry. */
const catalog = defineCatalog({
  ...alertsCatalogInput,
  alerts: {
    low: { kind: "credit_balance_low", below: "100" },
    empty: { kind: "credit_balance_depleted" },
    soon: { kind: "credits_expiring", withinDays: 7 },
    api_low: { kind: "credit_balance_low", feature: "api", below: 10 },
  },
});

let store: TestStore;
let hub: Hub;
// The run happens after March ended: its draws fall in the April billing period.
const clock = testClock("2026-04-02T09:00:00Z");
let n = 0;

/** A pro customer on calendar-month periods, with `credit` cents of money credit and `calls` API calls in each given month. */
async function customer(credit: number, usage: Record<string, number>, grant: { expiresAt?: string } = {}): Promise<string> {
  const id = `money_${++n}`;
  await hub.customers.upsert({ id, periodStart: "2026-02-01T00:00:00Z", periodEnd: "2026-03-01T00:00:00Z" });
  await hub.customers.assign(id, "pro", { effectiveAt: "2026-02-01T00:00:00Z" });
  await hub.credits.grant(id, { id: "prepaid", currency: "USD", amount: credit, effectiveAt: "2026-02-01T00:00:00Z", ...grant });
  for (const [month, calls] of Object.entries(usage)) await hub.record({ customerId: id, meter: "api_calls", quantity: calls, transactionId: `${id}-${month}`, timestamp: `${month}-10T12:00:00Z` });
  return id;
}
const fired = async (customerId: string) => (await hub.alerts.list({ customerId })).alerts.filter((alert) => alert.kind.startsWith("credit"));

beforeAll(async () => {
  store = await openTestStore();
  hub = await createHub({ catalog, alerts: { endpoints: { ops: { url: "http://127.0.0.1:9/ops", secret: webhookSecret() } } } }, { store, now: clock.now });
});
afterAll(async () => {
  await hub.close();
  await store.cleanup();
});

describe("money-credit alerts from the invoice run", () => {
  it("fires low when the run's credit line leaves the balance at the threshold or under, and depleted when it takes it all", async () => {
    const low = await customer(1000, { "2026-03": 950 });
    const empty = await customer(300, { "2026-03": 500 });
    const plenty = await customer(5000, { "2026-03": 100 });
    const run = await hub.invoices.run({ period: "2026-03" });
    expect(run.invoiced).toBe(3);

    const [lowFiring, ...others] = await fired(low);
    expect(others).toEqual([]);
    expect(lowFiring).toMatchObject({
      id: alertEventId(low, "low", new Date("2026-04-01T00:00:00Z")),
      alert: "low",
      kind: "credit_balance_low",
      feature: null,
      threshold: "100",
      value: "50",
      window: { start: new Date("2026-04-01T00:00:00Z"), end: new Date("2026-05-01T00:00:00Z") },
      event: { type: "alert.credit_balance_low", data: { currency: "USD", value: "50" } },
      deliveries: [{ endpoint: "ops", status: "pending" }],
    });
    expect((await fired(empty)).map((f) => [f.alert, f.value]).sort()).toEqual([
      ["empty", "0"],
      ["low", "0"],
    ]);
    expect(await fired(plenty)).toEqual([]);
    expect((await hub.credits.balance(low)).money.available).toBe("50");
  });

  it("fires once per billing period, however many runs draw in it, and nothing on a re-run", async () => {
    const id = await customer(1000, { "2026-02": 920, "2026-03": 50 });
    await hub.invoices.run({ period: "2026-02" });
    expect((await fired(id)).map((f) => [f.alert, f.value])).toEqual([["low", "80"]]);
    await hub.invoices.run({ period: "2026-03" });
    await hub.invoices.run({ period: "2026-03" });
    expect((await hub.credits.balance(id)).money.available).toBe("30");
    expect((await fired(id)).map((f) => [f.alert, f.value])).toEqual([["low", "80"]]);
  });

  it("fires expiring for money credits the run leaves that expire within the alert's days", async () => {
    const id = await customer(1000, { "2026-03": 10 }, { expiresAt: "2026-04-06T00:00:00Z" });
    await hub.invoices.run({ period: "2026-03" });
    expect((await fired(id)).map((f) => [f.alert, f.value, f.window.start.toISOString()])).toEqual([["soon", "990", "2026-04-06T00:00:00.000Z"]]);
  });

  it("fires nothing for a customer whose invoice draws no credit", async () => {
    const id = await customer(1000, {});
    await hub.invoices.run({ period: "2026-03" });
    expect(await fired(id)).toEqual([]);
  });

  it("leaves no firing behind when the run's batch rolls back", async () => {
    const id = await customer(300, { "2026-03": 500 });
    // Every invoice write of this run fails: the batch, its draws and its firings roll back together.
    await store.query(`CREATE FUNCTION refuse_invoice() RETURNS trigger AS $$ BEGIN RAISE EXCEPTION 'invoices are read-only now'; END $$ LANGUAGE plpgsql`);
    await store.query("CREATE TRIGGER refuse_invoice BEFORE INSERT ON invoices FOR EACH ROW EXECUTE FUNCTION refuse_invoice()");
    try {
      await expect(hub.invoices.run({ period: "2026-03" })).rejects.toThrow("invoices are read-only now");
    } finally {
      await store.query("DROP TRIGGER refuse_invoice ON invoices");
      await store.query("DROP FUNCTION refuse_invoice()");
    }
    expect(await fired(id)).toEqual([]);
    expect((await hub.credits.balance(id)).money.available).toBe("300");
    await hub.invoices.run({ period: "2026-03" });
    expect((await fired(id)).map((f) => f.alert).sort()).toEqual(["empty", "low"]);
  });
});
