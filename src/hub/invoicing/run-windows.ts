import type { Catalog } from "../../core/catalog/index.ts";
import { billingPeriodEndingIn } from "../../core/invoicing/billing-month.ts";
import type { InvoicePeriod } from "../../core/invoicing/invoice.ts";
import { intervalWindow, uninvoicedPieces, type IntervalSpan } from "../../core/invoicing/interval-window.ts";
import type { RunPeriod } from "../../core/invoicing/run-period.ts";
import { uninvoicedWindow } from "../../core/invoicing/uninvoiced-window.ts";
import type { CustomerRecord } from "../../store/customer-repository.ts";
import { overlappingInvoicedPeriods } from "../../store/invoices/invoice-repository.ts";
import { planSpans } from "../../store/plan-change-repository.ts";
import type { Sql } from "../../store/types.ts";
import { intervalOfPlan, onlyMonthly } from "../plan-interval.ts";

/** Why a run passes a customer by for its period (nothing is written for them). */
export type SkipReason =
  /** No billing period of the customer's cycle ends in the run's period, or none of it was held on a plan of the run's interval. */
  | "no_period"
  /** Other invoices already cover the whole period (or its middle: see `uninvoicedWindow`). */
  | "covered";

/** The window a run bills a customer for. */
export interface RunWindow {
  period: InvoicePeriod;
  /**
   * Set when the customer changed interval inside its billing period (the window is cut short):
   * the whole billing period, which a prorated flat fee is shared over and which must have ended
   * before the window is billed (the plan history inside it is final only then).
   */
  regular?: InvoicePeriod;
  /** Pieces inside the window that other invoices already billed, left out of this one's pricing. */
  holes?: InvoicePeriod[];
}

export type RunWindowOutcome = RunWindow | { skip: SkipReason };

/**
 * The window each customer is billed for in a run: its billing period of the run's interval ending
 * in the run's period (`billingPeriodEndingIn`; the calendar month, year or ISO week without a
 * cycle), cut to the time held on plans of that interval (`intervalWindow`), less what invoices
 * of other runs already cover. With a catalog of monthly plans only, a month's windows are its
 * customers' monthly periods, as they were before plans had intervals. The preview of a run
 * period answers with the same windows.
 */
export async function runWindows(sql: Sql, catalog: Catalog, run: RunPeriod, customers: ReadonlyArray<Pick<CustomerRecord, "id" | "periodStart" | "periodEnd">>): Promise<Map<string, RunWindowOutcome>> {
  const windows = new Map<string, RunWindowOutcome>();
  const periods: Array<{ customerId: string; from: Date; to: Date }> = [];
  for (const customer of customers) {
    const period = billingPeriodEndingIn(run, { periodStart: customer.periodStart, periodEnd: customer.periodEnd }, run.interval);
    if (period === undefined) windows.set(customer.id, { skip: "no_period" });
    else periods.push({ customerId: customer.id, ...period });
  }
  const cut = new Map<string, { window: InvoicePeriod; regular: InvoicePeriod; split: boolean }>();
  if (run.interval === "month" && onlyMonthly(catalog)) {
    for (const period of periods) cut.set(period.customerId, { window: period, regular: period, split: false });
  } else {
    const spans = await planSpans(sql, periods);
    for (const period of periods) {
      const held: IntervalSpan[] = spans.get(period.customerId)!.map((span) => ({ from: span.from, to: span.to, interval: intervalOfPlan(catalog, span.planKey) }));
      const found = intervalWindow(period, held, run.interval);
      if (found === undefined) windows.set(period.customerId, { skip: "no_period" });
      else cut.set(period.customerId, { window: found.window, regular: period, split: found.ranges.length > 1 });
    }
  }
  const candidates = [...cut].map(([customerId, { window }]) => ({ customerId, ...window }));
  const overlaps = await overlappingInvoicedPeriods(sql, candidates, run.key);
  for (const [customerId, { window, regular, split }] of cut) {
    const invoiced = overlaps.get(customerId) ?? [];
    const shortened = window.from.getTime() !== regular.from.getTime() || window.to.getTime() !== regular.to.getTime();
    const extra = shortened ? { regular } : {};
    const period = uninvoicedWindow(window, invoiced);
    if (period !== undefined) {
      windows.set(customerId, { period, ...extra });
      continue;
    }
    // Left the interval and came back inside the period, with the other interval's time in
    // between already invoiced by its own run: bill what is left around it, on one invoice.
    const pieces = split ? uninvoicedPieces(window, invoiced) : [];
    if (pieces.length === 0) {
      windows.set(customerId, { skip: "covered" });
      continue;
    }
    const holes = pieces.slice(1).map((piece, index) => ({ from: pieces[index]!.to, to: piece.from }));
    windows.set(customerId, { period: { from: pieces[0]!.from, to: pieces[pieces.length - 1]!.to }, regular, holes });
  }
  return windows;
}
