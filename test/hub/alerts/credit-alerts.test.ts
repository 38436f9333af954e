import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { creditBalanceReached, creditsExpiringReached } from "../../../src/core/alerts/credit-thresholds.ts";
import { defineCatalog } from "../../../src/core/catalog/index.ts";
import { parseDecimal } from "../../../src/core/decimal.ts";
import { createHub, type Hub } from "../../../src/hub.ts";
import { alertEventId, createAlertFirer, type AlertFirer } from "../../../src/hub/alerts/fire-alerts.ts";
import { createEntitlementCache } from "../../../src/hub/entitlement-cache.ts";
import { createEntitlementResolver } from "../../../src/hub/entitlement-resolver.ts";
import { alertsCatalogInput, webhookSecret } from "../../support/alerts.ts";
import { openTestStore, type TestStore } from "../../support/store.ts";
import { testClock } from "../entitlements-catalog.ts";
import { contextOf } from "../../../src/hub/hub-internals.ts";

const catalog = defineCatalog({
  ...alertsCatalogInput,
  alerts: {
    low: { kind: "credit_balance_low", below: "500" },
    empty: { kind: "credit_balance_depleted" },
    soon: { kind: "credits_expiring", withinDays: 7 },
    api_low: { kind: "credit_balance_low", feature: "api", below: 10 },
    api_soon: { kind: "credits_expiring", feature: "api", withinDays: 7 },
  },
});
const alerts = Object.values(catalog.alerts);

describe("credit alert thresholds", () => {
  it("reaches low at or below the threshold and depleted at zero, for the balance each alert watches", () => {
    expect(creditBalanceReached(alerts, null, parseDecimal("501")).map((r) => r.alert.key)).toEqual([]);
    expect(creditBalanceReached(alerts, null, parseDecimal("500")).map((r) => r.alert.key)).toEqual(["low"]);
    expect(creditBalanceReached(alerts, null, parseDecimal("0")).map((r) => r.alert.key)).toEqual(["low", "empty"]);
    expect(creditBalanceReached(alerts, "api", parseDecimal("3")).map((r) => r.alert.key)).toEqual(["api_low"]);
  });

  it("reaches expiring for credits expiring ahead within the days, not for expired ones", () => {
    const at = new Date("2026-03-18T00:00:00Z");
    expect(creditsExpiringReached(alerts, null, new Date("2026-03-25T00:00:00Z"), at).map((r) => r.alert.key)).toEqual(["soon"]);
    expect(creditsExpiringReached(alerts, null, new Date("2026-03-25T00:00:01Z"), at)).toEqual([]);
    expect(creditsExpiringReached(alerts, null, new Date("2026-03-17T00:00:00Z"), at)).toEqual([]);
  });

  it("refuses a credit alert on an unknown feature, naming the field", () => {
    expect(() => defineCatalog({ ...alertsCatalogInput, alerts: { x: { kind: "credit_balance_low", feature: "nope", below: 1 } } })).toThrow(expect.objectContaining({ code: "CATALOG_INVALID", field: "catalog.alerts.x.feature" }));
  });
});

describe("credit alerts fed by the credit ledger", () => {
  let store: TestStore;
  let hub: Hub;
  let firer: AlertFirer;
  const clock = testClock("2026-03-18T10:30:00Z");

  beforeAll(async () => {
    store = await openTestStore();
    hub = await createHub({ catalog, alerts: { endpoints: { ops: { url: "http://127.0.0.1:9/ops", secret: webhookSecret() } } } }, { store, now: clock.now });
    const ctx = contextOf(hub);
    firer = createAlertFirer(ctx, createEntitlementResolver(ctx, createEntitlementCache({ ttlMs: 0, maxEntries: 10, now: clock.now })));
    await hub.upsertCustomer({ id: "cr_1", periodStart: "2026-03-05T00:00:00Z", periodEnd: "2026-04-05T00:00:00Z" });
  });
  afterAll(async () => {
    await hub.close();
    await store.cleanup();
  });

  it("fires low and depleted once per billing period, however often the balance is reported", async () => {
    const at = clock.now();
    expect(await store.transaction((tx) => firer.creditBalance(tx, { customerId: "cr_1", feature: null, balance: "450", at }))).toEqual(["low"]);
    expect(await store.transaction((tx) => firer.creditBalance(tx, { customerId: "cr_1", feature: null, balance: "0", at }))).toEqual(["empty"]);
    expect(await store.transaction((tx) => firer.creditBalance(tx, { customerId: "cr_1", feature: null, balance: "-5", at }))).toEqual([]);
    const [empty] = (await hub.alerts.list({ customerId: "cr_1", kind: "credit_balance_depleted" })).alerts;
    expect(empty).toMatchObject({
      id: alertEventId("cr_1", "empty", new Date("2026-03-05T00:00:00Z")),
      threshold: "0",
      value: "0",
      window: { start: new Date("2026-03-05T00:00:00Z"), end: new Date("2026-04-05T00:00:00Z") },
      event: { type: "alert.credit_balance_depleted", data: { currency: "USD" } },
      deliveries: [{ endpoint: "ops", status: "pending" }],
    });
  });

  it("fires a feature's low-credit and expiring alerts when consumes draw its unit credits", async () => {
    await hub.upsertCustomer({ id: "cr_units" });
    await hub.credits.grant("cr_units", { id: "pack", feature: "api", amount: 40, expiresAt: "2026-03-22T00:00:00Z" });
    // The free plan's 100 calls, then 25 of the 40 credits, then 10 more: 5 left, under the 10 of api_low.
    await hub.consume("cr_units", "api", 125, "cr_units-1");
    expect((await hub.alerts.list({ customerId: "cr_units", alert: "api_low" })).alerts).toEqual([]);
    await hub.consume("cr_units", "api", 10, "cr_units-2");
    const [low] = (await hub.alerts.list({ customerId: "cr_units", alert: "api_low" })).alerts;
    expect(low).toMatchObject({ kind: "credit_balance_low", feature: "api", threshold: "10", value: "5" });
    const soon = (await hub.alerts.list({ customerId: "cr_units", alert: "api_soon" })).alerts;
    expect(soon).toEqual([expect.objectContaining({ kind: "credits_expiring", feature: "api", window: { start: new Date("2026-03-22T00:00:00Z"), end: null } })]);
  });

  it("fires expiring once per expiry instant", async () => {
    const input = { customerId: "cr_1", feature: null, amount: "300", expiresAt: new Date("2026-03-20T00:00:00Z"), at: clock.now() };
    expect(await store.transaction((tx) => firer.creditsExpiring(tx, input))).toEqual(["soon"]);
    expect(await store.transaction((tx) => firer.creditsExpiring(tx, input))).toEqual([]);
    const [soon] = (await hub.alerts.list({ customerId: "cr_1", alert: "soon" })).alerts;
    expect(soon).toMatchObject({ value: "300", threshold: "7", event: { data: { expiresAt: "2026-03-20T00:00:00.000Z" } } });
  });
});
