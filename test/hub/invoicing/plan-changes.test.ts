import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Hub } from "../../../src/hub.ts";
import { queryUsageTotals } from "../../../src/store/ledger/aggregate.ts";
import { planSpans } from "../../../src/store/plan-change-repository.ts";
import { testClock } from "../../support/ledger.ts";
import { customer, invoicingHub, use } from "../../support/invoicing.ts";
import { driverName, openTestStore, type TestStore } from "../../support/store.ts";

const clock = testClock("2026-11-02T09:00:00.000Z");
let store: TestStore;
let hub: Hub;

beforeAll(async () => {
  store = await openTestStore();
  hub = await invoicingHub(store, clock.now);
});
afterAll(async () => {
  await hub.close();
  await store.cleanup();
});

const lines = (invoice: { lineItems: ReadonlyArray<{ chargeKey: string; quantity: string; amount: number; description: string }> }) =>
  invoice.lineItems.map((line) => [line.chargeKey, line.quantity, line.amount]);

describe(`invoices of customers who changed plan (${driverName})`, () => {
  it("bills a closed period on the plan held during it when the customer upgrades after the period ended but before the run", async () => {
    await customer(hub, "upgrader");
    await use(hub, "upgrader", "api_calls", 5000, "2026-10-03T10:00:00Z");
    // November 2nd: October is over, its run has not happened yet, and the customer moves to pro.
    await hub.assign("upgrader", "pro");
    expect(await hub.previewInvoice("upgrader", { period: "2026-10" })).toMatchObject({ plan: "free", lineItems: [], subtotal: 0 });
    await hub.runInvoices({ period: "2026-10" });
    const [invoice] = (await hub.listInvoices({ customerId: "upgrader" })).invoices;
    expect(invoice).toMatchObject({ plan: "free", subtotal: 0, periodKey: "2026-10" });
    // The current period is on pro from the upgrade on.
    expect((await hub.previewInvoice("upgrader")).plan).toBe("pro");
  });

  it("cuts the window at a mid-period upgrade: usage before it on the old plan, after it on the new, the new plan's flat fee and commitment once", async () => {
    await customer(hub, "mid_up");
    await hub.assign("mid_up", "pro", { effectiveAt: "2026-10-10T00:00:00Z" });
    await use(hub, "mid_up", "api_calls", 3000, "2026-10-09T23:59:59Z");
    await use(hub, "mid_up", "api_calls", 5000, "2026-10-10T00:00:00Z");
    const invoice = await hub.previewInvoice("mid_up", { period: "2026-10" });
    // free charges nothing; pro: (5000 − 1000 included) × 0.5 = 2000, platform 4900, true-up to 10000.
    expect(invoice.plan).toBe("pro");
    expect(lines(invoice)).toEqual([
      ["api", "5000", 2000],
      ["payments", "0", 0],
      ["storage", "0", 0],
      ["platform", "1", 4900],
      ["minimum_commitment", "1", 3100],
    ]);
    expect(invoice.subtotal).toBe(10_000);
    expect(invoice.lineItems[0]!.description).toContain("(plan pro, 2026-10-10T00:00:00Z to 2026-11-01T00:00:00Z)");
    expect(invoice.lineItems.map((line) => line.lineNumber)).toEqual([1, 2, 3, 4, 5]);
  });

  it("cuts the window at a mid-period downgrade: the usage on pro is priced on pro, the period's flat fee is the plan it ends on", async () => {
    await customer(hub, "mid_down", { plan: "pro" });
    await use(hub, "mid_down", "api_calls", 3000, "2026-10-05T00:00:00Z");
    await hub.unassign("mid_down", { effectiveAt: "2026-10-20T00:00:00Z" });
    await use(hub, "mid_down", "api_calls", 9000, "2026-10-25T00:00:00Z");
    const invoice = await hub.previewInvoice("mid_down", { period: "2026-10" });
    expect(invoice.plan).toBe("free");
    expect(lines(invoice)).toEqual([
      ["api", "3000", 1000],
      ["payments", "0", 0],
      ["storage", "0", 0],
    ]);
    expect(invoice.lineItems[0]!.description).toContain("(plan pro, 2026-10-01T00:00:00Z to 2026-10-20T00:00:00Z)");
  });

  it("prices each part with its own allowance and per-event fees: the run stores what the preview shows", async () => {
    await customer(hub, "twice_pro", { plan: "pro" });
    await hub.assign("twice_pro", "free", { effectiveAt: "2026-10-10T00:00:00Z" });
    await hub.assign("twice_pro", "pro", { effectiveAt: "2026-10-20T00:00:00Z" });
    await use(hub, "twice_pro", "payments", 10_000, "2026-10-02T00:00:00Z");
    await use(hub, "twice_pro", "payments", 10_000, "2026-10-03T00:00:00Z");
    await use(hub, "twice_pro", "payments", 10_000, "2026-10-15T00:00:00Z");
    await use(hub, "twice_pro", "payments", 10_000, "2026-10-21T00:00:00Z");
    await use(hub, "twice_pro", "payments", 10_000, "2026-10-22T00:00:00Z");
    const preview = await hub.previewInvoice("twice_pro", { period: "2026-10" });
    // Each pro part: the first payment free, the second 1.2 % + 10 = 130; the free part is not charged.
    expect(preview.lineItems.filter((line) => line.chargeKey === "payments").map((line) => line.amount)).toEqual([130, 130]);
    await hub.runInvoices({ period: "2026-10" });
    const [summary] = (await hub.listInvoices({ customerId: "twice_pro" })).invoices;
    const { id: _id, number: _number, periodKey: _key, provider: _provider, status: _status, createdAt: _created, ...stored } = await hub.getInvoice(summary!.id);
    expect(stored).toEqual(preview);
  });

  it("cuts a window so that its parts' usage adds up to the whole window's, and no instant is priced twice", async () => {
    const hours = (n: number) => new Date(Date.UTC(2026, 9, 1) + n * 3_600_000);
    let run = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.uniqueArray(fc.integer({ min: 0, max: 30 * 24 }), { maxLength: 4 }),
        fc.array(fc.record({ hour: fc.integer({ min: 0, max: 31 * 24 - 1 }), minute: fc.integer({ min: 0, max: 59 }), quantity: fc.integer({ min: 1, max: 9 }) }), { maxLength: 12 }),
        async (changes, events) => {
          const id = `split_${run++}`;
          await customer(hub, id);
          const sorted = [...changes].sort((a, b) => a - b);
          for (const [index, hour] of sorted.entries()) await hub.assign(id, index % 2 === 0 ? "pro" : "metered", { effectiveAt: hours(hour) });
          for (const [index, event] of events.entries()) {
            await hub.record({ customerId: id, meter: "api_calls", quantity: event.quantity, timestamp: new Date(hours(event.hour).getTime() + event.minute * 60_000), transactionId: `${id}:${index}` });
          }
          const window = { customerId: id, from: hours(0), to: hours(31 * 24) };
          const parts = (await planSpans(store, [window])).get(id)!;
          expect(parts[0]!.from).toEqual(window.from);
          expect(parts[parts.length - 1]!.to).toEqual(window.to);
          for (let i = 1; i < parts.length; i++) expect(parts[i]!.from).toEqual(parts[i - 1]!.to);
          const meters = [hub.catalog.meters.api_calls!];
          const split = await queryUsageTotals(store, { scopes: parts.map((part) => ({ customerId: id, from: part.from, to: part.to })), meters });
          const whole = await queryUsageTotals(store, { scopes: [window], meters });
          const sum = split.reduce((total, row) => total + Number(row.value), 0);
          expect(sum).toBe(Number(whole[0]?.value ?? 0));
          expect(sum).toBe(events.reduce((total, event) => total + event.quantity, 0));
        },
      ),
      { numRuns: driverName === "pg" ? 25 : 15 },
    );
  });
});
