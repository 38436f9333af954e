import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { defineCatalog } from "../../../src/core/catalog/index.ts";
import { createHub, type Hub } from "../../../src/hub.ts";
import { customer } from "../../support/invoicing.ts";
import { driverName, openTestStore, type TestStore } from "../../support/store.ts";
import { testClock } from "../entitlements-catalog.ts";
import { creditsCatalog } from "./credits-catalog.ts";

/**
 * Random sequences of grants, consumes, time passing (expiries, rollovers at month ends) and
 * invoice runs against a reference model of the credit rules, on whichever store the suite runs
 * on. The unit customer is on "free" (no API calls included: every consume draws credits); the
 * money customer is on "starter" without usage, so each month bills its 2000 flat fee.
 */
const DAY = 86_400_000;
const START = Date.parse("2026-01-01T00:00:00Z");

interface ModelGrant {
  id: string;
  priority: number;
  effective: number;
  expires: number | null;
  rollover: { policy: "none" | "all" } | { policy: "cap"; cap: number };
  amount: number;
  remaining: number;
  settled: number;
}

interface Totals {
  granted: number;
  drawn: number;
  expired: number;
}

/** Calendar month starts in (after, through]. */
function monthStarts(after: number, through: number): number[] {
  const starts: number[] = [];
  const d = new Date(after);
  let next = Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1);
  while (next <= through) {
    starts.push(next);
    const n = new Date(next);
    next = Date.UTC(n.getUTCFullYear(), n.getUTCMonth() + 1, 1);
  }
  return starts;
}

function kept(grant: ModelGrant, remaining: number): number {
  const policy = grant.rollover;
  if (policy.policy === "cap") return Math.min(remaining, policy.cap);
  return policy.policy === "all" ? remaining : 0;
}

/** Applies rollovers at `ends` (in order) and the expiry up to `through`, as the rules say. */
function settleModel(grant: ModelGrant, totals: Totals, ends: number[], through: number): void {
  if (through <= grant.settled) return;
  const expiry = grant.expires !== null && grant.expires <= through ? grant.expires : null;
  for (const end of ends) {
    if (expiry !== null && end >= expiry) break;
    const left = kept(grant, grant.remaining);
    totals.expired += grant.remaining - left;
    grant.remaining = left;
  }
  if (expiry !== null && expiry > grant.settled) {
    totals.expired += grant.remaining;
    grant.remaining = 0;
  }
  grant.settled = through;
}

function drawOrder(a: ModelGrant, b: ModelGrant): number {
  return a.priority - b.priority || (a.expires ?? Infinity) - (b.expires ?? Infinity) || a.effective - b.effective || (a.id < b.id ? -1 : 1);
}

function draw(grants: ModelGrant[], need: number, totals: Totals): number {
  let left = need;
  for (const grant of [...grants].sort(drawOrder)) {
    const take = Math.min(grant.remaining, left);
    grant.remaining -= take;
    totals.drawn += take;
    left -= take;
  }
  return need - left;
}

const grantArb = fc.record({
  amount: fc.integer({ min: 1, max: 40 }),
  priority: fc.integer({ min: 0, max: 2 }),
  startsInDays: fc.integer({ min: -3, max: 10 }),
  lastsDays: fc.option(fc.integer({ min: 1, max: 60 }), { nil: null }),
  rollover: fc.oneof(fc.constant({ policy: "all" as const }), fc.constant({ policy: "none" as const }), fc.integer({ min: 0, max: 15 }).map((cap) => ({ policy: "cap" as const, cap }))),
});

const opArb = fc.oneof(
  { weight: 3, arbitrary: grantArb.map((g) => ({ type: "units" as const, g })) },
  { weight: 2, arbitrary: grantArb.map((g) => ({ type: "money" as const, g: { ...g, amount: g.amount * 100 } })) },
  { weight: 5, arbitrary: fc.integer({ min: 1, max: 25 }).map((amount) => ({ type: "consume" as const, amount })) },
  { weight: 3, arbitrary: fc.integer({ min: 1, max: 25 }).map((days) => ({ type: "advance" as const, days })) },
  { weight: 2, arbitrary: fc.constant({ type: "invoice" as const }) },
);

const clock = testClock("2026-01-01T00:00:00Z");
let store: TestStore;
let hub: Hub;
let run = 0;

