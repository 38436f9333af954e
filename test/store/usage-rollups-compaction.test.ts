import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { queryUsageBuckets, queryUsageTotals, type MeterSpec } from "../../src/store/ledger/aggregate.ts";
import { insertEvents, type LedgerRow } from "../../src/store/ledger/insert-events.ts";
import { openPgStore } from "../../src/store/pg-driver.ts";
import { compactRollups } from "../../src/store/rollups/compact-rollups.ts";
import { findRollupMismatches } from "../../src/store/rollups/verify-rollups.ts";
import type { Sql, Store } from "../../src/store/types.ts";
import { withStoreFaults } from "../support/faulty-store.ts";
import { createCustomer, ledgerCatalog } from "../support/ledger.ts";
import { lockRollupVacuum } from "../support/rollup-vacuum-lock.ts";
import { DATABASE_URL, describeOnPostgres, driverName, openTestStore, type TestStore } from "../support/store.ts";

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
/** One meter of each aggregation that compaction merges (sum, count, max, last). */
const METERS: MeterSpec[] = ["api_calls", "requests", "peak_seats", "storage_level"].map((key) => ledgerCatalog.meters[key]!);

/**
 * The store, noting for each of its transactions how many hourly rollup rows of each customer it
 * removed (counted in the transaction before and after its work).
 */
function notingMoves(store: Store, moves: Array<Map<string, number>>): Store {
  const hoursPerCustomer = async (tx: Sql) =>
    new Map((await tx.query<{ customer_id: string; n: number }>("SELECT customer_id, count(*)::int AS n FROM usage_rollups GROUP BY customer_id")).rows.map((row) => [row.customer_id, row.n]));
  return {
    ...store,
    transaction: (fn) =>
      store.transaction(async (tx) => {
        const before = await hoursPerCustomer(tx);
        const result = await fn(tx);
        const after = await hoursPerCustomer(tx);
        moves.push(new Map([...before].map(([customer, n]) => [customer, n - (after.get(customer) ?? 0)] as const).filter(([, n]) => n > 0)));
        return result;
      }),
  };
}

/** An event in every hour of `days` days from `start` for each customer × meter, recorded through the record path. */
async function recordHours(store: Store, customers: string[], start: number, days: number): Promise<number> {
  const rows: LedgerRow[] = [];
  for (const [c, customerId] of customers.entries()) {
    for (const [m, meter] of METERS.entries()) {
      for (let h = 0; h < days * 24; h++) {
        rows.push({
          transactionId: `${customerId}_${meter.key}_${h}`,
          customerId,
          meter: meter.key,
          quantity: String((h * 7 + c * 3 + m) % 13),
          occurredAt: new Date(start + h * HOUR + ((h * 17 + c) % 60) * 60_000),
          timestampGiven: true,
          kind: "usage",
          reason: null,
          propertiesJson: "{}",
        });
      }
    }
  }
  for (let at = 0; at < rows.length; at += 500) {
    const outcomes = await store.transaction((tx) => insertEvents(tx, rows.slice(at, at + 500), []));
    expect(outcomes.every((outcome) => outcome.state === "inserted")).toBe(true);
  }
  return rows.length;
}

/**
 * What a reader sees of each customer: totals over the whole days, over a window with edges inside
 * days, and by day and by hour (as strings, one per customer × meter × bucket).
 */
async function reads(sql: Sql, customers: string[], start: number, days: number): Promise<string[]> {
  const windows = [
    { from: new Date(start), to: new Date(start + days * DAY) },
    { from: new Date(start + 5 * HOUR + 30 * 60_000), to: new Date(start + (days - 1) * DAY + 17 * HOUR + 15 * 60_000) },
  ];
  const lines: string[] = [];
  for (const window of windows) {
    const totals = await queryUsageTotals(sql, { scopes: customers.map((customerId) => ({ customerId, ...window })), meters: METERS });
    lines.push(...totals.map((row) => `${window.from.toISOString()} ${row.customerId} ${row.meter} = ${row.value}`));
  }
  for (const unit of ["day", "hour"] as const) {
    const buckets = await queryUsageBuckets(sql, { scopes: customers.map((customerId) => ({ customerId, ...windows[0]! })), meters: METERS, unit });
    lines.push(...buckets.map((row) => `${unit} ${row.customerId} ${row.meter} ${row.bucket?.toISOString() ?? "total"} = ${row.value}`));
  }
  return lines.sort();
}

