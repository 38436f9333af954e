import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { defineCatalog } from "../../../src/core/catalog/index.ts";
import { uninvoicedPieces } from "../../../src/core/invoicing/interval-window.ts";
import { createHub, type Hub } from "../../../src/hub.ts";
import { customer } from "../../support/invoicing.ts";
import { driverName, openTestStore, type TestStore } from "../../support/store.ts";
import { testClock } from "../entitlements-catalog.ts";

/**
 * Money credits of a customer moving between monthly and yearly plans through 2026 (on either
 * since Jan 1), with random
 * grants and the monthly runs as the months end; the year's run (2026) comes once the year has
 * ended, somewhere among the last monthly runs. Whatever the order the runs invoice in:
 * - no grant loses credit (an expiry or a rollover) at an instant after time it was in effect in
 *   that an invoice written later bills (that invoice could have drawn it);
 * - every grant's balance is granted − drawn − expired, never below zero;
 * - once every period of 2026 is invoiced, every grant in effect before 2027 is settled through
 *   Jan 1, 2027: nothing waits for ever.
 */
const catalog = defineCatalog({
  currency: "USD",
  meters: { api_calls: { aggregation: "sum" } },
  features: { api: { type: "metered", meter: "api_calls" } },
  plans: {
    monthly: { name: "Monthly", features: { api: 0 }, charges: [{ key: "base", model: "flat", amount: 1000 }] },
    yearly: { name: "Yearly", interval: "year", features: { api: 0 }, charges: [{ key: "base", model: "flat", amount: 6000 }] },
  },
  defaultPlan: "monthly",
});

const DAY = 86_400_000;
const YEAR_END = Date.parse("2027-01-01T00:00:00Z");

const grantArb = fc.record({
  amount: fc.integer({ min: 1, max: 60 }).map((n) => n * 100),
  priority: fc.integer({ min: 0, max: 2 }),
  startsInDays: fc.integer({ min: -3, max: 20 }),
  lastsDays: fc.option(fc.integer({ min: 1, max: 120 }), { nil: null }),
  rollover: fc.oneof(fc.constant("all" as const), fc.constant("none" as const), fc.integer({ min: 0, max: 15 }).map((cap) => ({ cap: cap * 100 }))),
});

const opArb = fc.oneof(
  { weight: 3, arbitrary: grantArb.map((g) => ({ type: "grant" as const, g })) },
  { weight: 4, arbitrary: fc.integer({ min: 1, max: 45 }).map((days) => ({ type: "advance" as const, days })) },
  { weight: 2, arbitrary: fc.constantFrom("monthly", "yearly").map((plan) => ({ type: "change" as const, plan })) },
  { weight: 3, arbitrary: fc.constant({ type: "run" as const }) },
);

const clock = testClock("2026-01-01T00:00:00Z");
let store: TestStore;
let hub: Hub;
let run = 0;

beforeAll(async () => {
  store = await openTestStore();
  hub = await createHub({ catalog }, { store, now: clock.now });
});
afterAll(async () => {
  await hub.close();
  await store.cleanup();
});

interface Grant {
  id: string;
  effective: number;
  expires: number | null;
}

const monthKey = (month: number) => `2026-${String(month + 1).padStart(2, "0")}`;
const monthEnd = (month: number) => Date.UTC(2026, month + 1, 1);

