import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { MeterSpec } from "../../src/store/ledger/aggregate.ts";
import { queryUsageBuckets, queryUsageTotals, queryUsageValue } from "../../src/store/ledger/aggregate.ts";
import { insertEvents, type LedgerRow } from "../../src/store/ledger/insert-events.ts";
import { insertReset } from "../../src/store/ledger/resets.ts";
import { compactRollups } from "../../src/store/rollups/compact-rollups.ts";
import { findRollupMismatches } from "../../src/store/rollups/verify-rollups.ts";
import { canonicalDecimal } from "../../src/core/decimal.ts";
import type { BucketUnit } from "../../src/core/buckets.ts";
import type { Sql } from "../../src/store/types.ts";
import { createCustomer, ledgerCatalog } from "../support/ledger.ts";
import { driverName, openTestStore, type TestStore } from "../support/store.ts";

const METERS: MeterSpec[] = Object.values(ledgerCatalog.meters);
const HOUR = 3_600_000;
/** Events land in the 48 hours from here; windows start and end up to an hour either side. */
const ORIGIN = Date.parse("2026-03-01T00:00:00Z");
const KINDS = ["usage", "usage", "usage", "correction", "refund", "bonus"] as const;

let store: TestStore;
let run = 0;

beforeAll(async () => {
  store = await openTestStore();
});
afterAll(() => store.cleanup());

/** An instant on or near an hour boundary as often as anywhere inside an hour. */
const instantArb = fc
  .record({ hour: fc.integer({ min: -1, max: 49 }), offset: fc.oneof(fc.constantFrom(0, 1, HOUR - 1, 30 * 60_000), fc.integer({ min: 0, max: HOUR - 1 })) })
  .map(({ hour, offset }) => new Date(ORIGIN + hour * HOUR + offset));

const eventArb = fc.record({
  customer: fc.integer({ min: 0, max: 1 }),
  meter: fc.constantFrom(...METERS.map((meter) => meter.key)),
  kind: fc.constantFrom(...KINDS),
  quantity: fc.constantFrom("0", "1", "2.5", "7", "1500", "0.001"),
  negative: fc.boolean(),
  at: instantArb.filter((at) => at.getTime() >= ORIGIN && at.getTime() < ORIGIN + 48 * HOUR),
  model: fc.constantFrom("a", "b", "c"),
});
type EventInput = typeof eventArb extends fc.Arbitrary<infer T> ? T : never;

/**
 * What happens to the ledger, in order: new batches (with timestamps anywhere in the 48 hours,
 * so later batches backdate), resends of earlier rows mixed with new ones (duplicates), a batch
 * refused for a conflicting id after its insert (taken back), resets of the feature "api", and
 * compactions of the days before one of the 48 hours' day boundaries into day and month rows (so
 * later batches backdate into compacted days, and refusals take back rows there).
 */
const stepArb = fc.oneof(
  { weight: 4, arbitrary: fc.record({ type: fc.constant("batch" as const), events: fc.array(eventArb, { minLength: 1, maxLength: 12 }) }) },
  { weight: 2, arbitrary: fc.record({ type: fc.constant("resend" as const), pick: fc.array(fc.nat(), { minLength: 1, maxLength: 5 }), events: fc.array(eventArb, { maxLength: 4 }) }) },
  { weight: 1, arbitrary: fc.record({ type: fc.constant("conflict" as const), pick: fc.nat(), events: fc.array(eventArb, { minLength: 1, maxLength: 4 }) }) },
  { weight: 1, arbitrary: fc.record({ type: fc.constant("reset" as const), customer: fc.integer({ min: 0, max: 1 }), at: instantArb }) },
  { weight: 1, arbitrary: fc.record({ type: fc.constant("compact" as const), days: fc.integer({ min: 0, max: 2 }) }) },
);

type Step = typeof stepArb extends fc.Arbitrary<infer T> ? T : never;

/** An instant on or near a UTC day boundary of the 48 hours, where compacted days start and end. */
const dayEdgeArb = fc
  .record({ day: fc.integer({ min: 0, max: 2 }), offset: fc.constantFrom(0, 0, -1, 1, -HOUR - 1, HOUR + 1) })
  .map(({ day, offset }) => new Date(ORIGIN + day * 24 * HOUR + offset));

/** A window: an instant (a day boundary as often as not), or unbounded (null) on either side now and then. */
const windowEdgeArb = fc.option(fc.oneof(instantArb, dayEdgeArb), { freq: 6 });
const windowArb = fc.record({ from: windowEdgeArb, to: windowEdgeArb });