const ROLLUP_TABLES = ["usage_rollups", "usage_rollup_days", "usage_rollup_months"];

/** How many times each rollup table of the store's schema has been vacuumed by hand (VACUUM, not autovacuum). */
const vacuums = async (sql: Sql) =>
  new Map(
    (await sql.query<{ relname: string; vacuum_count: number }>(
      "SELECT relname, vacuum_count::int FROM pg_stat_user_tables WHERE schemaname = current_schema() AND relname = ANY($1::text[])",
      [ROLLUP_TABLES],
    )).rows.map((row) => [row.relname, row.vacuum_count]),
  );

const hourlyRowsBefore = async (sql: Sql, point: Date) =>
  (await sql.query<{ n: number }>("SELECT count(*)::int AS n FROM usage_rollups WHERE bucket_start < $1", [point.toISOString()])).rows[0]!.n;

describe(`compaction of the hourly usage rollups (${driverName})`, () => {
  let store: TestStore;
  beforeAll(async () => {
    store = await openTestStore();
  });
  afterAll(() => store.cleanup());

  it("moves a backlog larger than one statement in several transactions of whole customers, and every read after equals every read before", async () => {
    const start = Date.parse("2026-05-01T00:00:00Z");
    const customers = Array.from({ length: 12 }, (_, i) => `cb_${String(i).padStart(2, "0")}`);
    for (const id of customers) await createCustomer(store, id);
    const recorded = await recordHours(store, customers, start, 2);
    const before = await reads(store, customers, start, 2);

    const moves: Array<Map<string, number>> = [];
    const point = new Date(start + 2 * DAY);
    const result = await compactRollups(notingMoves(store, moves), { before: point, rowsPerStatement: 500 });

    expect(result).toEqual({ compactedBefore: point, moved: recorded, vacuumed: true });
    const sizes = moves.map((move) => [...move.values()].reduce((sum, n) => sum + n, 0)).filter((n) => n > 0);
    expect(sizes.length).toBeGreaterThanOrEqual(4);
    // A customer's 192 hours (4 meters × 48) move together: at most the bound plus the rest of one customer's.
    expect(Math.max(...sizes)).toBeLessThanOrEqual(500 + 191);
    expect(moves.flatMap((move) => [...move.keys()]).sort()).toEqual(customers);
    expect(moves.flatMap((move) => [...move.values()])).toEqual(customers.map(() => 4 * 48));
    expect(await hourlyRowsBefore(store, point)).toBe(0);
    expect(await reads(store, customers, start, 2)).toEqual(before);
    expect(await findRollupMismatches(store)).toEqual([]);
  });

  it("bounds each transaction by hourly rows, not by customers: three customers with many hours each move one customer per transaction", async () => {
    const start = Date.parse("2026-06-01T00:00:00Z");
    const customers = ["cr_a", "cr_b", "cr_c"];
    for (const id of customers) await createCustomer(store, id);
    await recordHours(store, customers, start, 3);
    const before = await reads(store, customers, start, 3);

    const moves: Array<Map<string, number>> = [];
    await compactRollups(notingMoves(store, moves), { before: new Date(start + 3 * DAY), rowsPerStatement: 100 });

    expect(moves.filter((move) => move.size > 0)).toEqual(customers.map((id) => new Map([[id, 4 * 72]])));
    expect(await reads(store, customers, start, 3)).toEqual(before);
    expect(await findRollupMismatches(store)).toEqual([]);
  });

  it("vacuums the hourly, day and month tables it rewrote, which nothing else does on the embedded store, and not when nothing moved", async () => {
    const start = Date.parse("2026-07-01T00:00:00Z");
    await createCustomer(store, "cv_a");
    await recordHours(store, ["cv_a"], start, 1);
    const before = await vacuums(store);
    expect(await compactRollups(store, { before: new Date(start + DAY) })).toEqual({ compactedBefore: new Date(start + DAY), moved: 96, vacuumed: true });
    const after = await vacuums(store);
    for (const table of ROLLUP_TABLES) expect(after.get(table)).toBe((before.get(table) ?? 0) + 1);

    expect(await compactRollups(store, { before: new Date(start + DAY) })).toEqual({ compactedBefore: new Date(start + DAY), moved: 0, vacuumed: false });
    expect(await vacuums(store)).toEqual(after);
  });

  it("reports a vacuum that fails in its result rather than as a failure of the moves, which stay done", async () => {
    const start = Date.parse("2026-07-10T00:00:00Z");
    await createCustomer(store, "cf_a");
    await recordHours(store, ["cf_a"], start, 1);
    const before = await reads(store, ["cf_a"], start, 1);
    const faulty = withStoreFaults(store);
    faulty.failWhen((text) => text.startsWith("VACUUM"));

    const result = await compactRollups(faulty.store, { before: new Date(start + DAY) });

    expect(result).toMatchObject({ compactedBefore: new Date(start + DAY), moved: 96, vacuumed: false, vacuumError: { code: "STORE_UNAVAILABLE" } });
    expect(await hourlyRowsBefore(store, new Date(start + DAY))).toBe(0);
    expect(await reads(store, ["cf_a"], start, 1)).toEqual(before);
    expect(await compactRollups(faulty.store, { before: new Date(start + DAY) })).toEqual({ compactedBefore: new Date(start + DAY), moved: 0, vacuumed: false });
  });

  it("refuses a row bound that is not a positive integer, naming the option", async () => {
    for (const rowsPerStatement of [0, -5, 2.5, Number.NaN]) {
      await expect(compactRollups(store, { before: new Date("2026-08-01T00:00:00Z"), rowsPerStatement })).rejects.toMatchObject({
        code: "VALIDATION_FAILED",
        message: expect.stringContaining("`rowsPerStatement`"),
      });
    }
  });
});

