import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHub, type Hub } from "../../src/hub.ts";
import { defineCatalog, type CatalogInput } from "../../src/core/catalog/index.ts";
import { testClock } from "../support/ledger.ts";
import { customer, INVOICING_CATALOG } from "../support/invoicing.ts";
import { driverName, openTestStore, type TestStore } from "../support/store.ts";

const platform = (amount: number) => ({ key: "platform", model: "flat" as const, amount, description: "Platform fee" });
const api = { key: "api", meter: "api_calls", model: "per_unit" as const, unitAmount: "0.5", includedUnits: 1000 };

/** Pro at 59 USD (version 2; version 1 was 49 USD), a retired plan, and a plan billed in euros. */
const catalogInput = (proVersion: 2 | 3): CatalogInput => ({
  ...INVOICING_CATALOG,
  plans: {
    free: INVOICING_CATALOG.plans.free!,
    pro:
      proVersion === 2
        ? { name: "Pro", features: { api: 1_000_000 }, charges: [platform(5900), api], version: 2, versions: { "1": { features: { api: 1_000_000 }, charges: [platform(4900), api] } } }
        : {
            name: "Pro",
            features: { api: 2_000_000 },
            charges: [platform(6900), api],
            version: 3,
            versions: { "1": { features: { api: 1_000_000 }, charges: [platform(4900), api] }, "2": { features: { api: 1_000_000 }, charges: [platform(5900), api] } },
          },
    legacy: { name: "Legacy", active: false, charges: [platform(1900)] },
    pro_eu: { name: "Pro (EUR)", currency: "EUR", charges: [platform(5500)] },
  },
});

const clock = testClock("2026-11-02T09:00:00.000Z");
let store: TestStore;
let hub: Hub;

beforeAll(async () => {
  store = await openTestStore();
  hub = await createHub({ catalog: catalogInput(2) }, { store, now: clock.now });
});
afterAll(async () => {
  await hub.close();
  await store.cleanup();
});

const fee = (invoice: { lineItems: ReadonlyArray<{ chargeKey: string; amount: number }> }) => invoice.lineItems.filter((line) => line.chargeKey === "platform").map((line) => line.amount);

describe(`plan versions, inactive plans and currencies (${driverName})`, () => {
  it("puts a customer assigned a versioned plan on its current version, and keeps it there when the plan's price changes", async () => {
    await customer(hub, "v_keep");
    expect(await hub.customers.assign("v_keep", "pro", { effectiveAt: "2026-10-01T00:00:00Z" })).toMatchObject({ plan: "pro@2" });
    expect(fee(await hub.invoices.preview("v_keep", { period: "2026-10" }))).toEqual([5900]);
    // The price goes up: pro is now version 3 at 69 USD, version 2 kept under versions.
    const later = await createHub({ catalog: catalogInput(3) }, { store, now: clock.now });
    try {
      expect(fee(await later.previewInvoice("v_keep", { period: "2026-10" }))).toEqual([5900]);
      expect((await later.check("v_keep", "api")).limit).toBe(1_000_000);
      // A new customer, or an explicit re-assign, gets the current version.
      await customer(later, "v_new");
      expect(await later.assign("v_new", "pro")).toMatchObject({ plan: "pro@3" });
      expect((await later.check("v_new", "api")).limit).toBe(2_000_000);
    } finally {
      await later.close();
    }
  });

  it("refuses to put a customer newly on an inactive plan or an earlier version, naming the current one, and changes nothing", async () => {
    await customer(hub, "v_refused");
    await expect(hub.customers.assign("v_refused", "legacy")).rejects.toMatchObject({ code: "PLAN_INACTIVE", field: "plan" });
    await expect(hub.customers.assign("v_refused", "pro@1")).rejects.toMatchObject({ code: "PLAN_INACTIVE", field: "plan", message: expect.stringContaining('its current version is "pro"') });
    expect(await hub.customers.planHistory("v_refused")).toEqual([]);
  });

  it("keeps the customers already on an inactive plan, billing them as before", async () => {
    await customer(hub, "v_legacy");
    await store.query("UPDATE customers SET plan_key = 'legacy' WHERE id = 'v_legacy'");
    await store.query("INSERT INTO customer_plan_changes (customer_id, effective_at, plan_key, source) VALUES ('v_legacy', '-infinity', 'legacy', 'migration')");
    expect(await hub.customers.get("v_legacy")).toMatchObject({ plan: "legacy" });
    expect(fee(await hub.invoices.preview("v_legacy", { period: "2026-10" }))).toEqual([1900]);
  });

  it("fixes a customer's currency with its first plan and refuses a plan in another currency, naming the field", async () => {
    await customer(hub, "v_usd");
    expect(await hub.customers.assign("v_usd", "pro")).toMatchObject({ currency: "USD" });
    await expect(hub.customers.assign("v_usd", "pro_eu")).rejects.toMatchObject({ code: "CURRENCY_MISMATCH", field: "plan", message: expect.stringContaining("bills in EUR") });
    expect(await hub.customers.get("v_usd")).toMatchObject({ plan: "pro@2", currency: "USD" });
  });

  it("takes a customer's currency given up front, and refuses to change it once set without writing anything", async () => {
    const { customer: created } = await hub.customers.upsert({ id: "v_eur", currency: "eur", name: "Euro GmbH" });
    expect(created.currency).toBe("EUR");
    await expect(hub.customers.assign("v_eur", "pro")).rejects.toMatchObject({ code: "CURRENCY_MISMATCH" });
    expect(await hub.customers.assign("v_eur", "pro_eu")).toMatchObject({ plan: "pro_eu", currency: "EUR" });
    await expect(hub.customers.upsert({ id: "v_eur", currency: "USD", name: "Renamed" })).rejects.toMatchObject({ code: "CURRENCY_MISMATCH", field: "currency" });
    expect(await hub.customers.get("v_eur")).toMatchObject({ currency: "EUR", name: "Euro GmbH" });
  });

  it("prices a plan in its own currency", async () => {
    await customer(hub, "v_invoice_eur");
    await hub.customers.assign("v_invoice_eur", "pro_eu", { effectiveAt: "2026-10-01T00:00:00Z" });
    expect(await hub.invoices.preview("v_invoice_eur", { period: "2026-10" })).toMatchObject({ currency: "EUR", subtotal: 5500 });
  });

  it("refuses a catalog whose earlier version is not below the current one, or versions without a current number", () => {
    const plans = (pro: Record<string, unknown>) => ({ ...INVOICING_CATALOG, plans: { free: INVOICING_CATALOG.plans.free!, pro: { name: "Pro", ...pro } } }) as CatalogInput;
    expect(() => defineCatalog(plans({ version: 2, versions: { "2": {} } }))).toThrow(expect.objectContaining({ code: "CATALOG_INVALID", field: "catalog.plans.pro.versions.2" }));
    expect(() => defineCatalog(plans({ versions: { "1": {} } }))).toThrow(expect.objectContaining({ code: "CATALOG_INVALID", field: "catalog.plans.pro.version" }));
  });
});
