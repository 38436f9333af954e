import { createHub, type Hub } from "../src/hub.ts";
import type { Sql } from "../src/store/types.ts";
import { benchCatalog, customerIds } from "./support/catalog.ts";
import { figure, percentile, secondsSince } from "./support/measure.ts";
import { seedCustomers, seedLedger } from "./support/seed.ts";
import { perStore } from "./support/stores.ts";
import type { Benchmark } from "./types.ts";

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

export const check: Benchmark = {
  id: "check",
  title: "hub.check() with a warm and a cold entitlement cache vs a raw SQL aggregate of the same usage",
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
        return figures;
      } finally {
        await warm.close();
        await cold.close();
      }
    }),
};
