import { Hono } from "hono";
import type { Hub } from "../hub.ts";
import { BillingError } from "../core/errors.ts";

/**
 * The HTTP service as one Web-standard handler: `app.fetch(request) => Promise<Response>`.
 * Node serving lives in serve.ts; any runtime that speaks Request/Response can mount this.
 */
export function createApp(hub: Hub): Hono {
  const app = new Hono();

  app.get("/healthz", (c) => c.json({ ok: true }));

  app.get("/readyz", async (c) => {
    const readiness = await hub.ready();
    return c.json(readiness, readiness.ok ? 200 : 503);
  });

  app.notFound((c) => c.json(new BillingError("NOT_FOUND", `No route for ${c.req.method} ${c.req.path}`).toJSON(), 404));

  app.onError((error, c) => {
    if (error instanceof BillingError) return c.json(error.toJSON(), error.status as 400);
    return c.json(new BillingError("INTERNAL", "Internal error").toJSON(), 500);
  });

  return app;
}
