import { parseDecimal, sum, toDecimalString, type Decimal } from "../../core/decimal.ts";
import { BillingError } from "../../core/errors.ts";
import type { RequestLimiter } from "../request-limiter.ts";
import type { ProviderUsageTotal, UsageTotalQuery } from "../types.ts";
import type { LagoClient, LagoPeriodUsage, LagoSubscription } from "./client.ts";
import type { LagoMeters } from "./config.ts";
import { lagoErrorToBillingError } from "./errors.ts";

/** Lago's `aggregation_type` in the catalog's words (`CustomerChargeUsageObject.billable_metric`). */
const AGGREGATION_NAMES: Readonly<Record<string, string>> = { sum_agg: "sum", count_agg: "count", max_agg: "max", unique_count_agg: "unique_count", latest_agg: "last", weighted_sum_agg: "weighted_sum" };

export interface LagoUsageTotalsDeps {
  client: LagoClient;
  meters: LagoMeters;
  /** Paces the reads (Lago allows 50 requests/s on them). */
  reads: RequestLimiter;
  now: () => Date;
}

interface Period {
  subscription: string;
  from: number;
  /** Exclusive. */
  to: number;
  usage: LagoPeriodUsage;
}

/**
 * Reads Lago's total of one billable metric for one customer, for reconciliation. Lago reports
 * usage only per subscription and billing period: `GET /customers/{external_customer_id}/current_usage?external_subscription_id=`
 * for the period in progress and `GET /customers/{id}/past_usage?external_subscription_id=` for
 * the invoiced ones (`findCustomerCurrentUsage` / `findAllCustomerPastUsage` in
 * `esm/openapi/client.d.ts` of lago-javascript-client 1.53), each a `CustomerUsageObject`:
 * `from_datetime`, `to_datetime` (the period's last second, "2022-07-31T23:59:59Z") and
 * `charges_usage[]` with the charge's `units` (an exact decimal string) and its billable metric's
 * `code` and `aggregation_type`. Both take `billable_metric_code` to filter.
 *
 * A window is comparable when every billing period of the customer's active and terminated
 * subscriptions that overlaps it lies inside it: a month that is one Lago period, two whole
 * months, or a month split by a plan change between two subscriptions. Usage is attached to a
 * subscription, so summing periods of different subscriptions counts no event twice. Anything
 * else (a window that cuts a period, no period in the window, a plan with no charge or several
 * charges on the metric) is answered as not comparable, naming Lago's periods, never as a total.
 *
 * @example
 * const read = createLagoUsageTotals({ client, meters: config.meters, reads, now });
 * await read({ meter: "api_calls", providerCustomerId: "acme", from: mar1, to: apr1 }) // { value: "1500", aggregation: "sum" }
 */
export function createLagoUsageTotals(deps: LagoUsageTotalsDeps) {
  const { client, meters, reads, now } = deps;
  const call = async <T>(read: () => Promise<T>, notFound: (failure: BillingError) => string): Promise<T> => {
    try {
      return await reads.run(read);
    } catch (error) {
      const failure = lagoErrorToBillingError(error, now());
      if (failure.code !== "PROVIDER_NOT_FOUND") throw failure;
      throw new BillingError("PROVIDER_NOT_FOUND", notFound(failure), { provider: "lago", cause: failure });
    }
  };

  return async function readUsageTotal(query: UsageTotalQuery): Promise<ProviderUsageTotal> {
    const code = meters[query.meter]?.code;
    if (code === undefined) {
      throw new BillingError("UNKNOWN_METER", `Meter ${JSON.stringify(query.meter)} has no Lago billable metric to reconcile against; set lago.meters.${query.meter}.code`, { provider: "lago", field: `lago.meters.${query.meter}.code` });
    }
    const customer = query.providerCustomerId;
    const named = JSON.stringify(customer);
    const subscriptions = await call(() => client.subscriptionsOf(customer, ["active", "terminated"]), (failure) => `Lago has no customer ${named}: ${failure.message}`);
    if (subscriptions.length === 0) {
      throw new BillingError("PROVIDER_NOT_FOUND", `Lago has no active or terminated subscription for customer ${named} (an external customer id Lago does not know has none), so it reports none of their usage`, { provider: "lago" });
    }

    const periods: Period[] = [];
    for (const subscription of subscriptions) periods.push(...(await periodsOf(subscription, code)));
    const from = query.from.getTime();
    const to = query.to.getTime();
    const overlapping = periods.filter((period) => period.from < to && period.to > from);
    const window = `${query.from.toISOString()}..${query.to.toISOString()}`;
    const list = (some: Period[]) => some.map((period) => `${period.subscription} ${new Date(period.from).toISOString()}..${new Date(period.to).toISOString()}`).join(", ");
    if (overlapping.length === 0) {
      return { value: null, notComparable: `Lago reports usage per subscription billing period, and none of customer ${named}'s (${subscriptions.map((s) => s.external_id).join(", ")}) has a period in ${window}` };
    }
    const cut = overlapping.filter((period) => period.from < from || period.to > to);
    if (cut.length > 0) {
      return { value: null, notComparable: `Lago reports usage per billing period and ${window} cuts through ${list(cut)}; reconcile over whole periods of Lago's (each from its first instant to the second after its to_datetime)` };
    }

    const totals: Decimal[] = [];
    const aggregations = new Set<string>();
    for (const period of overlapping) {
      const charges = period.usage.charges_usage.filter((charge) => charge.billable_metric.code === code);
      if (charges.length !== 1) {
        const why = charges.length === 0 ? `has no charge on billable metric ${JSON.stringify(code)}, so Lago bills none of it` : `has ${charges.length} charges on billable metric ${JSON.stringify(code)}, whose units Lago reports per charge`;
        return { value: null, notComparable: `the plan of ${list([period])} ${why}` };
      }
      const charge = charges[0]!;
      totals.push(parseDecimal(charge.units));
      aggregations.add(AGGREGATION_NAMES[charge.billable_metric.aggregation_type] ?? charge.billable_metric.aggregation_type);
    }
    return { value: toDecimalString(sum(totals)), aggregation: [...aggregations].join("+") };
  };

  /** The subscription's billing periods Lago reports usage for: the invoiced ones and, while it is active, the current one. */
  async function periodsOf(subscription: LagoSubscription, code: string): Promise<Period[]> {
    const customer = subscription.external_customer_id;
    const id = subscription.external_id;
    const notFound = (failure: BillingError) => `Lago could not find subscription ${JSON.stringify(id)} of customer ${JSON.stringify(customer)}: ${failure.message}`;
    const usages = await call(() => client.pastUsage(customer, id, code), notFound);
    if (subscription.status === "active") usages.push(await call(() => client.currentUsage(customer, id, code), notFound));
    return usages.flatMap((usage) => {
      const from = Date.parse(usage.from_datetime);
      const last = Date.parse(usage.to_datetime);
      if (Number.isNaN(from) || Number.isNaN(last)) return [];
      // to_datetime is the period's last second (23:59:59): the period ends, exclusive, one second after it.
      return [{ subscription: id, from, to: Math.floor(last / 1000) * 1000 + 1000, usage }];
    });
  }
}
