import { billingPeriodEndingIn, type BillingMonth } from "../../core/invoicing/billing-month.ts";
import type { InvoicePeriod } from "../../core/invoicing/invoice.ts";
import { uninvoicedWindow } from "../../core/invoicing/uninvoiced-window.ts";
import type { CustomerRecord } from "../../store/customer-repository.ts";
import { overlappingInvoicedPeriods } from "../../store/invoices/invoice-repository.ts";
import type { Sql } from "../../store/types.ts";

/** Why a run passes a customer by for a month (nothing is written for them). */
export type SkipReason =
  /** No billing period of the customer's cycle ends in the month. */
  | "no_period"
  /** Other invoices already cover the whole period (or its middle: see `uninvoicedWindow`). */
  | "covered";

export type MonthWindow = { period: InvoicePeriod } | { skip: SkipReason };

/**
 * The window each customer is billed for in a month's run: its billing period ending in the month
 * (`billingPeriodEndingIn`; the calendar month without a cycle), less what invoices of other
 * months already cover. The preview of a month answers with the same windows.
 */
export async function monthWindows(sql: Sql, month: BillingMonth, customers: readonly CustomerRecord[]): Promise<Map<string, MonthWindow>> {
  const windows = new Map<string, MonthWindow>();
  const candidates: Array<{ customerId: string; from: Date; to: Date }> = [];
  for (const customer of customers) {
    const period = billingPeriodEndingIn(month, { periodStart: customer.periodStart, periodEnd: customer.periodEnd });
    if (period === undefined) windows.set(customer.id, { skip: "no_period" });
    else candidates.push({ customerId: customer.id, ...period });
  }
  const overlaps = await overlappingInvoicedPeriods(sql, candidates, month.key);
  for (const candidate of candidates) {
    const period = uninvoicedWindow(candidate, overlaps.get(candidate.customerId) ?? []);
    windows.set(candidate.customerId, period === undefined ? { skip: "covered" } : { period });
  }
  return windows;
}