beforeAll(async () => {
  store = await openTestStore();
  hub = await createHub({ catalog: creditsCatalog }, { store, now: clock.now });
});
afterAll(async () => {
  await hub.close();
  await store.cleanup();
});

function rollover(g: ModelGrant["rollover"]) {
  return g.policy === "cap" ? { cap: g.cap } : g.policy;
}

describe(`credits against a reference model (${driverName})`, () => {
  it("keeps balance = granted − drawn − expired, never negative, as the model does", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(opArb, { minLength: 1, maxLength: 18 }), async (ops) => {
        run += 1;
        clock.set("2026-01-01T00:00:00Z");
        const unitsId = `mu${run}`;
        const moneyId = `mm${run}`;
        await customer(hub, unitsId, { createdAt: "2025-12-01T00:00:00Z" });
        await customer(hub, moneyId, { plan: "starter", createdAt: "2025-12-01T00:00:00Z" });
        const units: ModelGrant[] = [];
        const money: ModelGrant[] = [];
        const unitTotals: Totals = { granted: 0, drawn: 0, expired: 0 };
        const moneyTotals: Totals = { granted: 0, drawn: 0, expired: 0 };
        let invoicedThrough = START;
        let n = 0;

        for (const op of ops) {
          const now = clock.now().getTime();
          switch (op.type) {
            case "units":
            case "money": {
              const { g } = op;
              const grant: ModelGrant = {
                id: `g${++n}`,
                priority: g.priority,
                effective: now + g.startsInDays * DAY,
                expires: g.lastsDays === null ? null : now + (g.startsInDays + g.lastsDays) * DAY,
                rollover: op.type === "money" && g.rollover.policy === "cap" ? { policy: "cap", cap: g.rollover.cap * 100 } : g.rollover,
                amount: g.amount,
                remaining: g.amount,
                settled: now + g.startsInDays * DAY,
              };
              const input = {
                id: grant.id,
                amount: grant.amount,
                priority: grant.priority,
                effectiveAt: new Date(grant.effective),
                expiresAt: grant.expires === null ? null : new Date(grant.expires),
                rollover: rollover(grant.rollover),
                ...(op.type === "units" ? { feature: "api" } : { currency: "USD" }),
              };
              await hub.credits.grant(op.type === "units" ? unitsId : moneyId, input);
              (op.type === "units" ? units : money).push(grant);
              (op.type === "units" ? unitTotals : moneyTotals).granted += grant.amount;
              break;
            }
            case "consume": {
              for (const grant of units) settleModel(grant, unitTotals, monthStarts(Math.max(grant.settled, grant.effective), now), now);
              const usable = units.filter((grant) => grant.effective <= now && (grant.expires === null || now < grant.expires) && grant.remaining > 0);
              const available = usable.reduce((sum, grant) => sum + grant.remaining, 0);
              const result = await hub.consume(unitsId, "api", op.amount, `${unitsId}-${++n}`);
              expect(result.status).toBe(op.amount <= available ? "created" : "refused");
              if (result.status === "created") expect(draw(usable, op.amount, unitTotals)).toBe(op.amount);
              break;
            }
            case "advance":
              clock.advance(op.days * DAY);
              break;
            case "invoice": {
              // The next month that has ended and has no invoice yet.
              const from = new Date(invoicedThrough);
              const to = Date.UTC(from.getUTCFullYear(), from.getUTCMonth() + 1, 1);
              if (to > now) break;
              await hub.runInvoices({ period: from.toISOString().slice(0, 7) });
              invoicedThrough = to;
              const eligible = money.filter((grant) => grant.effective < to && (grant.expires === null || grant.expires > from.getTime()) && grant.settled < to && grant.remaining > 0);
              const drawn = draw(eligible, 2000, moneyTotals);
              for (const grant of money) if (grant.remaining > 0) settleModel(grant, moneyTotals, Math.max(grant.settled, grant.effective) < to ? [to] : [], to);
              const { invoices } = await hub.listInvoices({ customerId: moneyId, period: from.toISOString().slice(0, 7) });
              expect(invoices[0]!.subtotal).toBe(2000 - drawn);
              break;
            }
          }
        }

        const now = clock.now().getTime();
        for (const grant of units) settleModel(grant, unitTotals, monthStarts(Math.max(grant.settled, grant.effective), now), now);
        const unitBalance = await hub.credits.balance(unitsId);
        const moneyBalance = await hub.credits.balance(moneyId);
        const expected = (grants: ModelGrant[], totals: Totals) => ({
          available: String(grants.filter((grant) => grant.effective <= now).reduce((sum, grant) => sum + grant.remaining, 0)),
          scheduled: String(grants.filter((grant) => grant.effective > now).reduce((sum, grant) => sum + grant.remaining, 0)),
          granted: String(totals.granted),
          drawn: String(totals.drawn),
          expired: String(totals.expired),
        });
        if (units.length > 0) expect(unitBalance.units.api).toEqual(expected(units, unitTotals));
        expect(moneyBalance.money).toEqual({ currency: "USD", ...expected(money, moneyTotals) });
        for (const totals of [unitBalance.units.api, moneyBalance.money]) {
          if (totals === undefined) continue;
          expect(Number(totals.available) + Number(totals.scheduled)).toBe(Number(totals.granted) - Number(totals.drawn) - Number(totals.expired));
        }
        // The ledger alone gives every grant's balance, and none is below zero.
        const { rows } = await store.query<{ id: string; remaining: string; from_ledger: string }>(
          `SELECT g.id, g.remaining::text AS remaining,
                  (sum(e.amount) FILTER (WHERE e.kind = 'grant') - COALESCE(sum(e.amount) FILTER (WHERE e.kind <> 'grant'), 0))::text AS from_ledger
           FROM credit_grants g JOIN credit_entries e ON e.customer_id = g.customer_id AND e.grant_id = g.id
           WHERE g.customer_id IN ($1, $2) GROUP BY g.id, g.remaining`,
          [unitsId, moneyId],
        );
        for (const row of rows) {
          expect(row.from_ledger).toBe(row.remaining);
          expect(Number(row.remaining)).toBeGreaterThanOrEqual(0);
        }
      }),
      { numRuns: 12 },
    );
  });
});

