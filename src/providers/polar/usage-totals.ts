import { add, max, min, parseDecimal, toDecimalString, type Decimal } from "../../core/decimal.ts";
import { BillingError } from "../../core/errors.ts";
import type { ProviderUsageTotal, UsageTotalQuery } from "../types.ts";
import type { PolarClient } from "./client.ts";
import type { PolarMeters } from "./config.ts";
import { polarErrorToBillingError } from "./errors.ts";
import { lastInstant, polarQuantityWindows } from "./quantity-windows.ts";

/**
 * Polar's aggregation functions (`AggregationFunction`: count, sum, max, min, avg, unique;
 * `server/polar/meter/aggregation.py` of polarsource/polar) in the catalog's words.
 */
const CATALOG_AGGREGATION: Readonly<Record<string, string>> = { count: "count", sum: "sum", max: "max", min: "min", avg: "avg", unique: "unique_count" };

/**
 * How totals of the requests a window needs combine, per Polar function. Polar's own `total` over
 * one request sums the buckets for count and sum ("summable") and takes the function itself over
 * them otherwise (`get_quantities` in `server/polar/meter/service.py`): right for max and min, but
 * an average of averages or a count of distinct bucket values is no figure for the window, so avg
 * and unique meters have none.
 */
const COMBINE: Readonly<Record<string, (a: Decimal, b: Decimal) => Decimal>> = { count: add, sum: add, max, min };

/** Above 2^53 a double no longer holds every whole number: Polar's total may have lost units. */
const LARGEST_EXACT = 2 ** 53;

/**
 * Reads Polar's total of one meter for one customer, for reconciliation: `polar.meters.quantities`
 * (GET /v1/meters/{id}/quantities, `MeterQuantities.total`, "the total quantity for the period")
 * with `external_customer_id`, which counts the events sent under that external id and those of
 * the Polar customer who has it (`get_external_customer_id_filter_clause` in polarsource/polar's
 * `server/polar/event/repository.py`). Usage goes out under the customer's external id
 * (`provider_ids.polar`, else billhub's customer id), so that is the id asked about. Customer
 * meters (`polar.customerMeters.list`) hold only the current billing period, not an arbitrary window.
 *
 * The window is asked for in whole UTC hours and days (`polarQuantityWindows`): Polar counts whole
 * buckets and includes the one `end_timestamp` falls in, so a window that does not start and end on
 * a whole hour has no exact figure and is answered as not comparable, with the reason. So is a
 * meter without `meterId`, one whose Polar aggregation differs from the catalog meter's (a catalog
 * sum against a Polar count meter), and an avg or unique meter (see COMBINE).
 *
 * Polar sums metadata as doubles (`as_float()`, `PropertyAggregation`), and the total arrives as a
 * JSON number: a whole total is exact up to 2^53 (beyond, not comparable); a fractional one is read
 * to 15 significant digits, what a double carries exactly, so 0.1 + 0.2 reads 0.3, not
 * 0.30000000000000004. A total of 0 for an external id Polar has no customer under is
 * PROVIDER_NOT_FOUND, saying so, rather than a silent 0.
 *
 * @example
 * const read = createPolarUsageTotals(client, config.meters);
 * await read({ meter: "api_calls", providerCustomerId: "acme", from: oct1, to: nov1, aggregation: "sum" }) // { value: "1500", aggregation: "sum" }
 */
export function createPolarUsageTotals(client: PolarClient, meters: PolarMeters) {
  const functions = new Map<string, Promise<string>>();
  const functionOf = (meterId: string): Promise<string> => {
    let known = functions.get(meterId);
    if (known === undefined) {
      known = client.meterAggregation(meterId);
      known.catch(() => functions.delete(meterId));
      functions.set(meterId, known);
    }
    return known;
  };
  const call = async <T>(send: () => Promise<T>): Promise<T> => {
    try {
      return await send();
    } catch (error) {
      throw polarErrorToBillingError(error);
    }
  };

  return async function readUsageTotal(query: UsageTotalQuery): Promise<ProviderUsageTotal> {
    const setting = `polar.meters.${query.meter}.meterId`;
    const meterId = meters[query.meter]?.meterId;
    if (meterId === undefined) {
      return { value: null, notComparable: `meter ${JSON.stringify(query.meter)} names no Polar meter; set ${setting} to the id of the Polar meter that counts its events` };
    }
    const windows = polarQuantityWindows(query.from, query.to);
    if (typeof windows === "string") return { value: null, notComparable: windows };

    let func: string;
    try {
      func = await call(() => functionOf(meterId));
    } catch (error) {
      if (!(error instanceof BillingError && error.code === "PROVIDER_NOT_FOUND")) throw error;
      throw new BillingError("UNKNOWN_METER", `Polar has no meter ${JSON.stringify(meterId)} (${setting}): ${error.message}`, { provider: "polar", field: setting, cause: error });
    }
    const aggregation = CATALOG_AGGREGATION[func] ?? func;
    if (query.aggregation !== undefined && query.aggregation !== aggregation) {
      return { value: null, notComparable: `the catalog meter aggregates by ${query.aggregation}, Polar meter ${JSON.stringify(meterId)} by ${func}; their totals measure different things` };
    }
    const combine = COMBINE[func];
    if (combine === undefined) {
      return { value: null, notComparable: `Polar meter ${JSON.stringify(meterId)} aggregates by ${func}, which Polar totals bucket by bucket (an hour or a day), so it has no ${func} over the window` };
    }

    let total: Decimal | undefined;
    for (const window of windows) {
      const figure = await call(() => client.meterTotal(meterId, { interval: window.interval, start: window.start, lastInstant: lastInstant(window.end), externalCustomerId: query.providerCustomerId }));
      const exact = exactTotal(figure);
      if (typeof exact === "string") return { value: null, notComparable: exact };
      total = total === undefined ? exact : combine(total, exact);
    }
    const value = toDecimalString(total!);
    if (value === "0") await requireCustomer(query.providerCustomerId);
    return { value, aggregation };
  };

  /** Throws PROVIDER_NOT_FOUND when Polar has no customer under this external id. */
  async function requireCustomer(externalId: string): Promise<void> {
    try {
      await call(() => client.customerByExternalId(externalId));
    } catch (error) {
      if (!(error instanceof BillingError && error.code === "PROVIDER_NOT_FOUND")) throw error;
      throw new BillingError("PROVIDER_NOT_FOUND", `Polar has no customer with external id ${JSON.stringify(externalId)} and no usage under it in the window`, { provider: "polar", cause: error });
    }
  }
}

/**
 * Polar's double total as an exact decimal, or why it cannot be one.
 *
 * @example
 * exactTotal(0.30000000000000004) // 0.3
 * exactTotal(1500)                // 1500
 */
function exactTotal(figure: number): Decimal | string {
  if (!Number.isFinite(figure)) return `Polar answered a total of ${String(figure)}`;
  if (Number.isInteger(figure)) {
    return Math.abs(figure) <= LARGEST_EXACT ? parseDecimal(figure) : `Polar's total ${String(figure)} is beyond 2^53, where its doubles no longer hold every whole number`;
  }
  return parseDecimal(figure.toPrecision(15));
}
