import { BillingError } from "../core/errors.ts";
import type { Invoice, InvoiceSummary, PricedInvoice } from "../core/invoicing/invoice.ts";
import { invoicesToCsv } from "../core/invoicing/invoice-csv.ts";
import { textProblem } from "../core/storable-text.ts";
import { parseWith } from "../core/validation.ts";
import { findInvoice, invoicesOfPeriod, listInvoiceSummaries } from "../store/invoices/invoice-repository.ts";
import type { AlertFirer } from "./alerts/fire-alerts.ts";
import type { HubContext } from "./context.ts";
import { exportInputSchema, listFilterSchema, runInputSchema } from "./invoicing/input.ts";
import { previewInvoice, type PreviewOptions } from "./invoicing/preview-invoice.ts";
import { runInvoices, type RunInvoicesInput, type RunInvoicesResult } from "./invoicing/run-invoices.ts";

export type { PreviewOptions, RunInvoicesInput, RunInvoicesResult };

export interface InvoicesApi {
  /**
   * What the customer would be invoiced, priced from the ledger now; nothing is stored.
   * @example
   * await hub.invoices.preview("acme")                         // the current billing period
   * await hub.invoices.preview("acme", { period: "2026-10" })  // what the October run bills
   * // { customerId, plan, period: { from, to }, currency, lineItems, subtotal }
   */
  previewInvoice(customerId: string, options?: PreviewOptions): Promise<PricedInvoice>;
  /**
   * Invoices every customer for a billing month: numbered, immutable invoices; resumable.
   * @example
   * await hub.invoices.run({ period: "2026-10", onProgress: ({ done, total }) => bar.update(done, total) })
   * // { period: "2026-10", total: 120, invoiced: 118, alreadyInvoiced: 0, skipped: {...}, failed: [...], numbers: { first: 1, last: 118 } }
   */
  runInvoices(input: RunInvoicesInput): Promise<RunInvoicesResult>;
  /**
   * Stored invoices without their lines, by number; page with `cursor: nextCursor`.
   * @example await hub.invoices.list({ period: "2026-10", limit: 50 }) // { invoices, nextCursor }
   */
  listInvoices(filter?: { customerId?: string; period?: string; limit?: number; cursor?: string }): Promise<{ invoices: InvoiceSummary[]; nextCursor: string | null }>;
  /** One stored invoice with its lines, or NOT_FOUND. @example await hub.invoices.get("inv_3f0c...") */
  getInvoice(id: string): Promise<Invoice>;
  /**
   * A billing month's invoices as JSON (an array of invoices with their lines) or CSV (one row per line item).
   * @example await writeFile("2026-10.csv", await hub.invoices.export({ period: "2026-10", format: "csv" }))
   */
  exportInvoices(input: { period: string; format: "json" | "csv" }): Promise<string>;
}

/** Invoice previews, runs, stored invoices and exports, built from the hub's context. */
export function createInvoicesApi(ctx: HubContext, alerts?: Pick<AlertFirer, "creditsUsed">): InvoicesApi {
  return {
    previewInvoice: (customerId, options) => previewInvoice(ctx, customerId, options),

    runInvoices: async (input) => runInvoices(ctx, parseWith(runInputSchema, input, "VALIDATION_FAILED"), alerts),

    async listInvoices(filter) {
      const parsed = parseWith(listFilterSchema, filter, "VALIDATION_FAILED", "filter");
      const invoices = await listInvoiceSummaries(ctx.store, {
        customerId: parsed.customerId,
        periodKey: parsed.period,
        afterNumber: parsed.cursor === undefined ? undefined : Number(parsed.cursor),
        limit: parsed.limit + 1,
      });
      const more = invoices.length > parsed.limit;
      const page = more ? invoices.slice(0, parsed.limit) : invoices;
      return { invoices: page, nextCursor: more ? String(page[page.length - 1]!.number) : null };
    },

    async getInvoice(id) {
      if (typeof id !== "string" || id.length === 0 || id.length > 100 || textProblem(id) !== undefined) {
        throw new BillingError("VALIDATION_FAILED", "id must be an invoice id such as \"inv_3f0c...\"", { field: "id" });
      }
      const invoice = await findInvoice(ctx.store, id);
      if (invoice === undefined) throw new BillingError("NOT_FOUND", `No invoice with id ${JSON.stringify(id)}`, { field: "id" });
      return invoice;
    },

    async exportInvoices(input) {
      const { period, format } = parseWith(exportInputSchema, input, "VALIDATION_FAILED");
      const invoices = await invoicesOfPeriod(ctx.store, period);
      return format === "csv" ? invoicesToCsv(invoices) : `${JSON.stringify(invoices, null, 2)}\n`;
    },
  };
}