function ledgerRow(id: string, customers: string[], event: EventInput): LedgerRow {
  const signed = event.kind === "refund" || event.kind === "bonus" ? `-${event.quantity === "0" ? "0.5" : event.quantity}` : event.kind === "correction" && event.negative ? `-${event.quantity}` : event.quantity;
  return {
    transactionId: id,
    customerId: customers[event.customer]!,
    meter: event.meter,
    quantity: signed,
    occurredAt: event.at,
    timestampGiven: true,
    kind: event.kind,
    reason: event.kind === "usage" ? null : "test",
    propertiesJson: JSON.stringify({ model: event.model }),
  };
}

/** Records each step through the record path (insertEvents → record_events), as the hub does. */
async function play(customers: string[], steps: Step[]): Promise<void> {
  const recorded: LedgerRow[] = [];
  let next = 0;
  const fresh = (events: EventInput[]) => events.map((event) => ledgerRow(`pr${run}_${String(next++).padStart(4, "0")}`, customers, event));
  const record = (rows: LedgerRow[]) => store.transaction((tx) => insertEvents(tx, rows, []));
  for (const step of steps) {
    if (step.type === "compact") {
      await compactRollups(store, { before: new Date(ORIGIN + step.days * 24 * HOUR) });
    } else if (step.type === "reset") {
      await store.transaction((tx) => insertReset(tx, { customerId: customers[step.customer]!, feature: "api", at: step.at, reason: "test" }));
    } else if (step.type === "batch") {
      const rows = fresh(step.events);
      const outcomes = await record(rows);
      expect(outcomes.every((outcome) => outcome.state === "inserted")).toBe(true);
      recorded.push(...rows);
    } else if (recorded.length > 0 && step.type === "resend") {
      const again = [...new Map(step.pick.map((index) => recorded[index % recorded.length]!).map((row) => [row.transactionId, row])).values()];
      const rows = fresh(step.events);
      const outcomes = await record([...rows, ...again]);
      expect(outcomes.map((outcome) => outcome.state)).toEqual([...rows.map(() => "inserted"), ...again.map(() => "duplicate")]);
      recorded.push(...rows);
    } else if (recorded.length > 0 && step.type === "conflict") {
      const stored = recorded[step.pick % recorded.length]!;
      const outcomes = await record([...fresh(step.events), { ...stored, quantity: `${stored.quantity}1` }]);
      expect(outcomes.at(-1)!.state).toBe("conflict");
    }
  }
}

const at = (instant: Date | null, unbounded: string) => (instant === null ? unbounded : instant.toISOString());

/**
 * Every aggregation of the events of each scope's window, straight from the ledger: per UTC
 * `unit` bucket, or over the whole window when `unit` is null. Written apart from the library's
 * SQL on purpose (`last` as an ordered LIMIT 1, not an aggregate).
 */
async function rawAggregates(sql: Sql, scopes: Array<{ customerId: string; from: string; to: string }>, unit: BucketUnit | null, filter?: { model: string }) {
  const { rows } = await sql.query<{ customer_id: string; meter: string; bucket: Date | null } & Record<"sum" | "count" | "max" | "last" | "unique_count", string>>(
    `WITH ev AS (
       SELECT e.*, date_trunc($4, e.occurred_at, 'UTC') AS bucket, e.kind IN ('usage', 'correction') AS measured
         FROM unnest($1::text[], $2::timestamptz[], $3::timestamptz[]) AS c(customer_id, from_at, to_at)
         JOIN usage_events e ON e.customer_id = c.customer_id AND e.occurred_at >= c.from_at AND e.occurred_at < c.to_at
        WHERE $5::text IS NULL OR e.properties ->> 'model' = $5
     )
     SELECT g.customer_id, g.meter, g.bucket,
            sum(g.quantity)::text AS sum,
            sum(CASE WHEN g.kind = 'usage' THEN 1 ELSE g.quantity END)::text AS count,
            COALESCE(max(g.quantity) FILTER (WHERE g.measured), 0)::text AS max,
            COALESCE((SELECT l.quantity FROM ev l
                       WHERE l.measured AND l.customer_id = g.customer_id AND l.meter = g.meter AND l.bucket IS NOT DISTINCT FROM g.bucket
                       ORDER BY l.occurred_at DESC, l.transaction_id COLLATE "C" DESC LIMIT 1), 0)::text AS last,
            (count(DISTINCT g.properties ->> 'model') FILTER (WHERE g.measured))::text AS unique_count
       FROM ev g GROUP BY g.customer_id, g.meter, g.bucket`,
    [scopes.map((s) => s.customerId), scopes.map((s) => s.from), scopes.map((s) => s.to), unit, filter?.model ?? null],
  );
  const values = new Map<string, string>();
  for (const row of rows) {
    const meter = ledgerCatalog.meters[row.meter]!;
    values.set(`${row.customer_id} ${row.meter} ${row.bucket?.toISOString() ?? "total"}`, canonicalDecimal(row[meter.aggregation]));
  }
  return values;
}

