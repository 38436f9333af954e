import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHub, type Hub } from "../../../src/hub.ts";
import type { CatalogInput } from "../../../src/core/catalog/index.ts";
import { queryUsageTotals } from "../../../src/store/ledger/aggregate.ts";
import { planSpans } from "../../../src/store/plan-change-repository.ts";
import { testClock } from "../../support/ledger.ts";
import { customer, INVOICING_CATALOG, use } from "../../support/invoicing.ts";
import { driverName, openTestStore, type TestStore } from "../../support/store.ts";

const pro = INVOICING_CATALOG.plans.pro!;
const catalog = (proration: "second" | "day"): CatalogInput => ({
  ...INVOICING_CATALOG,
  proration,
  plans: {
    ...INVOICING_CATALOG.plans,
    pro_trial: { ...pro, name: "Pro (14-day trial)", trial: { days: 14 } },
    team: { name: "Team", charges: [{ key: "platform", model: "flat", amount: 9900, description: "Platform fee" }, { key: "api", meter: "api_calls", model: "per_unit", unitAmount: "0.25" }] },
  },
});

const NOW = "2026-11-02T09:00:00.000Z";
const clock = testClock(NOW);
let store: TestStore;
let byDay: Hub;
let bySecond: Hub;

beforeAll(async () => {
  store = await openTestStore();
  byDay = await createHub({ catalog: catalog("day") }, { store, now: clock.now });
  bySecond = await createHub({ catalog: catalog("second") }, { store, now: clock.now });
});
afterAll(async () => {
  await byDay.close();
  await bySecond.close();
  await store.cleanup();
});

const flat = (invoice: { lineItems: ReadonlyArray<{ chargeKey: string; amount: number; description: string }> }) =>
  invoice.lineItems.filter((line) => line.chargeKey === "platform").map((line) => [line.amount, line.description]);

