import { createHub, type Hub } from "../src/hub.ts";
import { rebuildRollups } from "../src/store/rollups/rebuild-rollups.ts";
import type { Sql, Store } from "../src/store/types.ts";
import { benchCatalog, customerIds } from "./support/catalog.ts";
import { figure, percentile, secondsSince } from "./support/measure.ts";
import { createLedgerMonths, seedCustomers, seedLedger, withClaimedIds } from "./support/seed.ts";
import { perStore } from "./support/stores.ts";
import type { Benchmark, BenchOptions, Figure } from "./types.ts";

/** `calls` sequential calls over the customers in turn: calls/s and p99 latency in ms. */
async function sequential(calls: number, customers: string[], fn: (customerId: string) => Promise<unknown>): Promise<{ perSecond: number; p99: number }> {
  const latencies: number[] = [];
  const start = process.hrtime.bigint();
  for (let i = 0; i < calls; i++) {
    const one = process.hrtime.bigint();
    await fn(customers[i % customers.length]!);
    latencies.push(secondsSince(one) * 1000);
  }
  return { perSecond: calls / secondsSince(start), p99: percentile(latencies, 0.99) };
}

/** The raw baseline: the same month's sum of the same meter, straight from the ledger. */
function rawUsage(sql: Sql, month: { from: Date; to: Date }) {
  return (customerId: string) =>
    sql.query("SELECT COALESCE(sum(quantity), 0) AS used FROM usage_events WHERE customer_id = $1 AND meter = 'api_calls' AND occurred_at >= $2 AND occurred_at < $3", [
      customerId,
      month.from.toISOString(),
      month.to.toISOString(),
    ]);
}

/** Events in the window of the customers whose check latency is compared; the first is the baseline. */
const SCALES = [2_000, 200_000, 2_000_000];

/**
 * Writes `events` usage events of `customerId` straight into the ledger (random transaction ids,
 * timestamps spread at random over [from, to)), then the customer's rollups as
 * `billhub rollups rebuild --customer` writes them: seeding is not what is measured.
 */
async function seedCustomerHistory(store: Store, customerId: string, events: number, window: { from: Date; to: Date }): Promise<void> {
  await createLedgerMonths(store, window.from, window.to);
  const chunk = 50_000;
  for (let done = 0; done < events; done += chunk) {
    await store.query(
      withClaimedIds(`INSERT INTO usage_events (transaction_id, customer_id, meter, quantity, occurred_at, timestamp_given, kind, properties)
       SELECT md5(random()::text || n), $1, 'api_calls', 1 + (n * 7) % 97, $2::timestamptz + random() * ($3::timestamptz - $2::timestamptz), true, 'usage', '{}'::jsonb
       FROM generate_series(1, $4::int) AS n`),
      [customerId, window.from.toISOString(), window.to.toISOString(), Math.min(chunk, events - done)],
    );
  }
  await rebuildRollups(store, { customerId });
}

/**
 * Cold checks (cache off) of customers with 2 thousand to 2 million events in the window: the
 * month before this one, on a clock half an hour before its end, so that the whole month is
 * history spread over every hour of it.
 */
