import type { Hub } from "../../hub.ts";
import { route, type RouteSpec } from "../route.ts";

/** Liveness, readiness and metrics: public, and free of customer data. */
export function healthRoutes(hub: Hub): RouteSpec[] {
  return [
    route({ method: "get", path: "/healthz", access: "public", tag: "health", summary: "The process is alive", handler: async () => ({ ok: true }) }),
    route({
      method: "get",
      path: "/readyz",
      access: "public",
      tag: "health",
      summary: "The store is reachable and the schema is current",
      handler: async ({ c }) => {
        const readiness = await hub.ready();
        if (!readiness.ok) c.header("Retry-After", "2");
        return c.json(readiness, readiness.ok ? 200 : 503);
      },
    }),
    route({
      method: "get",
      path: "/metrics",
      access: "public",
      tag: "health",
      summary: "Prometheus metrics",
      handler: async ({ c }) => c.text(await hub.metrics.render(), 200, { "content-type": "text/plain; version=0.0.4" }),
    }),
  ];
}
