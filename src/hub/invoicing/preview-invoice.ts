import { BillingError } from "../../core/errors.ts";
import type { PricedInvoice } from "../../core/invoicing/invoice.ts";
import { intervalWindow } from "../../core/invoicing/interval-window.ts";
import { parseRunPeriod } from "../../core/invoicing/run-period.ts";
import { billingPeriodAt } from "../../core/periods.ts";
import { planSpans } from "../../store/plan-change-repository.ts";
import { parseWith } from "../../core/validation.ts";
import { customerNotFound, findCustomer, type CustomerRecord } from "../../store/customer-repository.ts";
import type { HubContext } from "../context.ts";
import { parseCustomerId } from "../customer-input.ts";
import { previewMoneyCredits } from "../credits/money-credits.ts";
import { previewOptionsSchema } from "./input.ts";
import { intervalOfPlan } from "../plan-interval.ts";
import { runWindows } from "./run-windows.ts";
import { priceInvoices, type InvoiceTarget } from "./price-invoices.ts";
import { createPriceResolvers } from "./price-resolvers.ts";

export interface PreviewOptions {
  /**
   * A run period (a month `"2026-10"`, a year `"2026"`, an ISO week `"2026-W45"`: the window that
   * run bills this customer for), or an explicit window `{ from, to }`. Default: the customer's
   * current billing period, of the interval of the plan it holds now.
   */
  period?: string | { from: Date | string; to: Date | string };
}

/**
 * What the customer would be invoiced for a period, priced from the ledger as it is now; nothing
 * is stored or closed. For a billing month it prices the same window with the same code as the
 * run, so the preview equals the invoice the run then writes (unless usage arrives in between),
 * money credits included: the lines the run would draw them as, drawn from nothing.
 */
export async function previewInvoice(ctx: HubContext, customerId: unknown, options: unknown): Promise<PricedInvoice> {
  const id = parseCustomerId(customerId);
  const { period } = parseWith(previewOptionsSchema, options, "VALIDATION_FAILED", "options");
  const customer = await findCustomer(ctx.store, id);
  if (customer === undefined) throw customerNotFound(id);
  let target: InvoiceTarget;
  if (period === undefined) {
    target = await currentWindow(ctx, customer);
  } else if (typeof period === "string") {
    const run = parseRunPeriod(period, "options.period");
    const found = (await runWindows(ctx.store, ctx.catalog, run, [customer])).get(customer.id)!;
    if ("skip" in found) {
      const why = found.skip === "no_period" ? `no ${run.interval}ly billing period of its cycle and plans ends in that ${run.interval}` : "invoices of other periods already cover its billing period";
      throw new BillingError("VALIDATION_FAILED", `customer ${JSON.stringify(id)} has nothing to bill for ${run.key}: ${why}`, { field: "options.period" });
    }
    target = { customer, period: found.period, ...(found.regular === undefined ? {} : { prorationWindow: found.regular }), ...(found.holes === undefined ? {} : { holes: found.holes }) };
  } else {
    target = { customer, period };
  }
  const outcome = (await priceInvoices(ctx.store, ctx, [target], createPriceResolvers())).get(customer.id)!;
  if (!outcome.ok) throw outcome.error;
  return previewMoneyCredits(ctx.store, outcome.invoice);
}

/**
 * The customer's current billing period: of the interval of the plan it holds now, cut where it
 * held plans of another interval (as the run of that interval will bill it).
 */
async function currentWindow(ctx: HubContext, customer: CustomerRecord): Promise<InvoiceTarget> {
  const now = ctx.now();
  const cycle = { periodStart: customer.periodStart, periodEnd: customer.periodEnd };
  const monthly = billingPeriodAt(now, cycle);
  if (Object.values(ctx.catalog.plans).every((plan) => plan.interval === "month")) return { customer, period: monthly };
  const held = (await planSpans(ctx.store, [{ customerId: customer.id, from: now, to: new Date(now.getTime() + 1) }])).get(customer.id)!;
  const interval = intervalOfPlan(ctx.catalog, held[0]!.planKey);
  const regular = billingPeriodAt(now, cycle, interval);
  const spans = (await planSpans(ctx.store, [{ customerId: customer.id, ...regular }])).get(customer.id)!;
  const found = intervalWindow(regular, spans.map((span) => ({ from: span.from, to: span.to, interval: intervalOfPlan(ctx.catalog, span.planKey) })), interval);
  if (found === undefined || (found.window.from.getTime() === regular.from.getTime() && found.window.to.getTime() === regular.to.getTime())) return { customer, period: regular };
  return { customer, period: found.window, prorationWindow: regular };
}