async function checksAtScale(options: BenchOptions, name: Figure["store"], store: Store): Promise<Figure[]> {
  const now = new Date();
  const month = { from: new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - 1, 1)), to: new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1)) };
  const clock = new Date(month.to.getTime() - 30 * 60_000);
  const scales = options.smoke ? SCALES.map((events) => events / 100) : SCALES;
  const customers = scales.map((events) => `scale_${events}`);
  await seedCustomers(store, customers);
  for (const [index, events] of scales.entries()) await seedCustomerHistory(store, customers[index]!, events, { from: month.from, to: clock });
  await store.query("ANALYZE usage_events");
  await store.query("ANALYZE usage_rollups");
  const hub = await createHub({ catalog: benchCatalog, store: { migrate: false }, cache: { ttlMs: 0 } }, { store, now: () => clock });
  try {
    const latencies: Array<{ p50: number; p99: number; rawMs: number }> = [];
    for (const customerId of customers) {
      const raw = rawUsage(store, month);
      const rawStart = process.hrtime.bigint();
      const { rows } = await raw(customerId);
      const rawMs = secondsSince(rawStart) * 1000;
      const checked = await hub.check(customerId, "api");
      if (checked.exact.used !== String(rows[0]!.used)) throw new Error(`usage differs for ${customerId}: ${checked.exact.used} vs ${String(rows[0]!.used)}`);
      const calls = options.smoke ? 20 : 300;
      await sequential(Math.min(calls, 50), [customerId], (id) => hub.check(id, "api"));
      const samples: number[] = [];
      for (let i = 0; i < calls; i++) {
        const start = process.hrtime.bigint();
        await hub.check(customerId, "api");
        samples.push(secondsSince(start) * 1000);
      }
      latencies.push({ p50: percentile(samples, 0.5), p99: percentile(samples, 0.99), rawMs });
    }
    const base = latencies[0]!;
    options.log(`${name}: cold check p50 ${scales.map((events, i) => `${events.toLocaleString("en-US")} events ${latencies[i]!.p50.toFixed(2)} ms`).join(", ")}`);
    return scales.map((events, i) =>
      figure({
        name: `check latency at ${events.toLocaleString("en-US")} events in the window (cold cache)`,
        store: name,
        value: latencies[i]!.p50,
        unit: "ms p50",
        baseline: { name: `the same check at ${scales[0]!.toLocaleString("en-US")} events`, value: base.p50 },
        higherIsBetter: false,
        ...(i === scales.length - 1 ? { target: { text: "ratio >= 0.5 (within 2×)", met: (f: { ratio: number }) => f.ratio >= 0.5 } } : {}),
        extra: { p99ms: Number(latencies[i]!.p99.toFixed(3)), rawSumMs: Number(latencies[i]!.rawMs.toFixed(1)) },
        notes: "one customer's month of api_calls, events at random times; whole hours read from the rollups; rawSumMs = one sum over the ledger rows, for scale",
      }),
    );
  } finally {
    await hub.close();
  }
}

export const check: Benchmark = {
  id: "check",
  title: "hub.check() with a warm and a cold entitlement cache vs a raw SQL aggregate of the same usage, and cold check latency at 2 thousand to 2 million events in the window",
  run: (options) =>
    perStore(options, async ({ name, store }) => {
      const customers = customerIds(options.smoke ? 5 : 200);
      const calls = options.smoke ? 20 : 4000;
      const now = new Date();
      const month = { from: new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1)), to: new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 1)) };
      await seedCustomers(store, customers);
      // Usage in this month up to now (the live window of the monthly "api" feature) and the month before.
      const before = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - 1, 1));
      await seedLedger(store, { customers, perCustomer: options.smoke ? 10 : 300, from: before, to: new Date(now.getTime() - 60_000) });
      await rebuildRollups(store);
      const warm = await createHub({ catalog: benchCatalog, store: { migrate: false }, cache: { ttlMs: 3_600_000 } }, { store });
      const cold = await createHub({ catalog: benchCatalog, store: { migrate: false }, cache: { ttlMs: 0 } }, { store });
      const hubs: Array<[string, Hub]> = [["warm", warm], ["cold", cold]];
      try {
        const raw = rawUsage(store, month);
        // The library and the raw query must agree on the usage, or the comparison means nothing.
        for (const id of customers.slice(0, 3)) {
          const { rows } = await raw(id);
          const checked = await warm.check(id, "api");
          if (checked.exact.used !== String(rows[0]!.used)) throw new Error(`usage differs for ${id}: ${checked.exact.used} vs ${String(rows[0]!.used)}`);
        }
        // Warm-up of every path, then the measured runs.
        await sequential(Math.min(calls, 400), customers, (id) => raw(id));
        for (const [, hub] of hubs) await sequential(Math.min(calls, 400), customers, (id) => hub.check(id, "api"));
        const baseline = await sequential(calls, customers, (id) => raw(id));
        const figures = [];
        for (const [cache, hub] of hubs) {
          const got = await sequential(calls, customers, (id) => hub.check(id, "api"));
          figures.push(
            figure({
              name: `check (${cache} entitlement cache)`,
              store: name,
              value: got.perSecond,
              unit: "checks/s",
              baseline: { name: "raw SQL sum", value: baseline.perSecond },
              extra: { p99ms: Number(got.p99.toFixed(3)), rawP99ms: Number(baseline.p99.toFixed(3)) },
              notes: `one caller, ${customers.length} customers in turn; cold = the cache disabled, so each check loads the customer's entitlements`,
            }),
          );
        }
        options.log(`${name}: ${figures.map((f) => `${f.name} ${Math.round(f.value)}/s`).join(", ")}, raw ${Math.round(baseline.perSecond)}/s`);
        return [...figures, ...(await checksAtScale(options, name, store))];
      } finally {
        await warm.close();
        await cold.close();
      }
    }),
};
