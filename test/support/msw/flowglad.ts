import { randomBytes } from "node:crypto";
import { http, HttpResponse, type HttpHandler } from "msw";
import { connectionReset, createFaultQueue, type Fault } from "./faults.ts";
import { flowgladPricingModel, flowgladPurchase, flowgladSubscription, type PricingModelSpec, type PurchaseSpec, type SubscriptionSpec } from "./flowglad-fixtures.ts";

/**
 * A stateful stand-in for the Flowglad API billhub uses, reproducing Flowglad's real behaviour
 * (PROVIDERS.md): usage events unique on (transactionId, usage meter), a repeat for the same
 * subscription answered with the existing event, another subscription answered 409 CONFLICT,
 * duplicates left out of bulk responses, `{ error, code, request_id }` error bodies, and faults;
 * customers by external id (`GET`/`POST /api/v1/customers`, a second customer with the same
 * external id refused with 409 CONFLICT) and product checkout sessions for a price slug of the
 * pricing model (`POST /api/v1/checkout-sessions`, refusing an unknown customer or price with 404
 * NOT_FOUND and a missing URL with 400), with the SDK's response shapes.
 *
 * @example
 * const flowglad = createFlowgladStandIn({ baseUrl: "https://flowglad.test" });
 * flowglad.addCustomer({ externalId: "acme", subscriptions: [{ id: "sub_1" }] });
 * const server = setupServer(...flowglad.handlers);
 */
export interface FlowgladStandInOptions {
  baseUrl?: string;
  /** The only accepted API key; by default any raw (non-Bearer) key is accepted. */
  secretKey?: string;
  pricingModel?: PricingModelSpec;
  now?: () => Date;
}

export type FlowgladRoute = "billing" | "pricing_model" | "usage_event" | "usage_bulk" | "customer" | "create_customer" | "checkout_session";

export interface StoredUsageEvent {
  id: string;
  amount: number;
  createdAt: number;
  updatedAt: number;
  customerId: string;
  livemode: boolean;
  priceId: string | null;
  pricingModelId: string;
  subscriptionId: string;
  transactionId: string;
  usageDate: number;
  usageMeterId: string;
  billingPeriodId: string | null;
  properties: Record<string, unknown> | null;
}

interface Customer {
  id: string;
  externalId: string;
  email: string;
  name: string;
  createdAt: number;
  subscriptions: SubscriptionSpec[];
  purchases: PurchaseSpec[];
}

type UsageInput = Record<string, unknown>;

