import { parseDecimal, sum, toDecimalString } from "../../core/decimal.ts";
import { BillingError } from "../../core/errors.ts";
import type { ProviderUsageTotal, UsageTotalQuery } from "../types.ts";
import type { OrbClient, OrbSubscription } from "./client.ts";
import type { OrbMeters } from "./config.ts";
import { orbErrorToBillingError } from "./errors.ts";

/**
 * Reads Orb's total of one billable metric for one customer, for reconciliation. Orb counts usage
 * per subscription: `GET /v1/subscriptions/{id}/usage` (`client.subscriptions.fetchUsage`) with
 * `timeframe_start` / `timeframe_end` "calculate[s] quantities for usage incurred between
 * timeframe_start (inclusive) and timeframe_end (exclusive)", and without `granularity` "usage is
 * returned for the entirety of the time range", one `data` entry per billable metric that
 * participates in the subscription, its `usage[].quantity` a JSON number (the `fetchUsage`
 * docblock and `SubscriptionUsage` in `resources/subscriptions.d.ts` of orb-billing 6.11;
 * docs.withorb.com/api-reference/subscription/fetch-subscription-usage). `billable_metric_id`
 * filters only together with `group_by`, so the metric is picked out of the answer.
 *
 * The customer's subscriptions come from `GET /v1/subscriptions?external_customer_id[]=` (every
 * status); each one active in the window is asked for the part of the window it covers, so a plan
 * change from one subscription to the next is counted once. Two subscriptions active at the same
 * time that both meter the metric would each count the customer's events: that total is reported
 * as not comparable rather than doubled. Customer costs (`customers.costs.list`) are not used:
 * they price usage per day and per price, from the billing period's start, not per metric over
 * an arbitrary window.
 *
 * The metric's aggregation is read from its SQL (GET /v1/metrics/{id}, `BillableMetric.sql`, read
 * once per metric), Orb's only statement of it: `SELECT sum(...)` → sum, `count(DISTINCT ...)` →
 * unique_count, anything else → "sql". Quantities are doubles, so the total is exact only as far as
 * a double carries it.
 *
 * @example
 * const read = createOrbUsageTotals(client, config.meters, () => new Date());
 * await read({ meter: "api_calls", providerCustomerId: "acme", from: oct1, to: nov1 }) // { value: "1500", aggregation: "sum" }
 */
