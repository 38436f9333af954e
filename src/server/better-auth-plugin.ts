import type { BetterAuthPlugin } from "better-auth";
import { APIError, createAuthEndpoint, createAuthMiddleware, sessionMiddleware } from "better-auth/api";
import { z } from "zod";
import { BillingError, isBillingError } from "../core/errors.ts";
import type { Hub } from "../hub.ts";

/** The signed-in user and session, as better-auth hands them to an endpoint. */
export interface BillhubSession {
  user: { id: string; email?: string | null; name?: string | null } & Record<string, unknown>;
  session: { id: string; activeOrganizationId?: string | null } & Record<string, unknown>;
}

export interface BillhubPluginOptions {
  /** The hub the endpoints answer from (the same one your server records usage through). */
  hub: Hub;
  /**
   * Who is billed: each user (the default: a customer per user, created at sign-up) or each
   * organization of better-auth's organization plugin (a customer per organization, created with
   * it; a session bills its active organization).
   */
  billTo?: "user" | "organization";
  /**
   * Who pays for a signed-in session, when neither of the above fits. Undefined refuses the
   * request with 403 `NO_BILLING_CUSTOMER`: a session with nobody to bill sees nothing.
   */
  customerId?: (session: BillhubSession) => string | undefined | Promise<string | undefined>;
  /** Creates the hub customer (id = user id, with email and name) when a user signs up. Default: true when billing users. */
  createCustomerOnSignUp?: boolean;
}

const HTTP_STATUS_NAMES = {
  400: "BAD_REQUEST",
  401: "UNAUTHORIZED",
  403: "FORBIDDEN",
  404: "NOT_FOUND",
  409: "CONFLICT",
  413: "PAYLOAD_TOO_LARGE",
  422: "UNPROCESSABLE_ENTITY",
  429: "TOO_MANY_REQUESTS",
  502: "BAD_GATEWAY",
  503: "SERVICE_UNAVAILABLE",
} as const;

/** A billhub error as better-auth answers it: the same status, `code`, `message` and `field`; anything else is a 500 without its message. */
function toApiError(error: unknown): APIError {
  if (!isBillingError(error)) return new APIError("INTERNAL_SERVER_ERROR", { message: "billhub could not answer", code: "INTERNAL" });
  const status = HTTP_STATUS_NAMES[error.status as keyof typeof HTTP_STATUS_NAMES] ?? "INTERNAL_SERVER_ERROR";
  const headers = error.retryAfterSeconds === undefined ? undefined : { "retry-after": String(error.retryAfterSeconds) };
  const { code, message, field, details } = error.toJSON().error;
  return new APIError(status, { code, message, ...(field === undefined ? {} : { field }), ...(details === undefined ? {} : { details }) }, headers);
}

const urlField = z.url({ protocol: /^https?$/ }).max(2048);
const checkQuery = z.object({ feature: z.string().min(1).max(128) });
const checkoutBody = z.object({ plan: z.string().min(1).max(128), price: z.string().min(1).max(200).optional(), successUrl: urlField, cancelUrl: urlField });
const portalBody = z.object({ returnUrl: urlField });
const usageQuery = z.object({ meter: z.string().min(1).max(128).optional(), feature: z.string().min(1).max(128).optional(), window: z.enum(["hour", "day", "week", "month", "billing_period"]).optional() });

/**
 * billhub as a better-auth plugin: the signed-in user's customer, checks, checkout and portal at
 * `/api/auth/billhub/*`, answered from your hub for the session's customer (never one named by
 * the browser), and the hub customer created when a user signs up. Usage is not recorded through
 * it: a browser must not meter itself — record from your server with `hub.record`.
 *
 * @example
 * const auth = betterAuth({ database, emailAndPassword: { enabled: true }, plugins: [billhub({ hub })] });
 * // GET /api/auth/billhub/check?feature=api → { allowed, limit, used, remaining, ... }
 * await auth.api.billhubCheck({ headers, query: { feature: "api" } });
 */
