import type { Plan } from "../../core/catalog/index.ts";
import { parseDecimal } from "../../core/decimal.ts";
import { BillingError } from "../../core/errors.ts";
import type { InvoicePeriod, PricedInvoice } from "../../core/invoicing/invoice.ts";
import { invoiceLine } from "../../core/invoicing/invoice-line.ts";
import { netEventValues } from "../../core/invoicing/net-event-values.ts";
import { mapUsageToLineItems } from "../../core/pricing/map-usage-to-line-items.ts";
import type { MeterUsageInput } from "../../core/pricing/usage-input.ts";
import type { LineItem } from "../../core/pricing/line-item.ts";
import { joinPlanParts, type PricedPart } from "../../core/invoicing/plan-parts.ts";
import { planSpans } from "../../store/plan-change-repository.ts";
import type { CustomerRecord } from "../../store/customer-repository.ts";
import { queryEventValues, queryUsageTotals, type MeterSpec } from "../../store/ledger/aggregate.ts";
import type { Sql } from "../../store/types.ts";
import type { HubContext } from "../context.ts";
import type { PriceResolvers } from "./price-resolvers.ts";

/** A customer to price, with the window to bill. */
export interface InvoiceTarget {
  /** Pricing reads the customer's id only: its plans come from its plan history. */
  customer: Pick<CustomerRecord, "id">;
  period: InvoicePeriod;
  /** Whose synced prices a lookup key means; default: the customer's primary provider (none when usage stays in billhub). */
  priceProvider?: string;
  /** The window prorated flat fees are shared over, when longer than `period` (a billing period cut by an interval change); default `period`. */
  prorationWindow?: InvoicePeriod;
  /** Pieces of `period` other invoices already billed: left out of this one's parts. */
  holes?: readonly InvoicePeriod[];
}

/** A part of the window held on one plan, and what it was priced with. */
export interface PricedWindowPart {
  period: InvoicePeriod;
  plan: Plan;
  /** Held on the plan's trial (no flat fee). */
  trial: boolean;
  /** What was priced, per charged meter of the part's plan. */
  usage: Record<string, MeterUsageInput>;
  /** The part priced on its own (before its lines were joined into the invoice). */
  lineItems: readonly LineItem[];
}

export type PricingOutcome =
  | {
      ok: true;
      invoice: PricedInvoice;
      /** The plan held at the window's last instant (the invoice's plan). */
      plan: Plan;
      /** The window cut where the customer's plan changed, in time order; one part without a change. */
      parts: PricedWindowPart[];
      /** For each invoice line, the part it was priced for (null: a line of the whole window). */
      lineParts: readonly (InvoicePeriod | null)[];
      /** Whether the ledger holds any entry of a charged meter in the window. */
      hadUsage: boolean;
      /** The customer's primary provider. */
      provider: string;
    }
  | { ok: false; error: BillingError };

