import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { UsageEventInput } from "../../../src/hub/ledger.ts";
import type { Hub } from "../../../src/hub.ts";
import { testClock } from "../../support/ledger.ts";
import { customer, INVOICING_CATALOG, invoicingHub } from "../../support/invoicing.ts";
import { driverName, openTestStore, type TestStore } from "../../support/store.ts";

const CUSTOMERS = 120;
const PLANS = ["free", "pro", "metered"] as const;

/** The invoicing catalog in another currency, its Stripe-priced charge given a price of its own. */
function catalogIn(currency: string) {
  const metered = INVOICING_CATALOG.plans.metered!;
  return {
    ...INVOICING_CATALOG,
    currency,
    plans: {
      ...INVOICING_CATALOG.plans,
      metered: { ...metered, charges: metered.charges!.map((charge) => (charge.key === "api" ? { key: "api", meter: "api_calls", model: "per_unit" as const, unitAmount: "0.035", description: "API calls" } : charge)) },
    },
  };
}

/** Customer `i`'s usage: every meter, amounts and days varying by customer, October and November. */
function usageOf(id: string, i: number): UsageEventInput[] {
  const day = (d: number) => String(1 + (d % 28)).padStart(2, "0");
  const events: UsageEventInput[] = [];
  for (let n = 0; n < 4; n += 1) {
    const at = `2026-10-${day(i * 3 + n * 7)}T${String((i + n) % 24).padStart(2, "0")}:00:00Z`;
    events.push({ customerId: id, meter: "api_calls", quantity: 300 + ((i * 137 + n * 911) % 4000), timestamp: at, transactionId: `${id}:api:${n}` });
    events.push({ customerId: id, meter: "payments", quantity: `${(i * 53 + n * 17) % 9000}.${n}`, timestamp: at, transactionId: `${id}:pay:${n}` });
    events.push({ customerId: id, meter: "requests", quantity: 1, timestamp: at, transactionId: `${id}:req:${n}` });
  }
  events.push({ customerId: id, meter: "storage_gb", quantity: (i * 7) % 40, timestamp: `2026-10-${day(i)}T06:00:00Z`, transactionId: `${id}:storage` });
  events.push({ customerId: id, meter: "api_calls", quantity: 50 + i, timestamp: `2026-11-01T00:00:${String(i % 60).padStart(2, "0")}Z`, transactionId: `${id}:api:november` });
  return events;
}

describe.each(["USD", "JPY", "KWD"])(`an invoice run over many customers in batches (%s, ${driverName})`, (currency) => {
  const clock = testClock("2026-12-02T09:00:00.000Z");
  const ids: string[] = [];
  let store: TestStore;
  let hub: Hub;

  beforeAll(async () => {
    store = await openTestStore();
    hub = await invoicingHub(store, clock.now, { config: { catalog: catalogIn(currency) } });
    for (let i = 0; i < CUSTOMERS; i += 1) {
      // Ids out of creation order, plans in turn, every third customer on a cycle anchored mid-month.
      const id = `cus_${String((i * 37) % CUSTOMERS).padStart(3, "0")}`;
      const cycle = i % 3 === 0 ? { periodStart: `2026-10-${String(5 + (i % 20)).padStart(2, "0")}T00:00:00Z`, periodEnd: `2026-11-${String(5 + (i % 20)).padStart(2, "0")}T00:00:00Z` } : {};
      ids.push(await customer(hub, id, { plan: PLANS[i % PLANS.length]!, ...cycle }));
      await hub.recordBatch(usageOf(id, i));
    }
  }, 120_000);
  afterAll(async () => {
    await hub.close();
    await store.cleanup();
  });

  it("writes for every customer the invoice its preview gives, numbered in id order without gaps", async () => {
    const previews = new Map<string, Awaited<ReturnType<Hub["previewInvoice"]>>>();
    for (const id of ids) previews.set(id, await hub.previewInvoice(id, { period: "2026-10" }));

    const result = await hub.runInvoices({ period: "2026-10", batchSize: 25 });
    expect(result).toMatchObject({ total: CUSTOMERS, invoiced: CUSTOMERS, failed: [], numbers: { first: 1, last: CUSTOMERS } });

    const stored = JSON.parse(await hub.exportInvoices({ period: "2026-10", format: "json" })) as Array<{ customerId: string; number: number; id: string }>;
    expect(stored.map((invoice) => invoice.customerId)).toEqual([...ids].sort());
    expect(stored.map((invoice) => invoice.number)).toEqual(ids.map((_, index) => index + 1));
    for (const { id } of stored) {
      const { id: _id, number: _number, periodKey: _periodKey, provider: _provider, status: _status, createdAt: _createdAt, ...priced } = await hub.getInvoice(id);
      expect(priced).toEqual(previews.get(priced.customerId));
      expect(priced.currency).toBe(currency);
    }
  });

  it("closes each invoiced period with its invoice as the reference", async () => {
    const { rows } = await store.query<{ customer_id: string; period_from: Date; period_to: Date; reference: string }>(
      "SELECT customer_id, period_from, period_to, reference FROM closed_periods ORDER BY customer_id",
    );
    const { invoices } = await hub.listInvoices({ period: "2026-10", limit: CUSTOMERS });
    expect(rows).toEqual(
      invoices.map((invoice) => ({ customer_id: invoice.customerId, period_from: invoice.period.from, period_to: invoice.period.to, reference: invoice.id })),
    );
  });
});