export function billhub(options: BillhubPluginOptions) {
  const { hub } = options;
  const billTo = options.billTo ?? "user";
  const customerOf = options.customerId ?? ((session: BillhubSession) => (billTo === "user" ? session.user.id : (session.session.activeOrganizationId ?? undefined)));
  const createOnSignUp = options.createCustomerOnSignUp ?? billTo === "user";

  /** The session's customer, created on first use when the session maps to one that does not exist yet. */
  async function sessionCustomer(session: BillhubSession): Promise<string> {
    const customerId = await customerOf(session);
    if (customerId === undefined) {
      throw new APIError("FORBIDDEN", { code: "NO_BILLING_CUSTOMER", message: "This session has no billing customer (the plugin's customerId option answered undefined)" });
    }
    try {
      await hub.customers.get(customerId);
    } catch (error) {
      if (!(error instanceof BillingError && error.code === "CUSTOMER_NOT_FOUND")) throw error;
      const own = customerId === session.user.id;
      const organization = customerId === session.session.activeOrganizationId;
      await hub.customers.upsert({ id: customerId, ...(own ? { referenceType: "user", email: session.user.email ?? null, name: session.user.name ?? null } : organization ? { referenceType: "organization" } : {}) });
    }
    return customerId;
  }

  async function answer<T>(work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      if (error instanceof APIError) throw error;
      throw toApiError(error);
    }
  }

  return {
    id: "billhub",
    endpoints: {
      /** GET /billhub/customer: the session's customer with its plan, limits and usage. */
      billhubCustomer: createAuthEndpoint("/billhub/customer", { method: "GET", use: [sessionMiddleware] }, async (c) =>
        answer(async () => {
          const customerId = await sessionCustomer(c.context.session as BillhubSession);
          const [customer, entitlements] = await Promise.all([hub.customers.get(customerId), hub.entitlements(customerId)]);
          return c.json({ customer, entitlements });
        }),
      ),
      /** GET /billhub/check?feature=…: may the session's customer use a feature, and how much is left. */
      billhubCheck: createAuthEndpoint("/billhub/check", { method: "GET", use: [sessionMiddleware], query: checkQuery }, async (c) =>
        answer(async () => {
          const customerId = await sessionCustomer(c.context.session as BillhubSession);
          return c.json(await hub.check(customerId, c.query.feature));
        }),
      ),
      /** GET /billhub/usage?feature=…|meter=…[&window=…]: the session's customer's usage total (read only: usage is recorded by your server). */
      billhubUsage: createAuthEndpoint("/billhub/usage", { method: "GET", use: [sessionMiddleware], query: usageQuery }, async (c) =>
        answer(async () => {
          const customerId = await sessionCustomer(c.context.session as BillhubSession);
          const { meter, feature, window } = c.query;
          return c.json(await hub.usage({ customerId, ...(meter === undefined ? {} : { meter }), ...(feature === undefined ? {} : { feature }), ...(window === undefined ? {} : { window }) }));
        }),
      ),
      /** POST /billhub/checkout: a hosted checkout for one of the catalog's plans, at the customer's provider. */
      billhubCheckout: createAuthEndpoint("/billhub/checkout", { method: "POST", use: [sessionMiddleware], body: checkoutBody }, async (c) =>
        answer(async () => {
          const customerId = await sessionCustomer(c.context.session as BillhubSession);
          return c.json(await hub.customers.checkout(customerId, c.body));
        }),
      ),
      /** POST /billhub/portal: a session of the provider's customer portal. */
      billhubPortal: createAuthEndpoint("/billhub/portal", { method: "POST", use: [sessionMiddleware], body: portalBody }, async (c) =>
        answer(async () => {
          const customerId = await sessionCustomer(c.context.session as BillhubSession);
          return c.json(await hub.customers.portal(customerId, c.body));
        }),
      ),
    },
    hooks: {
      after: [
        {
          // better-auth's organization plugin answers its create endpoint with the organization.
          matcher: (context) => billTo === "organization" && context.path === "/organization/create",
          handler: createAuthMiddleware(async (ctx) => {
            const organization = ctx.context.returned as { id?: unknown; name?: unknown } | undefined;
            if (typeof organization?.id !== "string") return;
            try {
              await hub.customers.upsert({ id: organization.id, referenceType: "organization", name: typeof organization.name === "string" ? organization.name.slice(0, 200) : null });
            } catch (error) {
              ctx.context.logger.error("billhub: the customer of a new organization could not be created; it will be on its first billing request", error);
            }
          }),
        },
      ],
    },
    init() {
      if (!createOnSignUp) return;
      return {
        options: {
          databaseHooks: {
            user: {
              create: {
                // After the user row is written. A hub that cannot take the customer (down, say)
                // must not fail a sign-up that already happened: it is logged, and the endpoints
                // create the customer on first use.
                async after(user: { id: string; email?: string | null; name?: string | null }, context: { context?: { logger?: { error(message: string, ...args: unknown[]): void } } } | null) {
                  try {
                    await hub.customers.upsert({ id: user.id, referenceType: "user", email: user.email ?? null, name: user.name ?? null });
                  } catch (error) {
                    context?.context?.logger?.error("billhub: the customer of a new user could not be created; it will be on the user's first billing request", error);
                  }
                },
              },
            },
          },
        },
      };
    },
  } satisfies BetterAuthPlugin;
}
