import { createHub, type Hub } from "../src/hub.ts";
import { benchCatalog, customerIds } from "./support/catalog.ts";
import { figure, percentile, secondsSince } from "./support/measure.ts";
import { seedCustomers } from "./support/seed.ts";
import { perStore } from "./support/stores.ts";
import type { Benchmark } from "./types.ts";

/** Consumes of 1 over the customers in turn; the latency of each, in ms. */
async function consumes(hub: Hub, customers: string[], calls: number, prefix: string): Promise<number[]> {
  const latencies: number[] = [];
  for (let i = 0; i < calls; i++) {
    const customerId = customers[i % customers.length]!;
    const start = process.hrtime.bigint();
    const result = await hub.consume(customerId, "api", 1, `${prefix}-${i}`);
    latencies.push(secondsSince(start) * 1000);
    if (result.status !== "created") throw new Error(`consume ${prefix}-${i} of ${customerId} was ${result.status}`);
  }
  return latencies;
}

export const consumeCredits: Benchmark = {
  id: "consume-credits",
  title: "hub.consume() that draws unit credits (limit 0, every unit from two credit grants) vs the same consume within the plan's limit, in the same run",
  run: (options) =>
    perStore(options, async ({ name, store }) => {
      const plain = customerIds(options.smoke ? 4 : 50).map((id) => `${id}_plain`);
      const credited = customerIds(options.smoke ? 4 : 50).map((id) => `${id}_credit`);
      const calls = options.smoke ? 20 : 2000;
      const rounds = options.smoke ? 1 : 5;
      await seedCustomers(store, [...plain, ...credited]);
      const hub = await createHub({ catalog: benchCatalog, store: { migrate: false } }, { store });
      try {
        for (const id of credited) {
          // No API calls included: every consume is paid from credits, drawn across two grants in turn.
          await hub.customers.override(id, { api: 0 });
          await hub.credits.grant(id, { id: "promo", feature: "api", amount: 1_000_000, priority: 0, expiresAt: new Date(Date.now() + 86_400_000 * 60) });
          await hub.credits.grant(id, { id: "bought", feature: "api", amount: 1_000_000, priority: 1, source: "purchase" });
        }
        await consumes(hub, plain, Math.min(calls, 200), "warm-plain");
        await consumes(hub, credited, Math.min(calls, 200), "warm-credit");
        // Rounds alternate, so load on the machine falls on both sides alike; the median round counts.
        const plainMs: number[] = [];
        const creditMs: number[] = [];
        for (let round = 0; round < rounds; round++) {
          plainMs.push(percentile(await consumes(hub, plain, calls / rounds, `plain-${round}`), 0.5));
          creditMs.push(percentile(await consumes(hub, credited, calls / rounds, `credit-${round}`), 0.5));
        }
        const balance = await hub.credits.balance(credited[0]!);
        const expectedDrawn = String(Math.ceil(Math.min(calls, 200) / credited.length) + Math.ceil(calls / credited.length));
        if (balance.units.api!.drawn !== expectedDrawn) throw new Error(`credits drawn ${balance.units.api!.drawn}, expected ${expectedDrawn}`);
        const without = percentile(plainMs, 0.5);
        const withCredits = percentile(creditMs, 0.5);
        options.log(`${name}: consume p50 ${without.toFixed(3)} ms without credits, ${withCredits.toFixed(3)} ms drawing credits`);
        return [
          figure({
            name: "consume drawing unit credits",
            store: name,
            value: withCredits,
            unit: "ms p50",
            baseline: { name: "the same consume within the plan's limit", value: without },
            higherIsBetter: false,
            target: { text: "within 1.5× (ratio >= 0.67)", met: (f) => f.ratio >= 1 / 1.5 },
            extra: { slowdown: Number((withCredits / without).toFixed(3)) },
            notes: `one caller, ${credited.length} customers in turn, ${rounds} alternating rounds (median of round medians); slowdown = with / without`,
          }),
        ];
      } finally {
        await hub.close();
      }
    }),
};
