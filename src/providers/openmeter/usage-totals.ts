import { parseDecimal, sum, toDecimalString } from "../../core/decimal.ts";
import { BillingError } from "../../core/errors.ts";
import type { ProviderUsageTotal, UsageTotalQuery } from "../types.ts";
import type { OpenMeterClient } from "./client.ts";
import type { OpenMeterMeters } from "./config.ts";
import { openmeterErrorToBillingError } from "./errors.ts";

/**
 * Reads OpenMeter's total of one meter for one subject, for reconciliation: `om.meters.query`
 * (GET /api/v1/meters/{meterIdOrSlug}/query) without `windowSize`, which returns "a single usage
 * aggregate … for the entirety of the specified period for each subject and group" (`queryMeter`
 * in the SDK's `schemas.d.ts`), filtered to the customer's subject. The meter's `aggregation`
 * (GET /api/v1/meters/{meterIdOrSlug}, read once per meter) names how it aggregates. OpenMeter
 * answers `value` as a double, so the total is exact only as far as a double carries it.
 *
 * @example
 * const read = createOpenMeterUsageTotals(client, config.meters, () => new Date());
 * await read({ meter: "api_calls", providerCustomerId: "acme", from: oct1, to: nov1 }) // { value: "1500", aggregation: "sum" }
 */
export function createOpenMeterUsageTotals(client: OpenMeterClient, meters: OpenMeterMeters, now: () => Date) {
  const aggregations = new Map<string, Promise<string>>();
  const aggregationOf = (slug: string): Promise<string> => {
    let known = aggregations.get(slug);
    if (known === undefined) {
      known = client.meterAggregation(slug).then((aggregation) => aggregation.toLowerCase());
      known.catch(() => aggregations.delete(slug));
      aggregations.set(slug, known);
    }
    return known;
  };

  return async function readUsageTotal(query: UsageTotalQuery): Promise<ProviderUsageTotal> {
    const slug = meters[query.meter]?.meterSlug;
    if (slug === undefined) {
      throw new BillingError("UNKNOWN_METER", `Meter ${JSON.stringify(query.meter)} has no OpenMeter meter to reconcile against; set openmeter.meters.${query.meter}.meterSlug to the slug of the meter that counts its events`, {
        provider: "openmeter",
        field: `openmeter.meters.${query.meter}.meterSlug`,
      });
    }
    let rows;
    let aggregation;
    try {
      aggregation = await aggregationOf(slug);
      rows = await client.queryMeter(slug, { from: query.from, to: query.to, subject: query.providerCustomerId });
    } catch (error) {
      const failure = openmeterErrorToBillingError(error, now());
      if (failure.code !== "PROVIDER_NOT_FOUND") throw failure;
      throw new BillingError("PROVIDER_NOT_FOUND", `OpenMeter has no meter ${JSON.stringify(slug)}: ${failure.message}`, { provider: "openmeter", cause: failure });
    }
    const values = rows.filter((row) => row.subject === query.providerCustomerId).map((row) => parseDecimal(String(row.value)));
    return { value: toDecimalString(sum(values)), aggregation };
  };
}
