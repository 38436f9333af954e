import { parseDecimal, sum, toDecimalString } from "../../core/decimal.ts";
import { BillingError } from "../../core/errors.ts";
import type { ProviderUsageTotal, UsageTotalQuery } from "../types.ts";
import type { MetronomeClient } from "./client.ts";
import type { MetronomeMeters } from "./config.ts";
import { metronomeErrorToBillingError } from "./errors.ts";

const AGGREGATION_NAMES: Readonly<Record<string, string>> = { SUM: "sum", COUNT: "count", MAX: "max", LATEST: "last", UNIQUE: "unique_count" };

/**
 * Reads Metronome's total of one billable metric for one customer, for reconciliation:
 * `POST /v1/usage` (`client.v1.usage.list`) with `window_size: "NONE"`, "a single usage aggregate
 * for the entirety of the specified period" (`resources/v1/usage.d.ts` of @metronome/sdk 3.10),
 * for the meter's `billableMetricId` and the customer's Metronome id (`customer_ids` takes
 * Metronome customer ids, not ingest aliases); the metric's `aggregation_type` (GET
 * /v1/billable-metrics/{id}, read once per metric) says how it aggregates. Metronome answers `value` as a JSON number (null
 * when nothing matched), so the total is exact only as far as a double carries it.
 *
 * @example
 * const read = createMetronomeUsageTotals(client, config.meters, () => new Date());
 * await read({ meter: "api_calls", providerCustomerId: "d7abd0cd-…", from: oct1, to: nov1 }) // { value: "1500", aggregation: "sum" }
 */
export function createMetronomeUsageTotals(client: MetronomeClient, meters: MetronomeMeters, now: () => Date) {
  const aggregations = new Map<string, Promise<string>>();
  /** The metric's aggregation in the catalog's words (`aggregation_type` SUM → sum, LATEST → last, UNIQUE → unique_count). */
  const aggregationOf = (metric: string): Promise<string> => {
    let known = aggregations.get(metric);
    if (known === undefined) {
      known = client.billableMetricAggregation(metric).then((type) => (type === undefined ? "billable_metric" : (AGGREGATION_NAMES[type] ?? type.toLowerCase())));
      known.catch(() => aggregations.delete(metric));
      aggregations.set(metric, known);
    }
    return known;
  };

  return async function readUsageTotal(query: UsageTotalQuery): Promise<ProviderUsageTotal> {
    const metric = meters[query.meter]?.billableMetricId;
    if (metric === undefined) {
      throw new BillingError("UNKNOWN_METER", `Meter ${JSON.stringify(query.meter)} has no Metronome billable metric to reconcile against; set metronome.meters.${query.meter}.billableMetricId to the id of the metric that counts its events`, {
        provider: "metronome",
        field: `metronome.meters.${query.meter}.billableMetricId`,
      });
    }
    let aggregates;
    let aggregation;
    try {
      aggregation = await aggregationOf(metric);
      aggregates = await client.listUsage({
        starting_on: query.from.toISOString(),
        ending_before: query.to.toISOString(),
        window_size: "NONE",
        customer_ids: [query.providerCustomerId],
        billable_metrics: [{ id: metric }],
      });
    } catch (error) {
      const failure = metronomeErrorToBillingError(error, now());
      if (failure.code !== "PROVIDER_NOT_FOUND") throw failure;
      throw new BillingError("PROVIDER_NOT_FOUND", `Metronome has no customer ${JSON.stringify(query.providerCustomerId)} or billable metric ${JSON.stringify(metric)}: ${failure.message}`, { provider: "metronome", cause: failure });
    }
    const values = aggregates
      .filter((aggregate) => aggregate.customer_id === query.providerCustomerId && aggregate.billable_metric_id === metric && aggregate.value !== null)
      .map((aggregate) => parseDecimal(String(aggregate.value)));
    return { value: toDecimalString(sum(values)), aggregation };
  };
}
