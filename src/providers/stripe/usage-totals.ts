import type Stripe from "stripe";
import { z } from "zod";
import { canonicalDecimal } from "../../core/decimal.ts";
import { BillingError } from "../../core/errors.ts";
import type { ProviderUsageTotal, UsageTotalQuery } from "../types.ts";
import { isStripeError, stripeErrorToBillingError } from "./errors.ts";
import type { StripeMeters } from "./meter-event.ts";

interface StripeMeterRef {
  id: string;
  formula: string;
  active: boolean;
}

const meterSchema = z.object({ id: z.string(), event_name: z.string(), status: z.string(), default_aggregation: z.object({ formula: z.string() }) });
const summariesSchema = z.object({ data: z.array(z.object({ aggregated_value: z.number() })) });

const MINUTE_MS = 60_000;

/**
 * Reads Stripe's totals for reconciliation: the catalog meter's `eventName` is looked up among
 * Stripe's meters (`GET /v1/billing/meters`, active ones first, the list kept until a name is
 * missing from it), then `GET /v1/billing/meters/:id/event_summaries` for the customer and window
 * gives one summary of the whole window. A meter Stripe no longer has (deleted and recreated
 * under the same event name) is looked up again once. Stripe summaries are eventually consistent.
 *
 * @example
 * const read = createStripeUsageTotals(client, config.meters, () => new Date());
 * await read({ meter: "api_calls", providerCustomerId: "cus_1", from: oct1, to: nov1 }) // { value: "1500", aggregation: "sum" }
 */
export function createStripeUsageTotals(client: Stripe, meters: StripeMeters, now: () => Date) {
  let known: Promise<Map<string, StripeMeterRef>> | undefined;

  async function listMeters(): Promise<Map<string, StripeMeterRef>> {
    const byName = new Map<string, StripeMeterRef>();
    try {
      for await (const raw of client.billing.meters.list({ limit: 100 })) {
        const meter = read(meterSchema, raw, "billing meter");
        const ref = { id: meter.id, formula: meter.default_aggregation.formula, active: meter.status === "active" };
        // An active meter wins over deactivated ones that once used the same event name.
        if (!byName.get(meter.event_name)?.active) byName.set(meter.event_name, ref);
      }
    } catch (error) {
      throw error instanceof BillingError ? error : stripeErrorToBillingError(error, now());
    }
    return byName;
  }

  async function meterNamed(eventName: string): Promise<StripeMeterRef | undefined> {
    const cached = await (known ??= listMeters().catch((error: unknown) => {
      known = undefined;
      throw error;
    }));
    if (cached.has(eventName)) return cached.get(eventName);
    known = listMeters();
    return (await known).get(eventName);
  }

  return async function readUsageTotal(query: UsageTotalQuery): Promise<ProviderUsageTotal> {
    const mapping = meters[query.meter];
    if (mapping === undefined) {
      throw new BillingError("UNKNOWN_METER", `Meter ${JSON.stringify(query.meter)} has no stripe mapping; add stripe.meters.${query.meter} = { "eventName": "<Stripe meter event_name>" } to the config`, {
        provider: "stripe",
        field: `stripe.meters.${query.meter}`,
      });
    }
    for (const [name, at] of [["from", query.from], ["to", query.to]] as const) {
      if (at.getTime() % MINUTE_MS !== 0) {
        throw new BillingError("VALIDATION_FAILED", `Stripe summarizes meters over whole minutes; ${name} ${at.toISOString()} is not on a minute boundary`, { field: name });
      }
    }
    const summaryOf = async (meter: StripeMeterRef) =>
      client.billing.meters.listEventSummaries(meter.id, {
        customer: query.providerCustomerId,
        start_time: query.from.getTime() / 1000,
        end_time: query.to.getTime() / 1000,
        limit: 1,
      });
    let meter = await meterNamed(mapping.eventName);
    for (let lookups = 1; ; lookups += 1) {
      if (meter === undefined) {
        throw new BillingError("UNKNOWN_METER", `Stripe has no meter with event_name ${JSON.stringify(mapping.eventName)} (stripe.meters.${query.meter}.eventName); create it in Stripe or fix the mapping`, {
          provider: "stripe",
          field: `stripe.meters.${query.meter}.eventName`,
        });
      }
      try {
        const summary = read(summariesSchema, await summaryOf(meter), "meter event summary list").data[0];
        return { value: summary === undefined ? "0" : canonicalDecimal(summary.aggregated_value), aggregation: meter.formula };
      } catch (error) {
        if (error instanceof BillingError) throw error;
        const meterGone = isStripeError(error) && error.statusCode === 404 && /billing meter/i.test(error.message);
        if (!meterGone || lookups > 1) throw stripeErrorToBillingError(error, now());
        known = undefined;
        meter = await meterNamed(mapping.eventName);
      }
    }
  };
}

function read<S extends z.ZodType>(schema: S, response: unknown, what: string): z.output<S> {
  const result = schema.safeParse(response);
  if (result.success) return result.data;
  throw new BillingError("PROVIDER_REJECTED", `Stripe's ${what} response is not what billhub reads: ${result.error.issues[0]?.message ?? "invalid"}`, { provider: "stripe" });
}