/**
 * The unit rules again with the customer changing interval (month, year, ISO week) between
 * random grants and consumes. The model's period ends come from its own day-by-day history: in
 * each calendar month, year or ISO week, the last day held on a plan of that interval ends a
 * period (the window its invoice run bills), the plan held now counting as held from then on.
 */
const intervalCatalog = defineCatalog({
  currency: "USD",
  meters: { api_calls: { aggregation: "sum" } },
  features: { api: { type: "metered", meter: "api_calls", reset: "month" } },
  plans: {
    free: { name: "Free", features: { api: 0 } },
    free_yearly: { name: "Free yearly", interval: "year", features: { api: 0 } },
    free_weekly: { name: "Free weekly", interval: "week", features: { api: 0 } },
  },
  defaultPlan: "free",
});

type Interval = "month" | "year" | "week";
const PLAN_OF: Record<Interval, string> = { month: "free", year: "free_yearly", week: "free_weekly" };
const HISTORY_FROM = Date.UTC(2025, 0, 1);
const HISTORY_TO = Date.UTC(2029, 0, 1);

/** The calendar period of `interval` holding the day at `day` (a UTC midnight), as a key. */
function periodKey(interval: Interval, day: number): string {
  const d = new Date(day);
  if (interval === "year") return `y${d.getUTCFullYear()}`;
  if (interval === "month") return `m${d.getUTCFullYear()}-${d.getUTCMonth()}`;
  return `w${day - ((d.getUTCDay() + 6) % 7) * DAY}`;
}

/** Period ends in (after, through] of a history of changes (time order, the first at HISTORY_FROM). */
function historyEnds(history: ReadonlyArray<{ at: number; interval: Interval }>, after: number, through: number): number[] {
  const lastDay = new Map<string, number>();
  let index = 0;
  for (let day = HISTORY_FROM; day < HISTORY_TO; day += DAY) {
    while (index + 1 < history.length && history[index + 1]!.at <= day) index += 1;
    const interval = history[index]!.interval;
    lastDay.set(`${interval}:${periodKey(interval, day)}`, day + DAY);
  }
  return [...new Set(lastDay.values())].filter((end) => end > after && end <= through).sort((a, b) => a - b);
}

