import { parseDecimal, toDecimalString } from "../../core/decimal.ts";
import { BillingError } from "../../core/errors.ts";
import type { ProviderUsageTotal, UsageTotalQuery } from "../types.ts";
import type { PolarClient } from "./client.ts";
import type { PolarMeters } from "./config.ts";
import { polarErrorToBillingError } from "./errors.ts";

/**
 * Reads Polar's total of one meter for one customer, for reconciliation: `polar.meters.quantities`
 * (GET /v1/meters/{id}/quantities) over the window with `external_customer_id`, whose `total` is
 * "the total quantity for the period" (`MeterQuantities` in the SDK's models). Customer meters
 * (`polar.customerMeters.list`) hold only the current billing period's consumption, so they cannot
 * answer for an arbitrary window. The meter's aggregation function (GET /v1/meters/{id}, read once
 * per meter) names how it aggregates. Polar sums as floating point, so the total is exact only as
 * far as a double carries it.
 *
 * @example
 * const read = createPolarUsageTotals(client, config.meters);
 * await read({ meter: "api_calls", providerCustomerId: "acme", from: oct1, to: nov1 }) // { value: "1500", aggregation: "sum" }
 */
export function createPolarUsageTotals(client: PolarClient, meters: PolarMeters) {
  const aggregations = new Map<string, Promise<string>>();
  const aggregationOf = (meterId: string): Promise<string> => {
    let known = aggregations.get(meterId);
    if (known === undefined) {
      known = client.meterAggregation(meterId);
      known.catch(() => aggregations.delete(meterId));
      aggregations.set(meterId, known);
    }
    return known;
  };

  return async function readUsageTotal(query: UsageTotalQuery): Promise<ProviderUsageTotal> {
    const meterId = meters[query.meter]?.meterId;
    if (meterId === undefined) {
      throw new BillingError("UNKNOWN_METER", `Meter ${JSON.stringify(query.meter)} has no Polar meter to reconcile against; set polar.meters.${query.meter}.meterId to the id of the Polar meter that counts its events`, {
        provider: "polar",
        field: `polar.meters.${query.meter}.meterId`,
      });
    }
    try {
      const aggregation = await aggregationOf(meterId);
      const total = await client.meterTotal(meterId, { from: query.from, to: query.to, externalCustomerId: query.providerCustomerId });
      return { value: toDecimalString(parseDecimal(String(total))), aggregation };
    } catch (error) {
      const failure = polarErrorToBillingError(error);
      if (failure.code !== "PROVIDER_NOT_FOUND") throw failure;
      throw new BillingError("PROVIDER_NOT_FOUND", `Polar has no meter ${JSON.stringify(meterId)}: ${failure.message}`, { provider: "polar", cause: failure });
    }
  };
}