describe(`prorated flat fees (${driverName})`, () => {
  it("bills an upgrade on the 10th 22 of October's 31 days of the new plan's fee (by day), and the commitment tops up the whole", async () => {
    await customer(byDay, "pr_up");
    await byDay.assign("pr_up", "pro", { effectiveAt: "2026-10-10T00:00:00Z" });
    const invoice = await byDay.previewInvoice("pr_up", { period: "2026-10" });
    // 4900 × 22 / 31 = 3477.419… → 3477.
    expect(flat(invoice)).toEqual([[3477, "Platform fee (plan pro, 2026-10-10T00:00:00Z to 2026-11-01T00:00:00Z: 22 of 31 days)"]]);
    expect(invoice.lineItems.at(-1)).toMatchObject({ chargeKey: "minimum_commitment", amount: 10_000 - 3477 });
  });

  it("bills a downgrade on the 20th the old plan's fee for the 19 days held and the free plan nothing; by the second a change at 15:00 counts its hours", async () => {
    await customer(byDay, "pr_down", { plan: "pro" });
    await byDay.unassign("pr_down", { effectiveAt: "2026-10-20T15:00:00Z" });
    // By day: Oct 1–20 = 19 days → 4900 × 19/31 = 3003.2 → 3003. By second: 19 d 15 h of 31 d → 3102.02… → 3102.
    expect(flat(await byDay.previewInvoice("pr_down", { period: "2026-10" })).map(([amount]) => amount)).toEqual([3003]);
    expect(flat(await bySecond.previewInvoice("pr_down", { period: "2026-10" })).map(([amount]) => amount)).toEqual([3102]);
    const invoice = await bySecond.previewInvoice("pr_down", { period: "2026-10" });
    expect(invoice.plan).toBe("free");
    expect(invoice.lineItems.some((line) => line.chargeKey === "minimum_commitment")).toBe(false);
  });

  it("bills nothing for the trial part of a trial that converts and its share of the fee for the paid part after it", async () => {
    await customer(byDay, "pr_trial");
    await byDay.assign("pr_trial", "pro_trial", { trial: true, effectiveAt: "2026-10-01T00:00:00Z" });
    await use(byDay, "pr_trial", "api_calls", 1200, "2026-10-03T00:00:00Z");
    const invoice = await byDay.previewInvoice("pr_trial", { period: "2026-10" });
    // Trial Oct 1–15, paid Oct 15–Nov 1: 4900 × 17/31 = 2687.09… → 2687; the trial's usage is priced (200 × 0.5).
    expect(flat(invoice)).toEqual([[2687, "Platform fee (plan pro_trial, 2026-10-15T00:00:00Z to 2026-11-01T00:00:00Z: 17 of 31 days)"]]);
    expect(invoice.lineItems[0]).toMatchObject({ chargeKey: "api", amount: 100 });
  });

  it("bills a customer without a plan change in the window exactly as without proration", async () => {
    await customer(byDay, "pr_steady", { plan: "pro" });
    const invoice = await byDay.previewInvoice("pr_steady", { period: "2026-10" });
    expect(flat(invoice)).toEqual([[4900, "Platform fee"]]);
  });

  it("never bills an instant's flat fee twice: the parts' prorated fees add up to the plan's fee times its share, and the parts' usage to the window's", async () => {
    const hours = (n: number) => new Date(Date.UTC(2026, 9, 1) + n * 3_600_000);
    const window = { from: hours(0), to: hours(31 * 24) };
    const seconds = (part: { from: Date; to: Date }) => (part.to.getTime() - part.from.getTime()) / 1000;
    let run = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.uniqueArray(fc.record({ hour: fc.integer({ min: 0, max: 30 * 24 }), plan: fc.constantFrom("pro", "team", "free", "pro_trial") }), { maxLength: 4, selector: (change) => change.hour }),
        fc.array(fc.record({ hour: fc.integer({ min: 0, max: 31 * 24 - 1 }), quantity: fc.integer({ min: 1, max: 9 }) }), { maxLength: 8 }),
        async (changes, events) => {
          const id = `pr_split_${run++}`;
          await customer(bySecond, id);
          // Each change made at its own instant, as it would be: a trial's end is ahead of the next change or behind it.
          try {
            for (const change of [...changes].sort((a, b) => a.hour - b.hour)) {
              clock.set(hours(change.hour).toISOString());
              await bySecond.assign(id, change.plan, change.plan === "pro_trial" ? { trial: true } : {});
            }
          } finally {
            clock.set(NOW);
          }
          for (const [index, event] of events.entries()) await use(bySecond, id, "api_calls", event.quantity, new Date(hours(event.hour).getTime() + index * 1000).toISOString());
          const parts = (await planSpans(store, [{ customerId: id, ...window }])).get(id)!;
          expect(parts[0]!.from).toEqual(window.from);
          expect(parts.at(-1)!.to).toEqual(window.to);
          for (let i = 1; i < parts.length; i++) expect(parts[i]!.from).toEqual(parts[i - 1]!.to);
          const meters = [bySecond.catalog.meters.api_calls!];
          const split = await queryUsageTotals(store, { scopes: parts.map((part) => ({ customerId: id, from: part.from, to: part.to })), meters });
          expect(split.reduce((total, row) => total + Number(row.value), 0)).toBe(events.reduce((total, event) => total + event.quantity, 0));

          const invoice = await bySecond.previewInvoice(id, { period: "2026-10" });
          const fees = invoice.lineItems.filter((line) => line.chargeKey === "platform").map((line) => line.amount);
          const fee: Record<string, number> = { pro: 4900, pro_trial: 4900, team: 9900 };
          const paid = parts.filter((part) => part.planKey !== null && part.planKey in fee && !part.trial);
          const expected = paid.reduce((total, part) => total + (fee[part.planKey!]! * seconds(part)) / seconds(window), 0);
          if (parts.length === 1) expect(fees).toEqual(paid.map((part) => fee[part.planKey!]));
          else expect(Math.abs(fees.reduce((total, fee) => total + fee, 0) - expected)).toBeLessThanOrEqual(fees.length / 2);
        },
      ),
      { numRuns: driverName === "pg" ? 20 : 12 },
    );
  });
});
