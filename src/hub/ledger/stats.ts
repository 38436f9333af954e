import { z } from "zod";
import { requireMeter, type Meter } from "../../core/catalog/index.ts";
import { BUCKET_UNITS, calendarBuckets, type Bucket, type BucketUnit } from "../../core/buckets.ts";
import { add, cmp, div, parseDecimal, toDecimalString, ZERO, type Decimal } from "../../core/decimal.ts";
import { BillingError } from "../../core/errors.ts";
import { windowAt, type BillingCycle, type WindowSpec } from "../../core/periods.ts";
import { checkWindowEnd } from "../../core/supported-time.ts";
import { parseWith } from "../../core/validation.ts";
import { queryUsageBuckets, type BucketRow } from "../../store/ledger/aggregate.ts";
import type { Sql } from "../../store/types.ts";
import type { HubContext } from "../context.ts";
import { customerIdSchema, dateLike, filterSchema, loadCycles, windowInputSchema } from "./query-input.ts";
import type { BatchStatsQuery, Stats, StatsQuery } from "./types.ts";

/** Decimal places of `average`; bucket values themselves stay exact. */
const AVERAGE_SCALE = 6;
/** Most buckets one call may return across all customer × meter pairs. */
const MAX_CELLS = 100_000;

const common = {
  window: windowInputSchema.optional(),
  at: dateLike.optional(),
  groupBy: z.enum(BUCKET_UNITS),
  filter: filterSchema.optional(),
};
const statsSchema = z.strictObject({ customerId: customerIdSchema, meter: z.string(), ...common });
/** What `batchStats` accepts (also the body of `POST /v1/usage/stats`). */
export const batchStatsSchema = z.strictObject({
  customerIds: z.array(customerIdSchema).min(1).max(1000),
  meters: z.array(z.string()).min(1).max(50),
  ...common,
});

/** A stats window must have a start; an open end stops at `at`. */
function boundedWindow(spec: WindowSpec, at: Date, cycle: BillingCycle): { from: Date; to: Date } {
  const window = checkWindowEnd(windowAt(spec, at, cycle), "at");
  if (window.from === null) {
    throw new BillingError("VALIDATION_FAILED", "stats need a window with a start; \"never\" has none, give { from, to }", { field: "window" });
  }
  const to = window.to ?? at;
  if (!(window.from < to)) throw new BillingError("VALIDATION_FAILED", "the window ends before it starts", { field: "window" });
  return { from: window.from, to };
}

function summarize(customerId: string, meter: Meter, unit: BucketUnit, window: { from: Date; to: Date }, buckets: Bucket[], rows: Map<string, string>): Stats {
  const key = (bucket: Date | null) => `${customerId}\u0000${meter.key}\u0000${bucket?.getTime() ?? "total"}`;
  const values = buckets.map((bucket) => ({ from: bucket.from, to: bucket.to, value: rows.get(key(bucket.start)) ?? "0" }));
  const decimals: Decimal[] = values.map((v) => parseDecimal(v.value));
  const sum = decimals.reduce(add, ZERO);
  const least = decimals.reduce((a, b) => (cmp(a, b) <= 0 ? a : b));
  const most = decimals.reduce((a, b) => (cmp(a, b) >= 0 ? a : b));
  return {
    customerId,
    meter: meter.key,
    aggregation: meter.aggregation,
    groupBy: unit,
    window,
    buckets: values,
    total: rows.get(key(null)) ?? "0",
    average: toDecimalString(div(sum, parseDecimal(values.length), AVERAGE_SCALE, "half_even")),
    min: toDecimalString(least),
    max: toDecimalString(most),
  };
}

type Common = Omit<z.output<typeof batchStatsSchema>, "meters">;

async function run(sql: Sql, ctx: HubContext, q: Common, meters: Meter[], customerField: (index: number) => string): Promise<Stats[]> {
  const at = q.at ?? ctx.now();
  const cycles = await loadCycles(sql, ctx.catalog, q.customerIds, at, customerField);
  const spec = q.window ?? "billing_period";
  const scopes = [...new Set(q.customerIds)].map((customerId) => {
    const window = boundedWindow(spec, at, cycles.get(customerId)!);
    return { customerId, ...window, buckets: calendarBuckets(window, q.groupBy) };
  });
  const cells = scopes.reduce((total, scope) => total + scope.buckets.length * meters.length, 0);
  if (cells > MAX_CELLS) {
    throw new BillingError("INVALID_USAGE", `the query asks for ${cells} buckets (customers × meters × ${q.groupBy}s); at most ${MAX_CELLS}: narrow it`, { field: "groupBy" });
  }
  const rows: BucketRow[] = await queryUsageBuckets(sql, { scopes, meters, unit: q.groupBy, filter: q.filter });
  const values = new Map(rows.map((row) => [`${row.customerId}\u0000${row.meter}\u0000${row.bucket?.getTime() ?? "total"}`, row.value]));
  return scopes.flatMap((scope) => meters.map((meter) => summarize(scope.customerId, meter, q.groupBy, { from: scope.from, to: scope.to }, scope.buckets, values)));
}

/**
 * A meter's usage per hour, day, week or month (UTC calendar buckets, clipped to the window),
 * with the window's total and the average, minimum and maximum bucket. Empty buckets are "0".
 *
 * @example
 * await hub.ledger.stats({ customerId: "cus_1", meter: "api_calls", window: "last_30_days", groupBy: "day" })
 * // { buckets: [{ from, to, value: "120" }, ...], total: "3400", average: "113.333333", min: "0", max: "410", ... }
 */
export async function stats(sql: Sql, ctx: HubContext, query: StatsQuery): Promise<Stats> {
  const { customerId, meter, ...rest } = parseWith(statsSchema, query, "VALIDATION_FAILED");
  const [result] = await run(sql, ctx, { ...rest, customerIds: [customerId] }, [requireMeter(ctx.catalog, meter)], () => "customerId");
  return result!;
}

/**
 * `stats` for many customers × meters in one query; results customer by customer, meter by meter.
 * Each customer's named window is its own (billing periods differ per customer).
 */
export async function batchStats(sql: Sql, ctx: HubContext, query: BatchStatsQuery): Promise<Stats[]> {
  const q = parseWith(batchStatsSchema, query, "VALIDATION_FAILED");
  const meters = [...new Set(q.meters)].map((key) => requireMeter(ctx.catalog, key, `meters.${q.meters.indexOf(key)}`));
  return run(sql, ctx, q, meters, (index) => `customerIds.${index}`);
}