describeOnPostgres("compaction under a short statement timeout", () => {
  let store: TestStore;
  beforeAll(async () => {
    store = await openTestStore();
  });
  afterAll(() => store.cleanup());

  it("finishes a backlog whose move in one statement outlasts the timeout, and every read after equals every read before", async () => {
    // 140 customers × 3 meters × every hour of September: 302,400 hourly rows, which one statement
    // moves in about 3 s here. Written straight into the rollups (compaction reads and writes no
    // other table): the reads compared are of whole days, which read no ledger.
    const start = Date.parse("2026-09-01T00:00:00Z");
    const customers = Array.from({ length: 140 }, (_, i) => `ct_${String(i).padStart(3, "0")}`);
    await store.query("INSERT INTO customers (id) SELECT unnest($1::text[])", [customers]);
    await store.query(
      `INSERT INTO usage_rollups
       SELECT c, m, h, q, 1, q, h + interval '30 minutes', c || m || h::text, q
         FROM unnest($1::text[]) AS c, unnest($2::text[]) AS m,
              generate_series($3::timestamptz, $3::timestamptz + interval '30 days' - interval '1 hour', interval '1 hour') AS h,
              LATERAL (SELECT (extract(epoch FROM h)::bigint / 3600 + length(c || m)) % 11 AS q) AS v`,
      [customers, ["api_calls", "peak_seats", "storage_level"], new Date(start).toISOString()],
    );
    const meters = ["api_calls", "peak_seats", "storage_level"].map((key) => ledgerCatalog.meters[key]!);
    const month = { from: new Date(start), to: new Date(start + 30 * DAY) };
    const read = async () =>
      (await queryUsageTotals(store, { scopes: customers.map((customerId) => ({ customerId, ...month })), meters }))
        .map((row) => `${row.customerId} ${row.meter} = ${row.value}`)
        .concat((await queryUsageBuckets(store, { scopes: [{ customerId: customers[7]!, ...month }], meters, unit: "day" })).map((row) => `${row.meter} ${row.bucket?.toISOString()} = ${row.value}`))
        .sort();
    const before = await read();

    const hurried = await openPgStore({ connectionString: DATABASE_URL!, schema: store.schema, statementTimeoutMs: 1_000 });
    try {
      const point = new Date(start + 30 * DAY);
      await expect(compactRollups(hurried, { before: point, rowsPerStatement: 1_000_000 })).rejects.toMatchObject({ code: "STORE_UNAVAILABLE" });
      expect(await compactRollups(hurried, { before: point, rowsPerStatement: 10_000 })).toEqual({ compactedBefore: point, moved: 302_400, vacuumed: true });
      expect(await hourlyRowsBefore(store, point)).toBe(0);
    } finally {
      await hurried.close();
    }
    expect(await read()).toEqual(before);
  });

  it("vacuums past the statement timeout: a vacuum kept waiting for a lock three times as long still completes", async () => {
    const start = Date.parse("2026-10-01T00:00:00Z");
    const customers = ["cw_a", "cw_b", "cw_c"];
    await store.query("INSERT INTO customers (id) SELECT unnest($1::text[])", [customers]);
    await store.query(
      `INSERT INTO usage_rollups
       SELECT c, 'api_calls', h, 1, 1, 1, h, c || h::text, 1
         FROM unnest($1::text[]) AS c, generate_series($2::timestamptz, $2::timestamptz + interval '23 hours', interval '1 hour') AS h`,
      [customers, new Date(start).toISOString()],
    );
    const before = await vacuums(store);
    const hurried = await openPgStore({ connectionString: DATABASE_URL!, schema: store.schema, statementTimeoutMs: 1_000 });
    const lock = await lockRollupVacuum(store);
    try {
      const compaction = compactRollups(hurried, { before: new Date(start + DAY) });
      await lock.vacuumWaiting();
      // The VACUUM cannot end before the lock is released: under the pool's statement timeout of
      // 1 s it would be cancelled meanwhile, and the compaction return `vacuumed: false`.
      await new Promise((resolve) => setTimeout(resolve, 3_000));
      await lock.release();
      expect(await compaction).toEqual({ compactedBefore: new Date(start + DAY), moved: 72, vacuumed: true });
    } finally {
      await lock.release();
      await hurried.close();
    }
    const after = await vacuums(store);
    for (const table of ROLLUP_TABLES) expect(after.get(table)).toBe((before.get(table) ?? 0) + 1);
  });

  it("returns the rows moved when the vacuum after them is cancelled, with the server's reason", async () => {
    const start = Date.parse("2026-10-05T00:00:00Z");
    await store.query("INSERT INTO customers (id) VALUES ('cx_a')");
    await store.query(
      `INSERT INTO usage_rollups
       SELECT 'cx_a', 'api_calls', h, 1, 1, 1, h, 'cx_a' || h::text, 1
         FROM generate_series($1::timestamptz, $1::timestamptz + interval '23 hours', interval '1 hour') AS h`,
      [new Date(start).toISOString()],
    );
    const lock = await lockRollupVacuum(store);
    try {
      const compaction = compactRollups(store, { before: new Date(start + DAY) });
      await store.query("SELECT pg_cancel_backend($1)", [await lock.vacuumWaiting()]);
      const result = await compaction;
      expect(result).toMatchObject({ compactedBefore: new Date(start + DAY), moved: 24, vacuumed: false, vacuumError: { code: "STORE_UNAVAILABLE", cause: { code: "57014" } } });
    } finally {
      await lock.release();
    }
    expect(await hourlyRowsBefore(store, new Date(start + DAY))).toBe(0);
  });
});
