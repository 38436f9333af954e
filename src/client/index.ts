import type { z } from "zod";
import { BillingError, ERROR_CODES, type BillingErrorCode } from "../core/errors.ts";
import type { CheckResult } from "../core/entitlements/index.ts";
import type { Invoice, InvoiceSummary, PricedInvoice } from "../core/invoicing/invoice.ts";
import type { Customer } from "../hub/customers.ts";
import type { customerFieldsSchema } from "../hub/customer-input.ts";
import type { CustomerEntitlementsView } from "../hub/entitlement-resolver.ts";
import type { ConsumeResult } from "../hub/entitlement-hooks.ts";
import type { RunInvoicesResult } from "../hub/invoices.ts";
import type { adjustmentEventSchema, usageEventSchema } from "../hub/ledger/input.ts";
import type { RecordResult } from "../hub/ledger/types.ts";
import type { assignSchema } from "../server/routes/customers.ts";
import type { checkSchema, consumeSchema } from "../server/routes/entitlements.ts";
import type { listQuery, previewQuery, runBody } from "../server/routes/invoices.ts";
import type { batchSchema } from "../server/routes/usage.ts";
import type { Wire } from "./wire.ts";

export type { Wire } from "./wire.ts";

/** Request bodies, typed from the same zod schemas the service validates them with (and /openapi.json documents). */
export type CustomerFields = z.input<typeof customerFieldsSchema>;
export type AssignBody = z.input<typeof assignSchema>;
export type UsageEventBody = z.input<typeof usageEventSchema>;
export type AdjustmentBody = z.input<typeof adjustmentEventSchema>;
export type UsageBatchBody = z.input<typeof batchSchema>;
export type CheckBody = z.input<typeof checkSchema>;
export type ConsumeBody = z.input<typeof consumeSchema>;
export type InvoicePreviewQuery = z.input<typeof previewQuery>;
export type InvoiceListQuery = z.input<typeof listQuery>;
export type InvoiceRunBody = z.input<typeof runBody>;

export interface ClientOptions {
  /** The service's address, with the path it is mounted under: `http://127.0.0.1:8787`, `https://app.example.com/api/billing`. */
  baseUrl: string;
  /** An API key of the service (`server.apiKeys`); a write key for writes. */
  apiKey?: string;
  /** The fetch to call (default: the global one); e.g. `createApp(hub).fetch` to call a hub in the same process. */
  fetch?: (request: Request) => Response | Promise<Response>;
  /** Extra headers for every request. */
  headers?: Record<string, string>;
}

type Query = Record<string, string | number | undefined>;

/**
 * A typed client of billhub's REST API. Each method is one route; a refusal arrives as the same
 * `BillingError` (code, message, field, details) the hub throws in process, with `status`.
 *
 * @example
 * const billing = createClient({ baseUrl: "http://127.0.0.1:8787", apiKey: process.env.BILLHUB_API_KEY });
 * await billing.usage.record({ customerId: "org_42", meter: "api_calls", quantity: 1, transactionId: "req_9f2" });
 * const { allowed } = await billing.entitlements.check({ customerId: "org_42", feature: "api" });
 */