/** A plan by key (null = the catalog's default), or UNKNOWN_PLAN when the catalog no longer declares it. */
function planOf(ctx: HubContext, customer: Pick<CustomerRecord, "id">, planKey: string | null): Plan {
  const key = planKey ?? ctx.catalog.defaultPlan;
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

/** A value of a customer's part (its start) and meter. */
interface PartValue<T> {
  from: number;
  meter: string;
  value: T;
}

/**
 * Values per customer, each of a part (its start) and a meter: a customer has a few, so each is
 * found by a walk of the customer's. (A key joined from the three took a string built and hashed
 * per lookup: most of pricing's own time.)
 */
class PartValues<T> {
  readonly #byCustomer = new Map<string, PartValue<T>[]>();

  add(customerId: string, from: Date, meter: string, value: T): void {
    const own = this.#byCustomer.get(customerId);
    const entry = { from: from.getTime(), meter, value };
    if (own === undefined) this.#byCustomer.set(customerId, [entry]);
    else own.push(entry);
  }

  /** The customer's values, to look up with `at`. */
  of(customerId: string): readonly PartValue<T>[] {
    return this.#byCustomer.get(customerId) ?? [];
  }

  static at<T>(values: readonly PartValue<T>[], from: Date, meter: string): T | undefined {
    const at = from.getTime();
    for (const entry of values) if (entry.from === at && entry.meter === meter) return entry.value;
    return undefined;
  }
}

/** A period total below zero (more given back than used) bills as nothing. */
function nonNegative(value: string): string {
  return value.startsWith("-") ? "0" : value;
}

/** The pieces of `span` outside every hole (holes in time order, none overlapping). */
function withoutHoles(span: InvoicePeriod, holes: readonly InvoicePeriod[]): InvoicePeriod[] {
  const pieces: InvoicePeriod[] = [];
  let from = span.from;
  for (const hole of holes) {
    if (!(hole.from < span.to && hole.to > from)) continue;
    if (hole.from > from) pieces.push({ from, to: hole.from });
    from = hole.to;
  }
  if (from < span.to) pieces.push({ from, to: span.to });
  return pieces;
}

interface PlannedPart {
  period: InvoicePeriod;
  plan: Plan;
  trial: boolean;
  perEvent: Set<string>;
}

/**
 * Prices a batch of customers for their windows. Each window is cut where the customer's plan
 * changed (its plan history, read for the whole batch in one statement) and each part is priced on
 * the plan held then: the ledger's totals per customer × part × meter in one statement (plus, for
 * percentage charges, each event's value in a second), `mapUsageToLineItems` per part with the
 * prices in effect at the end of the window, and the parts joined into one invoice
 * (`joinPlanParts`). A customer whose pricing fails (a price not synced, a plan no longer
 * declared) gets its error; the others are unaffected. The invoice run, the preview and
 * invoice-items billing all price through here, so a preview equals the invoice the run stores
 * for the same window.
 */
export async function priceInvoices(sql: Sql, ctx: HubContext, targets: readonly InvoiceTarget[], resolvers: PriceResolvers): Promise<Map<string, PricingOutcome>> {
  const outcomes = new Map<string, PricingOutcome>();
  const spans = await planSpans(sql, targets.map((target) => ({ customerId: target.customer.id, ...target.period })));
  const planned: Array<{ target: InvoiceTarget; parts: PlannedPart[] }> = [];
  for (const target of targets) {
    try {
      const parts = spans.get(target.customer.id)!.flatMap((span) => {
        const plan = planOf(ctx, target.customer, span.planKey);
        return withoutHoles({ from: span.from, to: span.to }, target.holes ?? []).map((period) => ({ period, plan, trial: span.trial, perEvent: perEventMeters(ctx, plan) }));
      });
      planned.push({ target, parts });
    } catch (error) {
      outcomes.set(target.customer.id, { ok: false, error: customerFailure(error) });
    }
  }
  const allParts: Array<{ customerId: string; part: PlannedPart }> = [];
  const meterKeys = new Set<string>();
  for (const { target, parts } of planned) {
    for (const part of parts) {
      allParts.push({ customerId: target.customer.id, part });
      for (const meter of part.plan.pricing.meters.keys()) meterKeys.add(meter);
    }
  }
  const meters: MeterSpec[] = [...meterKeys].map((key) => ctx.catalog.meters[key]!);
  const scopes = allParts.map(({ customerId, part }) => ({ customerId, from: part.period.from, to: part.period.to }));
  const totals = new PartValues<string>();
  for (const row of await queryUsageTotals(sql, { scopes, meters })) totals.add(row.customerId, row.from, row.meter, row.value);

  const eventScopes = allParts.filter(({ part }) => part.perEvent.size > 0);
  const eventValues = new PartValues<string[]>();
  if (eventScopes.length > 0) {
    const rows = await queryEventValues(sql, {
      scopes: eventScopes.map(({ customerId, part }) => ({ customerId, from: part.period.from, to: part.period.to })),
      meters: [...new Set(eventScopes.flatMap(({ part }) => [...part.perEvent]))],
    });
    for (const row of rows) {
      const list = PartValues.at(eventValues.of(row.customerId), row.from, row.meter);
      if (list === undefined) eventValues.add(row.customerId, row.from, row.meter, [row.value]);
      else list.push(row.value);
    }
  }

  for (const { target, parts: plannedParts } of planned) {
    const { customer, period } = target;
    const ownTotals = totals.of(customer.id);
    const ownEvents = eventValues.of(customer.id);
    try {
      const primary = ctx.providers.routeFor(customer.id).primary;
      const priceProvider = target.priceProvider ?? (primary.remote ? primary.id : undefined);
      let hadUsage = false;
      const parts: PricedWindowPart[] = [];
      const priced: PricedPart[] = [];
      for (const part of plannedParts) {
        const usage: Record<string, MeterUsageInput> = {};
        for (const meter of part.plan.pricing.meters.keys()) {
          const total = PartValues.at(ownTotals, part.period.from, meter);
          if (total !== undefined) hadUsage = true;
          usage[meter] = part.perEvent.has(meter)
            ? netEventValues((PartValues.at(ownEvents, part.period.from, meter) ?? []).map((value) => parseDecimal(value)))
            : nonNegative(total ?? "0");
        }
        const needsPrices = part.plan.pricing.charges.some((charge) => charge.priceRef !== undefined);
        // Synced prices are those in effect at the end of the whole window, for every part.
        const resolvePrice = needsPrices ? await resolvers.forPeriod(sql, period, priceProvider) : undefined;
        const result = mapUsageToLineItems(part.plan.pricing, usage, resolvePrice === undefined ? {} : { resolvePrice });
        parts.push({ period: part.period, plan: part.plan, trial: part.trial, usage, lineItems: result.lineItems });
        priced.push({ period: part.period, plan: part.plan.pricing, priced: result, trial: part.trial });
      }
      const joined = joinPlanParts(priced, { proration: ctx.catalog.proration, window: target.prorationWindow ?? period });
      const plan = parts[parts.length - 1]!.plan;
      const invoice: PricedInvoice = {
        customerId: customer.id,
        plan: plan.key,
        period: { from: period.from, to: period.to },
        currency: joined.currency,
        lineItems: joined.lineItems.map((line, index) => invoiceLine(line, index + 1)),
        subtotal: joined.subtotal,
      };
      outcomes.set(customer.id, { ok: true, invoice, plan, parts, lineParts: joined.lineParts, hadUsage, provider: primary.id });
    } catch (error) {
      outcomes.set(customer.id, { ok: false, error: customerFailure(error) });
    }
  }
  return outcomes;
}
