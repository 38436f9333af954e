import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Hub } from "../../../src/hub.ts";
import { testClock } from "../../support/ledger.ts";
import { customer, invoicingHub, use } from "../../support/invoicing.ts";
import { driverName, openTestStore, type TestStore } from "../../support/store.ts";

const clock = testClock("2026-11-02T09:00:00.000Z");
let store: TestStore;
let hub: Hub;

beforeAll(async () => {
  store = await openTestStore();
  hub = await invoicingHub(store, clock.now);
  // Both created after October ended. late_free's October usage (imported, backdated) is of a
  // meter its free plan does not price; late_none has no October usage at all.
  await customer(hub, "late_free", { createdAt: "2026-11-01T12:00:00Z" });
  await customer(hub, "late_none", { createdAt: "2026-11-01T12:00:00Z" });
  await use(hub, "late_free", "api_calls", 40, "2026-10-20T00:00:00Z");
});
afterAll(async () => {
  await hub.close();
  await store.cleanup();
});

describe(`customers created after the month they are invoiced for (${driverName})`, () => {
  it("invoices one with usage in the month even when its plan prices none of it, and passes by only the one without usage as not a customer yet", async () => {
    const result = await hub.runInvoices({ period: "2026-10" });
    expect(result).toMatchObject({ total: 2, invoiced: 1, skipped: { notEnded: 0, notYetCustomer: 1, noPeriod: 0, covered: 0 }, failed: [] });
    const { invoices } = await hub.listInvoices({ period: "2026-10" });
    expect(invoices.map((invoice) => [invoice.customerId, invoice.subtotal])).toEqual([["late_free", 0]]);
  });
});