export function createClient(options: ClientOptions) {
  const base = options.baseUrl.replace(/\/+$/, "");
  const send = options.fetch ?? ((request: Request) => fetch(request));

  async function request<T>(method: string, path: string, input: { body?: unknown; query?: Query } = {}): Promise<T> {
    const search = new URLSearchParams();
    for (const [name, value] of Object.entries(input.query ?? {})) if (value !== undefined) search.set(name, String(value));
    const url = `${base}${path}${search.size > 0 ? `?${search}` : ""}`;
    const headers: Record<string, string> = { accept: "application/json", ...options.headers };
    if (options.apiKey !== undefined) headers.authorization = `Bearer ${options.apiKey}`;
    if (input.body !== undefined) headers["content-type"] = "application/json";
    const response = await send(new Request(url, { method, headers, ...(input.body === undefined ? {} : { body: JSON.stringify(input.body) }) }));
    const text = await response.text();
    const json = text === "" ? undefined : parseJson(text);
    if (!response.ok) throw errorFrom(response, json, `${method} ${path}`);
    return json as T;
  }

  const id = (value: string) => encodeURIComponent(value);

  return {
    /** Any route, for those without a method here (`GET /v1/catalog`, ...). */
    request,
    customers: {
      /** PUT /v1/customers/:id — create (created: true) or update the fields given. */
      upsert: (customerId: string, fields: CustomerFields = {}) => request<Wire<{ customer: Customer; created: boolean }>>("PUT", `/v1/customers/${id(customerId)}`, { body: fields }),
      get: (customerId: string) => request<Wire<Customer>>("GET", `/v1/customers/${id(customerId)}`),
      /** POST /v1/customers/:id/plan */
      assign: (customerId: string, body: AssignBody) => request<Wire<Customer>>("POST", `/v1/customers/${id(customerId)}/plan`, { body }),
      /** DELETE /v1/customers/:id/plan — back to the catalog's default plan. */
      unassign: (customerId: string) => request<Wire<Customer>>("DELETE", `/v1/customers/${id(customerId)}/plan`),
      /** GET /v1/customers/:id/entitlements — every feature's limit now (without usage). */
      entitlements: (customerId: string, query: { variant?: string } = {}) => request<Wire<CustomerEntitlementsView>>("GET", `/v1/customers/${id(customerId)}/entitlements`, { query }),
    },
    usage: {
      /** POST /v1/usage — exactly once by transactionId (status "created", or "duplicate" for a retry). */
      record: (event: UsageEventBody) => request<Wire<RecordResult>>("POST", "/v1/usage", { body: event }),
      /** POST /v1/usage/batch — all or nothing. */
      recordBatch: (events: UsageBatchBody["events"]) => request<Wire<{ results: RecordResult[] }>>("POST", "/v1/usage/batch", { body: { events } }),
      /** POST /v1/usage/adjustments — a refund or bonus. */
      adjust: (adjustment: AdjustmentBody) => request<Wire<RecordResult>>("POST", "/v1/usage/adjustments", { body: adjustment }),
    },
    entitlements: {
      /** POST /v1/entitlements/check — a question: "no" is `allowed: false`, not an error. */
      check: (body: CheckBody) => request<Wire<CheckResult>>("POST", "/v1/entitlements/check", { body }),
      /** POST /v1/entitlements/consume — a refused use throws (LIMIT_EXCEEDED, ...), the result in `details.result`. */
      consume: (body: ConsumeBody) => request<Wire<ConsumeResult>>("POST", "/v1/entitlements/consume", { body }),
    },
    invoices: {
      /** GET /v1/customers/:id/invoice-preview — nothing is stored. */
      preview: (customerId: string, query: InvoicePreviewQuery = {}) => request<Wire<PricedInvoice>>("GET", `/v1/customers/${id(customerId)}/invoice-preview`, { query }),
      list: (query: InvoiceListQuery = {}) => request<Wire<{ invoices: InvoiceSummary[]; nextCursor: string | null }>>("GET", "/v1/invoices", { query }),
      get: (invoiceId: string) => request<Wire<Invoice>>("GET", `/v1/invoices/${id(invoiceId)}`),
      /** POST /v1/invoices/run — a write key. */
      run: (body: InvoiceRunBody) => request<Wire<RunInvoicesResult>>("POST", "/v1/invoices/run", { body }),
    },
  };
}

export type BillhubClient = ReturnType<typeof createClient>;

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** The service's `{ error: { code, message, field?, details? } }` as a BillingError; anything else as UPSTREAM... INTERNAL with the status. */
function errorFrom(response: Response, json: unknown, what: string): BillingError {
  const body = (json as { error?: { code?: string; message?: string; field?: string; details?: Record<string, unknown> } } | undefined)?.error;
  if (body?.code !== undefined && body.code in ERROR_CODES) {
    const retryAfter = Number(response.headers.get("retry-after") ?? Number.NaN);
    return new BillingError(body.code as BillingErrorCode, body.message ?? what, {
      ...(body.field === undefined ? {} : { field: body.field }),
      ...(body.details === undefined ? {} : { details: body.details }),
      ...(Number.isFinite(retryAfter) ? { retryAfterSeconds: retryAfter } : {}),
    });
  }
  return new BillingError("INTERNAL", `${what} answered ${response.status} without a billhub error body`, { retryable: response.status >= 500, details: { status: response.status } });
}
