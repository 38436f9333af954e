import type { LineItem } from "../pricing/line-item.ts";

/** A priced line with its place on the invoice (1-based, in the plan's charge order). */
export interface InvoiceLine extends LineItem {
  readonly lineNumber: number;
}

/** A half-open billing window, [from, to). */
export interface InvoicePeriod {
  readonly from: Date;
  readonly to: Date;
}

/** What a customer owes for a period, priced but not stored: a preview, or an invoice about to be written. */
export interface PricedInvoice {
  readonly customerId: string;
  readonly plan: string;
  readonly period: InvoicePeriod;
  readonly currency: string;
  readonly lineItems: readonly InvoiceLine[];
  /** Whole minor units: the sum of the lines' amounts. */
  readonly subtotal: number;
}

/** A stored invoice: numbered and immutable. */
export interface Invoice extends PricedInvoice {
  readonly id: string;
  /** Sequential and gap-free across the hub. */
  readonly number: number;
  /** The period of the run that wrote it: a month ("2026-10"), a year ("2026") or an ISO week ("2026-W45"). */
  readonly periodKey: string;
  /** Who collects it: the customer's primary provider when it was written (`manual`, `stripe`, `flowglad`). */
  readonly provider: string;
  readonly status: "issued";
  readonly createdAt: Date;
}

/** An invoice without its lines, as listings return it. */
export type InvoiceSummary = Omit<Invoice, "lineItems"> & { readonly lineCount: number };
