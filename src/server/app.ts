import { Hono, type Context } from "hono";
import { bodyLimit } from "hono/body-limit";
import type { Hub } from "../hub.ts";
import { BillingError, bodyUnreadError } from "../core/errors.ts";
import { isStoreUnavailable, storeUnavailableError } from "../store/identifiers.ts";
import { createKeyVerifier, requireAccess } from "./auth.ts";
import { createDashboard } from "./dashboard/dashboard.tsx";
import { openApiDocument } from "./openapi.ts";
import { mountRoutes, route, type AppEnv, type RouteSpec } from "./route.ts";
import { catalogRoutes } from "./routes/catalog.ts";
import { creditRoutes } from "./routes/credits.ts";
import { customerRoutes } from "./routes/customers.ts";
import { entitlementRoutes } from "./routes/entitlements.ts";
import { healthRoutes } from "./routes/health.ts";
import { invoiceRoutes } from "./routes/invoices.ts";
import { usageRoutes } from "./routes/usage.ts";
import { outboxRoutes } from "./routes/outbox.ts";
import { alertRoutes } from "./routes/alerts.ts";
import { webhookRoutes } from "./routes/webhooks.ts";

/** What a 503 asks the caller to wait before trying again. */
const RETRY_AFTER_SECONDS = 2;

const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

/** Every REST route of the service, in one list: mounted, validated and documented from it. */
export function allRoutes(hub: Hub): RouteSpec[] {
  return [
    ...healthRoutes(hub),
    ...customerRoutes(hub),
    ...creditRoutes(hub),
    ...usageRoutes(hub),
    ...entitlementRoutes(hub),
    ...invoiceRoutes(hub),
    ...catalogRoutes(hub),
    ...webhookRoutes(hub),
    ...outboxRoutes(hub),
    ...alertRoutes(hub),
  ];
}

export interface AppOptions {
  /** Replaces the built-in route list (to add routes of your own, pass `[...allRoutes(hub), ...yours]`). */
  routes?: readonly RouteSpec[];
  /**
   * The path the app is mounted under when requests arrive with it (a Next.js route handler at
   * `app/api/billing/[...path]/route.ts` receives `/api/billing/v1/...`: `basePath: "/api/billing"`).
   * Not for Express's `use("/billing", ...)` or Hono's `route("/billing", ...)`, which strip it.
   */
  basePath?: string;
}

/**
 * The HTTP service as one Web-standard handler: `app.fetch(request) => Promise<Response>`.
 * Node serving lives in serve.ts; any runtime that speaks Request/Response can mount this
 * (`billhub/server` shows Next.js, Express and Hono).
 */
export function createApp(hub: Hub, options: AppOptions = {}): Hono<AppEnv> {
  const root = new Hono<AppEnv>();
  const app = options.basePath === undefined || options.basePath === "" || options.basePath === "/" ? root : root.basePath(options.basePath.replace(/\/$/, ""));
  const verify = createKeyVerifier(hub.config.server.apiKeys);
  const latency = hub.metrics.histogram("billhub_http_request_duration_seconds", "HTTP request latency by route", LATENCY_BUCKETS);

  app.use("*", async (c, next) => {
    const started = performance.now();
    await next();
    latency.observe({ method: c.req.method, route: c.req.routePath, status: String(c.res.status) }, (performance.now() - started) / 1000);
  });

  const limitBody = bodyLimit({
    maxSize: hub.config.server.bodyLimitBytes,
    onError: (c) => c.json(new BillingError("PAYLOAD_TOO_LARGE", `Request body is larger than ${hub.config.server.bodyLimitBytes} bytes`).toJSON(), 413),
  });
  app.use("*", async (c, next) => {
    // A body without a Content-Length is read here, before any route: one cut off mid-way (the
    // sender went away) is refused as unread, not an internal error. What fails after it passed on is the route's.
    let passed = false;
    try {
      return await limitBody(c, () => {
        passed = true;
        return next();
      });
    } catch (error) {
      if (passed) throw error;
      throw bodyUnreadError();
    }
  });

  const authorize = (c: Context<AppEnv>, access: RouteSpec["access"]) => {
    if (access === "public") return;
    const granted = verify(c.req.header("authorization"));
    requireAccess(granted, access);
    c.set("access", granted);
  };

  const routes = options.routes ?? allRoutes(hub);
  const document = openApiDocument(routes, { title: "billhub", version: "1" });
  mountRoutes(app, [...routes, route({ method: "get", path: "/openapi.json", access: "public", tag: "meta", summary: "This document", handler: async () => document })], authorize);

  // The dashboard's links, forms and cookie name /dashboard: it is served only at the root.
  if (hub.config.server.dashboard.enabled && app === root) app.route("/dashboard", createDashboard(hub));

  root.notFound((c) => c.json(new BillingError("NOT_FOUND", `No route for ${c.req.method} ${c.req.path}`).toJSON(), 404));

  root.onError((error, c) => {
    const known = error instanceof BillingError ? error : isStoreUnavailable(error) ? storeUnavailableError(error) : undefined;
    if (known !== undefined) {
      // A wait the refusal knows (a provider's own Retry-After on its 429) is passed on as is;
      // other 503s are worth retrying soon: the store recovers by itself when the database returns.
      if (known.retryAfterSeconds !== undefined) c.header("Retry-After", String(Math.max(1, Math.ceil(known.retryAfterSeconds))));
      else if (known.status === 503) c.header("Retry-After", String(RETRY_AFTER_SECONDS));
      return c.json(known.toJSON(), known.status as 400);
    }
    // The stack goes to the operator's log; the caller gets no internals.
    console.error(`billhub: unhandled error on ${c.req.method} ${c.req.routePath}:`, error);
    return c.json(new BillingError("INTERNAL", "Internal error").toJSON(), 500);
  });

  return root;
}