describe(`money credits across yearly ↔ monthly changes, runs in any order (${driverName})`, () => {
  it("never takes credit from a grant before a window that could draw it is invoiced, and settles every grant once all is invoiced", async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom("monthly", "yearly"), fc.array(opArb, { minLength: 1, maxLength: 20 }), fc.nat(), async (plan, ops, yearAt) => {
        run += 1;
        const id = `mim${run}`;
        clock.set("2026-01-01T00:00:00Z");
        await customer(hub, id, { plan, createdAt: "2026-01-01T00:00:00Z" });
        const grants: Grant[] = [];
        let nextMonth = 0;
        let n = 0;

        /** Runs `period` and checks the invoices it wrote against the forfeits written before it. */
        const runChecked = async (period: string) => {
          const before = (await hub.credits.history(id, { limit: 500 })).entries.filter((entry) => entry.kind === "expire");
          const result = await hub.invoices.run({ period });
          expect(result.failed).toEqual([]);
          const { invoices } = await hub.invoices.list({ customerId: id, limit: 100 });
          const written = invoices.find((invoice) => invoice.periodKey === period);
          if (written === undefined) return;
          // The invoice's own time: its window less what other invoices bill (no instant twice).
          const others = invoices.filter((invoice) => invoice.id !== written.id).map((invoice) => invoice.period);
          const own = uninvoicedPieces(written.period, others);
          for (const forfeit of before) {
            const grant = grants.find((g) => g.id === forfeit.grantId)!;
            const t = forfeit.at.getTime();
            for (const piece of own) {
              // Time of this invoice before the forfeit in which the grant was in effect.
              const from = Math.max(piece.from.getTime(), grant.effective);
              const to = Math.min(piece.to.getTime(), t, grant.expires ?? Infinity);
              expect(from < to, `${forfeit.grantId} lost ${forfeit.amount} at ${forfeit.at.toISOString()} before ${period} billed ${new Date(from).toISOString()}`).toBe(false);
            }
          }
        };

        for (const op of ops) {
          const now = clock.now().getTime();
          switch (op.type) {
            case "grant": {
              const { g } = op;
              const effective = now + g.startsInDays * DAY;
              const grant: Grant = { id: `g${++n}`, effective, expires: g.lastsDays === null ? null : effective + g.lastsDays * DAY };
              await hub.credits.grant(id, {
                id: grant.id,
                currency: "USD",
                amount: g.amount,
                priority: g.priority,
                effectiveAt: new Date(grant.effective),
                expiresAt: grant.expires === null ? null : new Date(grant.expires),
                rollover: g.rollover,
              });
              grants.push(grant);
              break;
            }
            case "advance":
              clock.set(new Date(Math.min(now + op.days * DAY, YEAR_END - 2 * DAY)).toISOString());
              break;
            case "change":
              // A day on, so no change is dated at the instant of an earlier settlement.
              clock.set(new Date(Math.min(now + DAY, YEAR_END - DAY)).toISOString());
              await hub.customers.assign(id, op.plan);
              break;
            case "run":
              if (nextMonth < 12 && monthEnd(nextMonth) <= now) await runChecked(monthKey(nextMonth++));
              break;
          }
        }

        // The year has ended: the months left and the year, the year at a random place among them.
        clock.set("2027-01-02T00:00:00Z");
        const left = Array.from({ length: 12 - nextMonth }, (_, i) => monthKey(nextMonth + i));
        left.splice(yearAt % (left.length + 1), 0, "2026");
        for (const period of left) await runChecked(period);

        const balance = await hub.credits.balance(id);
        expect(Number(balance.money.available) + Number(balance.money.scheduled)).toBe(Number(balance.money.granted) - Number(balance.money.drawn) - Number(balance.money.expired));
        const { rows } = await store.query<{ id: string; remaining: string; from_ledger: string; settled_through: Date; effective_at: Date }>(
          `SELECT g.id, g.remaining::text AS remaining, g.settled_through, g.effective_at,
                  (sum(e.amount) FILTER (WHERE e.kind = 'grant') - COALESCE(sum(e.amount) FILTER (WHERE e.kind <> 'grant'), 0))::text AS from_ledger
           FROM credit_grants g JOIN credit_entries e ON e.customer_id = g.customer_id AND e.grant_id = g.id
           WHERE g.customer_id = $1 GROUP BY g.id, g.remaining, g.settled_through, g.effective_at`,
          [id],
        );
        for (const row of rows) {
          expect(row.from_ledger).toBe(row.remaining);
          expect(Number(row.remaining)).toBeGreaterThanOrEqual(0);
          // All of 2026 is invoiced: no grant in effect before its end waits any more.
          if (row.effective_at.getTime() < YEAR_END && Number(row.remaining) > 0) expect(row.settled_through.getTime(), row.id).toBe(YEAR_END);
        }
      }),
      { numRuns: 12 },
    );
  });
});
