import { randomBytes } from "node:crypto";
import { stripeObject } from "../stripe-events.ts";
import type { Answer, Reply, StandInRoute } from "./stripe.ts";

export type HostedPagesRoute = "create_customer" | "list_prices" | "create_checkout_session" | "create_portal_session";

/** What the hosted-page routes borrow from the Stripe stand-in they are part of. */
export interface HostedPagesRoutesContext {
  admit(route: HostedPagesRoute, request: Request): Reply | undefined;
  idempotent(request: Request, canonical: string, run: () => Answer): Reply;
  canonicalParams(params: URLSearchParams): string;
  json(body: unknown, status?: number): Response;
  /** The prices the stand-in holds. */
  prices(): Array<Record<string, unknown>>;
}

const fail = (status: number, error: Record<string, unknown>) => ({ status, body: { error: { type: "invalid_request_error", ...error } }, headers: {} });
const noSuchCustomer = (id: string) => fail(400, { code: "resource_missing", message: `No such customer: '${id}'`, param: "customer" });

/**
 * Stripe's customers, prices by lookup key, Checkout Sessions and Billing Portal sessions, as the
 * API answers them (shapes from Stripe's published fixtures): `POST /v1/customers` (idempotent by
 * Idempotency-Key), `GET /v1/prices?lookup_keys[]=`, `POST /v1/checkout/sessions` (refusing an
 * unknown customer or price, a subscription without `success_url`, and a quantity on a metered
 * price: "Quantity should not be specified where usage_type is `metered`") and
 * `POST /v1/billing_portal/sessions` (refusing an unknown customer).
 */
export function createHostedPagesRoutes(ctx: HostedPagesRoutesContext) {
  const customers = new Map<string, Record<string, unknown>>();
  const checkoutSessions: Array<Record<string, unknown>> = [];
  const portalSessions: Array<Record<string, unknown>> = [];
  const metadataOf = (params: URLSearchParams, prefix = "metadata") => {
    const metadata: Record<string, string> = {};
    for (const [key, value] of params) {
      const match = new RegExp(`^${prefix.replace(/[[\]]/g, "\\$&")}\\[(.+)\\]$`).exec(key);
      if (match) metadata[match[1]!] = value;
    }
    return metadata;
  };

  function createCustomer(params: URLSearchParams): Answer {
    const customer = stripeObject("customer", { id: `cus_${randomBytes(7).toString("hex")}`, email: params.get("email"), name: params.get("name"), metadata: metadataOf(params), livemode: false });
    customers.set(String(customer.id), customer);
    return { status: 200, body: customer, headers: {} };
  }

  function createCheckout(params: URLSearchParams): Answer {
    const customer = params.get("customer");
    if (customer !== null && !customers.has(customer)) return noSuchCustomer(customer);
    const mode = params.get("mode");
    if (mode === "subscription" && params.get("success_url") === null) return fail(400, { message: "Missing required param: success_url.", param: "success_url" });
    const priceId = params.get("line_items[0][price]");
    const price = ctx.prices().find((held) => held.id === priceId);
    if (priceId === null || price === undefined) return fail(400, { code: "resource_missing", message: `No such price: '${priceId}'`, param: "line_items[0][price]" });
    const recurring = price.recurring as { usage_type?: string } | null;
    if (recurring?.usage_type === "metered" && params.get("line_items[0][quantity]") !== null) {
      return fail(400, { message: "Quantity should not be specified where usage_type is `metered`. Remove quantity from `line_items[0]`.", param: "line_items[0][quantity]" });
    }
    const id = `cs_test_${randomBytes(12).toString("hex")}`;
    const session = stripeObject("checkout.session", {
      id,
      mode,
      customer,
      client_reference_id: params.get("client_reference_id"),
      success_url: params.get("success_url"),
      cancel_url: params.get("cancel_url"),
      metadata: metadataOf(params),
      status: "open",
      url: `https://checkout.stripe.com/c/pay/${id}`,
      livemode: false,
    });
    checkoutSessions.push({ ...session, line_items: [{ price: priceId, quantity: params.get("line_items[0][quantity]") }], subscription_metadata: metadataOf(params, "subscription_data[metadata]") });
    return { status: 200, body: session, headers: {} };
  }

  function createPortal(params: URLSearchParams): Answer {
    const customer = params.get("customer");
    if (customer === null) return fail(400, { message: "Missing required param: customer.", param: "customer" });
    if (!customers.has(customer)) return noSuchCustomer(customer);
    const id = `bps_${randomBytes(12).toString("hex")}`;
    const session = stripeObject("billing_portal.session", { id, customer, return_url: params.get("return_url"), url: `https://billing.stripe.com/p/session/test_${id}`, livemode: false });
    portalSessions.push(session);
    return { status: 200, body: session, headers: {} };
  }

  const post = (route: HostedPagesRoute, run: (params: URLSearchParams) => Answer) => async (request: Request) => {
    const refused = ctx.admit(route, request);
    if (refused) return refused;
    const params = new URLSearchParams(await request.text());
    return ctx.idempotent(request, ctx.canonicalParams(params), () => run(params));
  };

  function listPrices(request: Request): Reply {
    const refused = ctx.admit("list_prices", request);
    if (refused) return refused;
    const query = new URL(request.url).searchParams;
    const keys = [...query.entries()].filter(([key]) => /^lookup_keys\[\d*\]$/.test(key)).map(([, value]) => value);
    const active = query.get("active");
    const data = ctx.prices().filter((price) => (keys.length === 0 || keys.includes(String(price.lookup_key))) && (active === null || String(price.active) === active));
    const limit = Math.min(100, Math.max(1, Number(query.get("limit") ?? 10)));
    return ctx.json({ object: "list", data: data.slice(0, limit), has_more: data.length > limit, url: "/v1/prices" });
  }

  const routes: StandInRoute[] = [
    { route: "create_customer", method: "POST", path: "/v1/customers", origin: "api", handle: post("create_customer", createCustomer) },
    { route: "list_prices", method: "GET", path: "/v1/prices", origin: "api", handle: (request) => listPrices(request) },
    { route: "create_checkout_session", method: "POST", path: "/v1/checkout/sessions", origin: "api", handle: post("create_checkout_session", createCheckout) },
    { route: "create_portal_session", method: "POST", path: "/v1/billing_portal/sessions", origin: "api", handle: post("create_portal_session", createPortal) },
  ];
  return {
    routes,
    /** Customers Stripe holds. */
    customers: () => structuredClone([...customers.values()]),
    /** Makes Stripe hold a customer (one created before billhub knew it). */
    putCustomer: (id: string) => void customers.set(id, stripeObject("customer", { id, metadata: {}, livemode: false })),
    checkoutSessions: () => structuredClone(checkoutSessions),
    portalSessions: () => structuredClone(portalSessions),
    clear: () => {
      customers.clear();
      checkoutSessions.length = 0;
      portalSessions.length = 0;
    },
  };
}
