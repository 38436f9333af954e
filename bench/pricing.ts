import { mapUsageToLineItems } from "../src/core/pricing/map-usage-to-line-items.ts";
import { preparePlan } from "../src/core/pricing/prepare-plan.ts";
import { figure, rate } from "./support/measure.ts";
import type { Benchmark } from "./types.ts";

// Minor units (cents); unit amounts with a sub-cent part, as real per-request prices have.
const GRADUATED = [
  { upTo: 1_000, unitAmount: "0", flatAmount: 0 },
  { upTo: 10_000, unitAmount: "2.5", flatAmount: 500 },
  { upTo: 100_000, unitAmount: "1.8", flatAmount: 1000 },
  { upTo: 1_000_000, unitAmount: "1.2", flatAmount: 2000 },
  { upTo: null, unitAmount: "0.75", flatAmount: 5000 },
];
const VOLUME = [
  { upTo: 100, unitAmount: "700", flatAmount: 1500 },
  { upTo: 1_000, unitAmount: "650", flatAmount: 1000 },
  { upTo: 10_000, unitAmount: "600", flatAmount: 500 },
  { upTo: null, unitAmount: "550", flatAmount: 0 },
];

const plan = {
  key: "scale",
  currency: "USD",
  charges: [
    { key: "api", meter: "api_calls", model: "graduated" as const, tiers: GRADUATED },
    { key: "seats", meter: "seats", model: "volume" as const, tiers: VOLUME },
  ],
};

/** Usage spread over every tier, so each call walks a different number of tiers. */
function usages(count: number): Array<{ api_calls: number; seats: number }> {
  const out = [];
  for (let i = 0; i < count; i++) out.push({ api_calls: (i * 7_919) % 2_000_000, seats: (i * 131) % 20_000 });
  return out;
}

/** Tiers as integers at scale 2 (hundredths of a cent) for the raw computation. */
const rawTiers = (tiers: typeof GRADUATED) =>
  tiers.map((t) => ({ upTo: t.upTo === null ? null : BigInt(t.upTo), unit: BigInt(Math.round(Number(t.unitAmount) * 100)), flat: BigInt(t.flatAmount * 100) }));
const RAW_GRADUATED = rawTiers(GRADUATED);
const RAW_VOLUME = rawTiers(VOLUME);

/** Half-up rounding of a non-negative amount in hundredths of a cent to whole cents. */
const cents = (hundredths: bigint) => Number((hundredths + 50n) / 100n);

function rawGraduated(quantity: number): number {
  const q = BigInt(quantity);
  let total = 0n;
  let lower = 0n;
  for (const tier of RAW_GRADUATED) {
    const upper = tier.upTo === null || q < tier.upTo ? q : tier.upTo;
    total += (upper - lower) * tier.unit + tier.flat;
    if (tier.upTo === null || q <= tier.upTo) break;
    lower = tier.upTo;
  }
  return cents(total);
}

function rawVolume(quantity: number): number {
  const q = BigInt(quantity);
  for (const tier of RAW_VOLUME) if (tier.upTo === null || q <= tier.upTo) return cents(q * tier.unit + tier.flat);
  throw new Error("no open-ended tier");
}

export const pricing: Benchmark = {
  id: "pricing",
  title: "mapUsageToLineItems on graduated and volume tiers with flat amounts",
  async run(options) {
    const prepared = preparePlan(plan);
    const inputs = usages(1024);
    // Both sides must compute the same amounts, or the comparison means nothing.
    for (const usage of inputs) {
      const [api, seats] = mapUsageToLineItems(prepared, usage).lineItems;
      if (api!.amount !== rawGraduated(usage.api_calls) || seats!.amount !== rawVolume(usage.seats)) {
        throw new Error(`amounts differ for ${JSON.stringify(usage)}: ${api!.amount}/${seats!.amount} vs ${rawGraduated(usage.api_calls)}/${rawVolume(usage.seats)}`);
      }
    }
    const seconds = options.smoke ? 0.05 : 3;
    let i = 0;
    let sink = 0;
    const libraryCalls = rate(() => {
      sink += mapUsageToLineItems(prepared, inputs[i++ & 1023]!).subtotal;
    }, { seconds });
    const rawCalls = rate(() => {
      const usage = inputs[i++ & 1023]!;
      sink += rawGraduated(usage.api_calls) + rawVolume(usage.seats);
    }, { seconds });
    const unprepared = rate(() => {
      sink += mapUsageToLineItems(plan, inputs[i++ & 1023]!).subtotal;
    }, { seconds: seconds / 3 });
    if (sink < 0) options.log("unreachable");
    const lines = plan.charges.length;
    options.log(`${Math.round(libraryCalls.perSecond * lines).toLocaleString("en-US")} lines/s through the library, ${Math.round(rawCalls.perSecond * lines).toLocaleString("en-US")} raw`);
    return [
      figure({
        name: "pricing (graduated + volume tiers, prepared plan)",
        store: "-",
        value: libraryCalls.perSecond * lines,
        unit: "lines/s",
        baseline: { name: "raw BigInt tiers", value: rawCalls.perSecond * lines },
        target: { text: ">= 1,000,000 lines/s", met: (f) => f.value >= 1_000_000 },
        extra: { cpuTime: Math.round(libraryCalls.cpuPerSecond * lines), rawCpuTime: Math.round(rawCalls.cpuPerSecond * lines), unpreparedPlan: Math.round(unprepared.perSecond * lines) },
        notes: "a line is one charge priced for one period, with its tier breakdown and texts; cpuTime = lines per second of this process's CPU time; unpreparedPlan validates the plan on every call",
      }),
    ];
  },
};