/** The window's start after the latest reset of "api" before its end, as the raw scan applies it. */
async function resetStart(sql: Sql, customerId: string, from: string, to: string): Promise<string> {
  const { rows } = await sql.query<{ from_at: Date | null }>(
    "SELECT NULLIF(GREATEST($2::timestamptz, COALESCE((SELECT max(reset_at) FROM usage_resets WHERE customer_id = $1 AND feature = 'api' AND reset_at < $3::timestamptz), '-infinity')), '-infinity') AS from_at",
    [customerId, from, to],
  );
  return at(rows[0]!.from_at, "-infinity");
}

describe(`usage read from the rollups (${driverName})`, () => {
  it("equals a raw scan of the ledger for every aggregation, window, reset and bucket, whatever was recorded, resent, refused or backdated", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(stepArb, { minLength: 1, maxLength: 8 }), fc.array(windowArb, { minLength: 2, maxLength: 2 }), async (steps, windows) => {
        run += 1;
        const customers = [`pr${run}_a`, `pr${run}_b`];
        for (const id of customers) await createCustomer(store, id);
        await play(customers, steps);

        for (const [index, customerId] of customers.entries()) {
          const window = windows[index]!;
          const bounds = { from: window.from, to: window.to };
          const from = at(window.from, "-infinity");
          const to = at(window.to, "infinity");
          const plain = await rawAggregates(store, [{ customerId, from, to }], null);
          const sinceReset = await rawAggregates(store, [{ customerId, from: await resetStart(store, customerId, from, to), to }], null);
          const filtered = await rawAggregates(store, [{ customerId, from, to }], null, { model: "a" });
          for (const meter of METERS) {
            const key = `${customerId} ${meter.key} total`;
            expect((await queryUsageValue(store, { customerId, meter, bounds })).value).toBe(plain.get(key) ?? "0");
            expect((await queryUsageValue(store, { customerId, meter, bounds, sinceResetOf: "api" })).value).toBe(sinceReset.get(key) ?? "0");
            expect((await queryUsageValue(store, { customerId, meter, bounds, filter: { model: "a" } })).value).toBe(filtered.get(key) ?? "0");
          }
        }

        // Each customer with its own bounded window, as billing periods and stats windows are.
        const scopes = customers.map((customerId, index) => {
          const ends = [windows[index]!.from ?? new Date(ORIGIN - HOUR), windows[index]!.to ?? new Date(ORIGIN + 49 * HOUR)].sort((a, b) => a.getTime() - b.getTime());
          return { customerId, from: ends[0]!, to: ends[1]! };
        });
        const rawScopes = scopes.map((s) => ({ customerId: s.customerId, from: s.from.toISOString(), to: s.to.toISOString() }));
        const totals = await queryUsageTotals(store, { scopes, meters: METERS });
        expect(new Map(totals.map((row) => [`${row.customerId} ${row.meter} total`, row.value]))).toEqual(await rawAggregates(store, rawScopes, null));
        // Both customers over one window, as a batch of an invoice run billing one calendar month reads it.
        const sharedScopes = customers.map((customerId) => ({ ...scopes[0]!, customerId }));
        const shared = await queryUsageTotals(store, { scopes: sharedScopes, meters: METERS });
        // Compared row by row (not through a Map), so a row read twice fails too.
        const sharedRaw = await rawAggregates(store, sharedScopes.map((s) => ({ customerId: s.customerId, from: s.from.toISOString(), to: s.to.toISOString() })), null);
        expect(shared.map((row) => `${row.customerId} ${row.meter} total = ${row.value}`).sort()).toEqual([...sharedRaw].map(([key, value]) => `${key} = ${value}`).sort());
        expect(shared.every((row) => row.from.getTime() === sharedScopes[0]!.from.getTime())).toBe(true);
        for (const unit of ["hour", "day"] as const) {
          const rows = await queryUsageBuckets(store, { scopes, meters: METERS, unit });
          const expected = new Map([...(await rawAggregates(store, rawScopes, unit)), ...(await rawAggregates(store, rawScopes, null))]);
          expect(new Map(rows.map((row) => [`${row.customerId} ${row.meter} ${row.bucket?.toISOString() ?? "total"}`, row.value]))).toEqual(expected);
        }
        expect(await findRollupMismatches(store)).toEqual([]);
      }),
      { numRuns: driverName === "pg" ? 40 : 25 },
    );
  });
});
