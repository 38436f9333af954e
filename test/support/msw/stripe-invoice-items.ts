import { randomBytes } from "node:crypto";
import { stripeObject } from "../stripe-events.ts";
import type { Answer, Reply, StandInRoute } from "./stripe.ts";

/** What the invoice-item routes borrow from the Stripe stand-in they are part of. */
export interface InvoiceItemRoutesContext {
  now: () => Date;
  /** Records the call; answers an injected fault or a bad API key instead of the route. */
  admit(route: "create_invoice_item" | "list_invoice_items", request: Request): Reply | undefined;
  idempotent(request: Request, canonical: string, run: () => Answer): Reply;
  canonicalParams(params: URLSearchParams): string;
  json(body: unknown, status?: number): Response;
  /** The invoice the stand-in holds with this id, if any. */
  invoice(id: string): Record<string, unknown> | undefined;
}

const fail = (status: number, error: Record<string, unknown>): Answer => ({ status, body: { error: { type: "invalid_request_error", ...error } }, headers: {} });

/**
 * Stripe's invoice items, as `POST /v1/invoiceitems` and `GET /v1/invoiceitems` answer: an item
 * can only be added to a draft invoice of the same customer and currency (up to 250 per invoice),
 * and listings come newest first, a page of `limit` (at most 100) at a time.
 */
export function createInvoiceItemRoutes(ctx: InvoiceItemRoutesContext) {
  const items: Array<Record<string, unknown>> = [];

  function accept(params: URLSearchParams): Answer {
    const customer = params.get("customer");
    if (!customer) return fail(400, { message: "Missing required param: customer.", param: "customer" });
    const amountText = params.get("amount");
    if (amountText === null || !/^-?\d+$/.test(amountText)) return fail(400, { message: "Missing required param: amount.", param: "amount" });
    const invoiceId = params.get("invoice");
    const currency = params.get("currency");
    if (invoiceId !== null) {
      const invoice = ctx.invoice(invoiceId);
      if (invoice === undefined) return fail(404, { code: "resource_missing", message: `No such invoice: '${invoiceId}'`, param: "invoice" });
      if (invoice.status !== "draft") return fail(400, { message: "Invalid invoice: This invoice is no longer editable", param: "invoice" });
      if (invoice.customer !== customer) return fail(400, { message: `The invoice ${invoiceId} does not belong to customer ${customer}.`, param: "invoice" });
      if (currency !== null && currency !== invoice.currency) {
        return fail(400, { message: `The currency of the invoice item (${currency}) must match the currency of the invoice (${String(invoice.currency)}).`, param: "currency" });
      }
      if (items.filter((item) => item.invoice === invoiceId).length >= 250) return fail(400, { message: "An invoice can have at most 250 invoice items.", param: "invoice" });
    }
    const metadata: Record<string, string> = {};
    for (const [key, value] of params) {
      const match = /^metadata\[(.+)\]$/.exec(key);
      if (match) metadata[match[1]!] = value;
    }
    const nowS = Math.floor(ctx.now().getTime() / 1000);
    const amount = Number.parseInt(amountText, 10);
    // Stripe's own shape (the published fixture), with this request's values.
    const item = stripeObject("invoiceitem", {
      id: `ii_${randomBytes(12).toString("hex")}`,
      amount,
      currency: currency ?? "usd",
      customer,
      date: nowS,
      description: params.get("description"),
      discounts: [],
      invoice: invoiceId,
      livemode: false,
      metadata,
      net_amount: amount,
      parent: null,
      period: { start: Number(params.get("period[start]") ?? nowS), end: Number(params.get("period[end]") ?? nowS) },
      pricing: { type: "price_details", unit_amount_decimal: String(amount) },
      quantity: 1,
      quantity_decimal: "1",
    });
    items.push(item);
    return { status: 200, body: item, headers: {} };
  }

  async function create(request: Request): Promise<Response> {
    const refused = ctx.admit("create_invoice_item", request);
    if (refused) return refused;
    const params = new URLSearchParams(await request.text());
    return ctx.idempotent(request, ctx.canonicalParams(params), () => accept(params));
  }

  async function list(request: Request): Promise<Response> {
    const refused = ctx.admit("list_invoice_items", request);
    if (refused) return refused;
    const query = new URL(request.url).searchParams;
    const invoiceId = query.get("invoice");
    const limit = Math.min(100, Math.max(1, Number(query.get("limit") ?? 10)));
    let held = [...items].reverse().filter((item) => invoiceId === null || item.invoice === invoiceId);
    const after = query.get("starting_after");
    if (after !== null) held = held.slice(held.findIndex((item) => item.id === after) + 1);
    return ctx.json({ object: "list", data: held.slice(0, limit), has_more: held.length > limit, url: "/v1/invoiceitems" });
  }

  const routes: StandInRoute[] = [
    { route: "create_invoice_item", method: "POST", path: "/v1/invoiceitems", origin: "api", handle: (request) => create(request) },
    { route: "list_invoice_items", method: "GET", path: "/v1/invoiceitems", origin: "api", handle: (request) => list(request) },
  ];
  return {
    routes,
    /** Items Stripe holds, oldest first (of one invoice when given). */
    items: (invoiceId?: string) => structuredClone(items.filter((item) => invoiceId === undefined || item.invoice === invoiceId)),
    clear: () => {
      items.length = 0;
    },
  };
}