export function createOrbUsageTotals(client: OrbClient, meters: OrbMeters, now: () => Date) {
  const aggregations = new Map<string, Promise<string>>();
  const aggregationOf = (metricId: string): Promise<string> => {
    let known = aggregations.get(metricId);
    if (known === undefined) {
      known = client.billableMetric(metricId).then((metric) => aggregationFromSql(metric.sql));
      known.catch(() => aggregations.delete(metricId));
      aggregations.set(metricId, known);
    }
    return known;
  };

  return async function readUsageTotal(query: UsageTotalQuery): Promise<ProviderUsageTotal> {
    const metricId = meters[query.meter]?.billableMetricId;
    if (metricId === undefined) {
      throw new BillingError("UNKNOWN_METER", `Meter ${JSON.stringify(query.meter)} has no Orb billable metric to reconcile against; set orb.meters.${query.meter}.billableMetricId to the id of the metric that counts its events`, {
        provider: "orb",
        field: `orb.meters.${query.meter}.billableMetricId`,
      });
    }
    const customer = JSON.stringify(query.providerCustomerId);
    let aggregation: string;
    try {
      aggregation = await aggregationOf(metricId);
    } catch (error) {
      const failure = orbErrorToBillingError(error, now());
      if (failure.code !== "PROVIDER_NOT_FOUND") throw failure;
      throw new BillingError("UNKNOWN_METER", `Orb has no billable metric ${JSON.stringify(metricId)} (orb.meters.${query.meter}.billableMetricId): ${failure.message}`, { provider: "orb", cause: failure });
    }

    let subscriptions: OrbSubscription[];
    try {
      subscriptions = await client.subscriptionsOf(query.providerCustomerId);
    } catch (error) {
      throw orbErrorToBillingError(error, now());
    }
    if (subscriptions.length === 0) {
      throw new BillingError("PROVIDER_NOT_FOUND", `Orb has no subscription for customer ${customer} (an external_customer_id Orb does not know has none), so it meters none of their usage`, { provider: "orb" });
    }
    const active = subscriptions.map((subscription) => ({ subscription, window: coveredWindow(subscription, query) })).filter((entry) => entry.window !== undefined);
    if (active.length === 0) {
      return { value: null, notComparable: `Orb meters usage through subscriptions, and none of customer ${customer}'s (${subscriptions.map((s) => s.id).join(", ")}) was active in the window` };
    }

    const metered: { id: string; window: { from: Date; to: Date }; quantities: number[] }[] = [];
    for (const { subscription, window } of active) {
      let usage;
      try {
        usage = await client.subscriptionUsage(subscription.id, window!);
      } catch (error) {
        const failure = orbErrorToBillingError(error, now());
        if (failure.code !== "PROVIDER_NOT_FOUND") throw failure;
        throw new BillingError("PROVIDER_NOT_FOUND", `Orb could not find subscription ${subscription.id} of customer ${customer}: ${failure.message}`, { provider: "orb", cause: failure });
      }
      const entries = usage.data.filter((entry) => entry.billable_metric.id === metricId);
      if (entries.length > 0) metered.push({ id: subscription.id, window: window!, quantities: entries.flatMap((entry) => entry.usage.map((bucket) => bucket.quantity)) });
    }
    if (metered.length === 0) {
      return { value: null, notComparable: `billable metric ${JSON.stringify(metricId)} is on none of customer ${customer}'s Orb subscriptions active in the window (${active.map((entry) => entry.subscription.id).join(", ")}), so Orb bills none of this usage` };
    }
    const overlapping = metered.find((a, i) => metered.some((b, j) => i < j && a.window.from < b.window.to && b.window.from < a.window.to));
    if (overlapping !== undefined) {
      return { value: null, notComparable: `customer ${customer} has Orb subscriptions active at the same time that each meter ${JSON.stringify(metricId)} (${metered.map((entry) => entry.id).join(", ")}); each counts the customer's events, so their sum is no total` };
    }
    return { value: toDecimalString(sum(metered.flatMap((entry) => entry.quantities).map((quantity) => parseDecimal(String(quantity))))), aggregation };
  };
}

/** The part of the query's window the subscription was active in (`start_date` inclusive, `end_date` exclusive, null = open), if any. */
function coveredWindow(subscription: OrbSubscription, query: UsageTotalQuery): { from: Date; to: Date } | undefined {
  const start = Date.parse(subscription.start_date);
  const end = subscription.end_date === null ? Number.POSITIVE_INFINITY : Date.parse(subscription.end_date);
  if (Number.isNaN(start) || Number.isNaN(end)) return undefined;
  const from = Math.max(start, query.from.getTime());
  const to = Math.min(end, query.to.getTime());
  return from < to ? { from: new Date(from), to: new Date(to) } : undefined;
}

const SQL_AGGREGATIONS: Readonly<Record<string, string>> = { sum: "sum", count: "count", max: "max", min: "min", avg: "avg" };

/**
 * How an Orb metric aggregates, from the head of its SQL.
 *
 * @example
 * aggregationFromSql("SELECT sum(tokens) FROM events WHERE event_name = 'llm'") // "sum"
 * aggregationFromSql("SELECT count(DISTINCT user_id) FROM events")             // "unique_count"
 */
export function aggregationFromSql(sql: string): string {
  const head = /^\s*select\s+([a-z_]+)\s*\(\s*(distinct\b)?/i.exec(sql);
  if (head === null) return "sql";
  const fn = head[1]!.toLowerCase();
  if (fn === "count" && head[2] !== undefined) return "unique_count";
  return SQL_AGGREGATIONS[fn] ?? "sql";
}