const intervalOpArb = fc.oneof(
  { weight: 3, arbitrary: grantArb.map((g) => ({ type: "units" as const, g })) },
  { weight: 4, arbitrary: fc.integer({ min: 1, max: 25 }).map((amount) => ({ type: "consume" as const, amount })) },
  { weight: 3, arbitrary: fc.integer({ min: 1, max: 40 }).map((days) => ({ type: "advance" as const, days })) },
  { weight: 2, arbitrary: fc.constantFrom<Interval>("month", "year", "week").map((interval) => ({ type: "change" as const, interval })) },
);

describe(`unit credits against a reference model, changing interval (${driverName})`, () => {
  let intervalStore: TestStore;
  let intervalHub: Hub;
  const intervalClock = testClock("2026-01-01T00:00:00Z");
  beforeAll(async () => {
    intervalStore = await openTestStore();
    intervalHub = await createHub({ catalog: intervalCatalog }, { store: intervalStore, now: intervalClock.now });
  });
  afterAll(async () => {
    await intervalHub.close();
    await intervalStore.cleanup();
  });

  it("rolls over at the ends of the periods of the plan history, as the model does", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(intervalOpArb, { minLength: 1, maxLength: 18 }), async (ops) => {
        run += 1;
        intervalClock.set("2026-01-01T00:00:00Z");
        const id = `mi${run}`;
        await customer(intervalHub, id, { createdAt: "2025-12-01T00:00:00Z" });
        const history: Array<{ at: number; interval: Interval }> = [{ at: HISTORY_FROM, interval: "month" }];
        const grants: ModelGrant[] = [];
        const totals: Totals = { granted: 0, drawn: 0, expired: 0 };
        let n = 0;
        const settleAllModel = (now: number) => {
          for (const grant of grants) settleModel(grant, totals, historyEnds(history, Math.max(grant.settled, grant.effective), now), now);
        };

        for (const op of ops) {
          const now = intervalClock.now().getTime();
          switch (op.type) {
            case "units": {
              const { g } = op;
              const effective = now + g.startsInDays * DAY;
              const grant: ModelGrant = {
                id: `g${++n}`,
                priority: g.priority,
                effective,
                expires: g.lastsDays === null ? null : effective + g.lastsDays * DAY,
                rollover: g.rollover,
                amount: g.amount,
                remaining: g.amount,
                settled: effective,
              };
              await intervalHub.credits.grant(id, {
                id: grant.id,
                feature: "api",
                amount: grant.amount,
                priority: grant.priority,
                effectiveAt: new Date(grant.effective),
                expiresAt: grant.expires === null ? null : new Date(grant.expires),
                rollover: rollover(grant.rollover),
              });
              grants.push(grant);
              totals.granted += grant.amount;
              break;
            }
            case "consume": {
              settleAllModel(now);
              const usable = grants.filter((grant) => grant.effective <= now && (grant.expires === null || now < grant.expires) && grant.remaining > 0);
              const available = usable.reduce((sum, grant) => sum + grant.remaining, 0);
              const result = await intervalHub.consume(id, "api", op.amount, `${id}-${++n}`);
              expect(result.status).toBe(op.amount <= available ? "created" : "refused");
              if (result.status === "created") expect(draw(usable, op.amount, totals)).toBe(op.amount);
              break;
            }
            case "advance":
              intervalClock.advance(op.days * DAY);
              break;
            case "change": {
              // A day on, so no change is dated at the instant of an earlier settlement.
              intervalClock.advance(DAY);
              await intervalHub.customers.assign(id, PLAN_OF[op.interval]);
              history.push({ at: intervalClock.now().getTime(), interval: op.interval });
              break;
            }
          }
        }

        const now = intervalClock.now().getTime();
        settleAllModel(now);
        const balance = await intervalHub.credits.balance(id);
        if (grants.length === 0) return;
        expect(balance.units.api).toEqual({
          available: String(grants.filter((grant) => grant.effective <= now).reduce((sum, grant) => sum + grant.remaining, 0)),
          scheduled: String(grants.filter((grant) => grant.effective > now).reduce((sum, grant) => sum + grant.remaining, 0)),
          granted: String(totals.granted),
          drawn: String(totals.drawn),
          expired: String(totals.expired),
        });
      }),
      { numRuns: 12 },
    );
  });
});
