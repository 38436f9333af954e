import type { Plan } from "../../core/catalog/index.ts";
import { parseDecimal } from "../../core/decimal.ts";
import { BillingError } from "../../core/errors.ts";
import type { InvoicePeriod, PricedInvoice } from "../../core/invoicing/invoice.ts";
import { netEventValues } from "../../core/invoicing/net-event-values.ts";
import { mapUsageToLineItems } from "../../core/pricing/map-usage-to-line-items.ts";
import type { MeterUsageInput } from "../../core/pricing/usage-input.ts";
import type { CustomerRecord } from "../../store/customer-repository.ts";
import { queryEventValues, queryUsageTotals, type MeterSpec } from "../../store/ledger/aggregate.ts";
import type { Sql } from "../../store/types.ts";
import type { HubContext } from "../context.ts";
import type { PriceResolvers } from "./price-resolvers.ts";

/** A customer to price, with the window to bill. */
export interface InvoiceTarget {
  customer: CustomerRecord;
  period: InvoicePeriod;
  /** Whose synced prices a lookup key means; default: the customer's primary provider (none when usage stays in billhub). */
  priceProvider?: string;
}

export type PricingOutcome =
  | {
      ok: true;
      invoice: PricedInvoice;
      plan: Plan;
      /** What was priced, per charged meter. */
      usage: Record<string, MeterUsageInput>;
      /** Whether the ledger holds any entry of a charged meter in the window. */
      hadUsage: boolean;
      /** The customer's primary provider. */
      provider: string;
    }
  | { ok: false; error: BillingError };

/** The plan a customer is billed on: the assigned one, or the catalog's default. */
function planOf(ctx: HubContext, customer: CustomerRecord): Plan {
  const key = customer.planKey ?? ctx.catalog.defaultPlan;
  const plan = Object.hasOwn(ctx.catalog.plans, key) ? ctx.catalog.plans[key] : undefined;
  if (plan === undefined) {
    throw new BillingError("UNKNOWN_PLAN", `customer ${JSON.stringify(customer.id)} is on plan "${key}", which the catalog no longer declares`, { field: "plan" });
  }
  return plan;
}

/** Percentage charges price each event: their meters (sum meters only) need per-event values. */
function perEventMeters(ctx: HubContext, plan: Plan): Set<string> {
  const meters = new Set<string>();
  for (const charge of plan.pricing.charges) {
    if (charge.model === "percentage" && charge.meter !== null && ctx.catalog.meters[charge.meter]?.aggregation === "sum") meters.add(charge.meter);
  }
  return meters;
}

/**
 * A refusal about this customer's data (a price not synced, a plan gone) fails that customer
 * only; anything else — an outage, a bug — is rethrown and stops the caller.
 */
function customerFailure(error: unknown): BillingError {
  if (error instanceof BillingError && !error.retryable && error.code !== "INTERNAL") return error;
  throw error;
}

function keyed(customerId: string, meter: string): string {
  return `${customerId}\u0000${meter}`;
}

/** A period total below zero (more given back than used) bills as nothing. */
function nonNegative(value: string): string {
  return value.startsWith("-") ? "0" : value;
}

/**
 * Prices a batch of customers for their windows: the ledger's totals per customer × meter in one
 * statement (plus, for percentage charges, each event's value in a second), then
 * `mapUsageToLineItems` per customer with the prices in effect at the end of its window. A
 * customer whose pricing fails (a price not synced, a plan no longer declared) gets its error;
 * the others are unaffected. The invoice run, the preview and invoice-items billing all price
 * through here, so a preview equals the invoice the run stores for the same window.
 */
export async function priceInvoices(sql: Sql, ctx: HubContext, targets: readonly InvoiceTarget[], resolvers: PriceResolvers): Promise<Map<string, PricingOutcome>> {
  const outcomes = new Map<string, PricingOutcome>();
  const planned: Array<InvoiceTarget & { plan: Plan; perEvent: Set<string> }> = [];
  for (const target of targets) {
    try {
      const plan = planOf(ctx, target.customer);
      planned.push({ ...target, plan, perEvent: perEventMeters(ctx, plan) });
    } catch (error) {
      outcomes.set(target.customer.id, { ok: false, error: customerFailure(error) });
    }
  }
  const meterKeys = new Set(planned.flatMap((target) => [...target.plan.pricing.meters.keys()]));
  const meters: MeterSpec[] = [...meterKeys].map((key) => ctx.catalog.meters[key]!);
  const scopes = planned.map((target) => ({ customerId: target.customer.id, from: target.period.from, to: target.period.to }));
  const totals = new Map<string, string>();
  for (const row of await queryUsageTotals(sql, { scopes, meters })) totals.set(keyed(row.customerId, row.meter), row.value);

  const eventScopes = planned.filter((target) => target.perEvent.size > 0);
  const eventValues = new Map<string, string[]>();
  if (eventScopes.length > 0) {
    const rows = await queryEventValues(sql, {
      scopes: eventScopes.map((target) => ({ customerId: target.customer.id, from: target.period.from, to: target.period.to })),
      meters: [...new Set(eventScopes.flatMap((target) => [...target.perEvent]))],
    });
    for (const row of rows) {
      const key = keyed(row.customerId, row.meter);
      const list = eventValues.get(key) ?? [];
      list.push(row.value);
      eventValues.set(key, list);
    }
  }

  for (const target of planned) {
    const { customer, plan, period } = target;
    try {
      const usage: Record<string, MeterUsageInput> = {};
      let hadUsage = false;
      for (const meter of plan.pricing.meters.keys()) {
        const key = keyed(customer.id, meter);
        if (totals.has(key)) hadUsage = true;
        usage[meter] = target.perEvent.has(meter) ? netEventValues((eventValues.get(key) ?? []).map((value) => parseDecimal(value))) : nonNegative(totals.get(key) ?? "0");
      }
      const primary = ctx.providers.routeFor(customer.id).primary;
      const needsPrices = plan.pricing.charges.some((charge) => charge.priceRef !== undefined);
      const priceProvider = target.priceProvider ?? (primary.remote ? primary.id : undefined);
      const resolvePrice = needsPrices ? await resolvers.forPeriod(sql, period, priceProvider) : undefined;
      const priced = mapUsageToLineItems(plan.pricing, usage, resolvePrice === undefined ? {} : { resolvePrice });
      const invoice: PricedInvoice = {
        customerId: customer.id,
        plan: plan.key,
        period: { from: period.from, to: period.to },
        currency: priced.currency,
        lineItems: priced.lineItems.map((line, index) => ({ ...line, lineNumber: index + 1 })),
        subtotal: priced.subtotal,
      };
      outcomes.set(customer.id, { ok: true, invoice, plan, usage, hadUsage, provider: primary.id });
    } catch (error) {
      outcomes.set(customer.id, { ok: false, error: customerFailure(error) });
    }
  }
  return outcomes;
}
