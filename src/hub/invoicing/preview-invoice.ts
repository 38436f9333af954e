import { BillingError } from "../../core/errors.ts";
import { parseBillingMonth } from "../../core/invoicing/billing-month.ts";
import type { InvoicePeriod, PricedInvoice } from "../../core/invoicing/invoice.ts";
import { billingPeriodAt } from "../../core/periods.ts";
import { parseWith } from "../../core/validation.ts";
import { customerNotFound, findCustomer } from "../../store/customer-repository.ts";
import type { HubContext } from "../context.ts";
import { parseCustomerId } from "../customer-input.ts";
import { previewMoneyCredits } from "../credits/money-credits.ts";
import { previewOptionsSchema } from "./input.ts";
import { monthWindows } from "./month-windows.ts";
import { priceInvoices } from "./price-invoices.ts";
import { createPriceResolvers } from "./price-resolvers.ts";

export interface PreviewOptions {
  /**
   * A billing month (`"2026-10"`: the window the month's run bills this customer for), or an
   * explicit window `{ from, to }`. Default: the customer's current billing period.
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
  let window: InvoicePeriod;
  if (period === undefined) {
    window = billingPeriodAt(ctx.now(), { periodStart: customer.periodStart, periodEnd: customer.periodEnd });
  } else if (typeof period === "string") {
    const month = parseBillingMonth(period, "options.period");
    const found = (await monthWindows(ctx.store, month, [customer])).get(customer.id)!;
    if ("skip" in found) {
      const why = found.skip === "no_period" ? "no billing period of its cycle ends in that month" : "invoices of other months already cover its billing period";
      throw new BillingError("VALIDATION_FAILED", `customer ${JSON.stringify(id)} has nothing to bill for ${month.key}: ${why}`, { field: "options.period" });
    }
    window = found.period;
  } else {
    window = period;
  }
  const outcome = (await priceInvoices(ctx.store, ctx, [{ customer, period: window }], createPriceResolvers())).get(customer.id)!;
  if (!outcome.ok) throw outcome.error;
  return previewMoneyCredits(ctx.store, outcome.invoice);
}
