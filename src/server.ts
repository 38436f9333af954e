/**
 * `billhub/server`: the REST API as a Web-standard handler you mount in your own app, and the
 * Node server `billhub serve` runs.
 *
 * @example
 * // Next.js, app/api/billing/[...path]/route.ts
 * const app = createApp(hub, { basePath: "/api/billing" });
 * export const GET = (request: Request) => app.fetch(request);
 * export const POST = GET, PUT = GET, PATCH = GET, DELETE = GET;
 *
 * // Express: Express strips the mount path, so no basePath
 * expressApp.use("/billing", toNodeListener(createApp(hub)));
 *
 * // Hono
 * honoApp.route("/billing", createApp(hub));
 */
export { createApp, allRoutes, type AppOptions } from "./server/app.ts";
export { toNodeListener } from "./server/node-listener.ts";
export { startServer, type RunningServer } from "./server/serve.ts";
export { openApiDocument } from "./server/openapi.ts";
export type { RouteSpec, RouteInput, Method, AppEnv } from "./server/route.ts";
export type { Access } from "./server/auth.ts";