export function createFlowgladStandIn(options: FlowgladStandInOptions = {}) {
  const baseUrl = (options.baseUrl ?? "https://app.flowglad.com").replace(/\/$/, "");
  const now = options.now ?? (() => new Date());
  const pricingModel = flowgladPricingModel(options.pricingModel);
  const faults = createFaultQueue<FlowgladRoute>();
  const customers = new Map<string, Customer>();
  const usage = new Map<string, StoredUsageEvent>();
  const calls: { route: FlowgladRoute; authorization: string | null; idempotencyKey: string | null }[] = [];
  const checkoutSessions: Array<Record<string, unknown>> = [];
  let sequence = 0;

  const fail = (status: number, code: string, error: string, headers: Record<string, string> = {}) =>
    HttpResponse.json({ error, code, request_id: `req_${randomBytes(6).toString("hex")}` }, { status, headers });

  /**
   * Logs the call; returns the response that refuses it (a fault, a bad key), if any. A fault that
   * lets the request through first (`reset_after_processing`) is kept in `afterProcessing`.
   */
  let afterProcessing: Fault | undefined;
  function enter(route: FlowgladRoute, request: Request): Response | undefined {
    calls.push({ route, authorization: request.headers.get("authorization"), idempotencyKey: request.headers.get("idempotency-key") });
    afterProcessing = undefined;
    const fault = faults.take(route);
    if (fault?.kind === "reset_after_processing") afterProcessing = fault;
    else if (fault) return faultResponse(fault);
    const key = request.headers.get("authorization") ?? "";
    const ok = options.secretKey === undefined ? key !== "" && !key.startsWith("Bearer ") : key === options.secretKey;
    return ok ? undefined : fail(401, "UNAUTHORIZED", "Invalid API key");
  }

  /** The answer, unless the connection is to drop after processing. */
  function answer(response: Response, fault: Fault | undefined): Response {
    return fault ? connectionReset() : response;
  }

  function faultResponse(fault: Fault): Response {
    switch (fault.kind) {
      case "reset":
      case "reset_after_processing":
        return connectionReset();
      case "rate_limit":
        return fail(429, "TOO_MANY_REQUESTS", "Too many requests", fault.retryAfter === undefined ? {} : { "retry-after": fault.retryAfter });
      case "server_error":
        return fail(fault.status ?? 500, "INTERNAL_SERVER_ERROR", "Internal server error");
      case "response":
        return HttpResponse.json(fault.body as Record<string, unknown>, { status: fault.status, headers: fault.headers ?? {} });
      case "session_expired":
        throw new Error("Flowglad has no sessions");
      default:
        throw new Error("unknown fault");
    }
  }

  function findSubscription(id: string): { customer: Customer; subscription: SubscriptionSpec } | undefined {
    for (const customer of customers.values()) {
      const subscription = customer.subscriptions.find((s) => s.id === id);
      if (subscription) return { customer, subscription };
    }
    return undefined;
  }

  function meterFor(input: UsageInput): { id: string; priceId: string } | undefined {
    for (const meter of pricingModel.usageMeters) {
      const price = meter.prices[0]!;
      if (input.usageMeterSlug === meter.slug || input.usageMeterId === meter.id || input.priceSlug === price.slug || input.priceId === price.id) return { id: meter.id, priceId: price.id };
    }
    return undefined;
  }

  /** Checks one usage event; returns the error response, or what to store. */
  function check(input: UsageInput): Response | { customer: Customer; meter: { id: string; priceId: string }; existing: StoredUsageEvent | undefined } {
    const identifiers = ["priceId", "priceSlug", "usageMeterId", "usageMeterSlug"].filter((key) => input[key] !== undefined);
    if (identifiers.length !== 1) return fail(400, "BAD_REQUEST", "Exactly one of priceId, priceSlug, usageMeterId, or usageMeterSlug must be provided");
    if (typeof input.amount !== "number" || !Number.isInteger(input.amount) || input.amount <= 0) return fail(400, "BAD_REQUEST", "amount must be a positive integer");
    if (typeof input.transactionId !== "string" || input.transactionId === "") return fail(400, "BAD_REQUEST", "transactionId is required");
    const found = typeof input.subscriptionId === "string" ? findSubscription(input.subscriptionId) : undefined;
    if (!found) return fail(404, "NOT_FOUND", `Subscription ${String(input.subscriptionId)} not found`);
    const meter = meterFor(input);
    if (!meter) return fail(404, "NOT_FOUND", `Usage meter or price ${String(input[identifiers[0]!])} not found in pricing model ${pricingModel.id}`);
    const existing = usage.get(`${input.transactionId}|${meter.id}`);
    if (existing && existing.subscriptionId !== input.subscriptionId) {
      return fail(409, "CONFLICT", `A usage event with transactionId ${input.transactionId} already exists for a different subscription`);
    }
    return { customer: found.customer, meter, existing };
  }

  function store(input: UsageInput, customer: Customer, meter: { id: string; priceId: string }): StoredUsageEvent {
    sequence += 1;
    const at = now().getTime();
    const event: StoredUsageEvent = {
      id: `usage_evt_${sequence}`,
      amount: input.amount as number,
      createdAt: at,
      updatedAt: at,
      customerId: customer.id,
      livemode: false,
      priceId: meter.priceId,
      pricingModelId: pricingModel.id,
      subscriptionId: input.subscriptionId as string,
      transactionId: input.transactionId as string,
      usageDate: typeof input.usageDate === "number" ? input.usageDate : at,
      usageMeterId: meter.id,
      billingPeriodId: `bp_${input.subscriptionId as string}`,
      properties: (input.properties as Record<string, unknown> | undefined) ?? null,
    };
    usage.set(`${event.transactionId}|${meter.id}`, event);
    return event;
  }

  /** A customer as Flowglad's API returns it (CustomerClientSelectSchema). */
  const customerRecord = (customer: Customer) => ({
    id: customer.id,
    archived: false,
    createdAt: customer.createdAt,
    domain: null,
    email: customer.email,
    externalId: customer.externalId,
    iconURL: null,
    invoiceNumberBase: customer.id.slice(-6).toUpperCase(),
    livemode: false,
    logoURL: null,
    name: customer.name,
    organizationId: "org_billhub",
    pricingModelId: pricingModel.id,
    updatedAt: customer.createdAt,
    userId: null,
  });

  const productPrices = () => pricingModel.products.flatMap((product) => product.prices as Array<{ id: string; slug: string | null }>);

  function createCheckoutSession(input: Record<string, unknown>): Response {
    if (input.type !== "product") return fail(400, "BAD_REQUEST", `checkoutSession.type ${JSON.stringify(input.type)} is not supported here`);
    for (const field of ["successUrl", "cancelUrl"]) {
      if (typeof input[field] !== "string") return fail(400, "BAD_REQUEST", `checkoutSession.${field}: Invalid input: expected string, received undefined`);
    }
    const customer = customers.get(String(input.customerExternalId));
    if (!customer) return fail(404, "NOT_FOUND", `Customer with externalId ${String(input.customerExternalId)} not found`);
    const price = productPrices().find((held) => (input.priceSlug !== undefined ? held.slug === input.priceSlug : held.id === input.priceId));
    if (!price) return fail(404, "NOT_FOUND", `Price ${String(input.priceSlug ?? input.priceId)} not found in pricing model ${pricingModel.id}`);
    const at = now().getTime();
    const session = {
      id: `chckt_session_${randomBytes(10).toString("hex")}`,
      createdAt: at,
      customerEmail: customer.email,
      customerId: customer.id,
      customerName: customer.name,
      discountId: null,
      expires: at + 24 * 3_600_000,
      livemode: false,
      organizationId: "org_billhub",
      outputName: (input.outputName as string | undefined) ?? null,
      priceId: price.id,
      pricingModelId: pricingModel.id,
      purchaseId: null,
      quantity: typeof input.quantity === "number" ? input.quantity : 1,
      status: "open",
      type: "product",
      updatedAt: at,
      cancelUrl: input.cancelUrl,
      successUrl: input.successUrl,
      outputMetadata: (input.outputMetadata as Record<string, unknown> | undefined) ?? null,
      preserveBillingCycleAnchor: false,
    };
    checkoutSessions.push(session);
    return HttpResponse.json({ checkoutSession: session, url: `https://app.flowglad.com/checkout/${session.id}` });
  }

  const handlers: HttpHandler[] = [
    http.get(`${baseUrl}/api/v1/customers/:externalId`, ({ request, params }) => {
      const refused = enter("customer", request);
      if (refused) return refused;
      const customer = customers.get(String(params.externalId));
      return customer ? HttpResponse.json({ customer: customerRecord(customer) }) : fail(404, "NOT_FOUND", `Customer with externalId ${String(params.externalId)} not found`);
    }),
    http.post(`${baseUrl}/api/v1/customers`, async ({ request }) => {
      const refused = enter("create_customer", request);
      if (refused) return refused;
      const after = afterProcessing;
      const input = ((await request.json()) as { customer?: Record<string, unknown> }).customer ?? {};
      for (const field of ["externalId", "email", "name"]) {
        if (typeof input[field] !== "string") return fail(400, "BAD_REQUEST", `customer.${field}: Invalid input: expected string, received ${input[field] === null ? "null" : "undefined"}`);
      }
      const externalId = input.externalId as string;
      if (customers.has(externalId)) return fail(409, "CONFLICT", `A customer with externalId ${externalId} already exists`);
      const customer: Customer = { id: `cust_${randomBytes(8).toString("hex")}`, externalId, email: input.email as string, name: input.name as string, createdAt: now().getTime(), subscriptions: [], purchases: [] };
      customers.set(externalId, customer);
      return answer(HttpResponse.json({ data: { customer: customerRecord(customer) } }, { status: 201 }), after);
    }),
    http.post(`${baseUrl}/api/v1/checkout-sessions`, async ({ request }) => {
      const refused = enter("checkout_session", request);
      if (refused) return refused;
      const input = ((await request.json()) as { checkoutSession?: Record<string, unknown> }).checkoutSession ?? {};
      return createCheckoutSession(input);
    }),
    http.get(`${baseUrl}/api/v1/customers/:externalId/billing`, ({ request, params }) => {
      const refused = enter("billing", request);
      if (refused) return refused;
      const customer = customers.get(String(params.externalId));
      if (!customer) return fail(404, "NOT_FOUND", `Customer with externalId ${String(params.externalId)} not found`);
      const subscriptions = customer.subscriptions.map((spec) => flowgladSubscription(spec, customer.id, pricingModel.id));
      return HttpResponse.json({
        billingPortalUrl: `https://app.flowglad.com/billing-portal/${customer.id}`,
        catalog: pricingModel,
        customer: { id: customer.id, externalId: customer.externalId, email: customer.email, name: customer.name, archived: false, livemode: false, organizationId: "org_billhub", pricingModelId: pricingModel.id },
        invoices: [],
        paymentMethods: [],
        pricingModel,
        purchases: customer.purchases.map((spec) => flowgladPurchase(spec, customer.id, pricingModel.id)),
        subscriptions,
        currentSubscription: subscriptions.at(-1),
        currentSubscriptions: subscriptions,
      });
    }),
    http.get(`${baseUrl}/api/v1/pricing-models/default`, ({ request }) => {
      const refused = enter("pricing_model", request);
      return refused ?? HttpResponse.json({ pricingModel });
    }),
    http.post(`${baseUrl}/api/v1/usage-events`, async ({ request }) => {
      const refused = enter("usage_event", request);
      if (refused) return refused;
      const after = afterProcessing;
      const input = ((await request.json()) as { usageEvent?: UsageInput }).usageEvent ?? {};
      const checked = check(input);
      if (checked instanceof Response) return checked;
      // A repeat for the same subscription returns the event already held, amount not updated.
      return answer(HttpResponse.json({ usageEvent: checked.existing ?? store(input, checked.customer, checked.meter) }), after);
    }),
    http.post(`${baseUrl}/api/v1/usage-events/bulk`, async ({ request }) => {
      const refused = enter("usage_bulk", request);
      if (refused) return refused;
      const after = afterProcessing;
      const inputs = ((await request.json()) as { usageEvents?: UsageInput[] }).usageEvents ?? [];
      if (inputs.length === 0) return fail(400, "BAD_REQUEST", "usageEvents must hold at least one event");
      const checks = inputs.map(check);
      const refusal = checks.find((checked) => checked instanceof Response);
      if (refusal) return refusal;
      const created: StoredUsageEvent[] = [];
      for (const [index, input] of inputs.entries()) {
        const checked = checks[index] as Exclude<ReturnType<typeof check>, Response>;
        if (checked.existing || usage.has(`${input.transactionId as string}|${checked.meter.id}`)) continue;
        created.push(store(input, checked.customer, checked.meter));
      }
      return answer(HttpResponse.json({ usageEvents: created }), after);
    }),
  ];

  return {
    handlers,
    pricingModel,
    inject: faults.inject,
    /** From now on, answers requests to `route` with random faults (seeded). */
    injectRandom: faults.injectRandom,
    /** How many faults of each kind were answered so far. */
    faultsServed: faults.served,
    /** Adds (or replaces) a customer with their current subscriptions and their purchases. */
    addCustomer(customer: { externalId: string; id?: string; email?: string; name?: string; subscriptions: SubscriptionSpec[]; purchases?: PurchaseSpec[] }): void {
      customers.set(customer.externalId, {
        id: customer.id ?? `cust_${customer.externalId}`,
        externalId: customer.externalId,
        email: customer.email ?? `${customer.externalId}@example.com`,
        name: customer.name ?? customer.externalId,
        createdAt: now().getTime(),
        subscriptions: customer.subscriptions,
        purchases: customer.purchases ?? [],
      });
    },
    /** The customer Flowglad holds under an external id, as its API returns it. */
    customer: (externalId: string) => {
      const customer = customers.get(externalId);
      return customer === undefined ? undefined : customerRecord(customer);
    },
    /** Checkout sessions created so far, as Flowglad returned them. */
    checkoutSessions: () => [...checkoutSessions],
    /** Usage events Flowglad holds, in creation order. */
    usageEvents: (): StoredUsageEvent[] => [...usage.values()],
    calls: (route?: FlowgladRoute) => (route ? calls.filter((call) => call.route === route) : [...calls]),
    reset(): void {
      customers.clear();
      usage.clear();
      checkoutSessions.length = 0;
      calls.length = 0;
      faults.clear();
    },
  };
}

export type FlowgladStandIn = ReturnType<typeof createFlowgladStandIn>;
