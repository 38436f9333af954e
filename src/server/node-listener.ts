import { getRequestListener } from "@hono/node-server";
import type { IncomingMessage, ServerResponse } from "node:http";

/**
 * Adapts a Web-standard handler (`createApp(hub)`, or its `fetch`) to Node's `(req, res)`, for
 * Express, Fastify's raw mode or node:http. The request's path is taken as Node has it: mounted
 * with `expressApp.use("/billing", ...)`, Express has already stripped `/billing`.
 *
 * @example
 * expressApp.use("/billing", toNodeListener(createApp(hub)));
 */
export function toNodeListener(app: { fetch: (request: Request) => Response | Promise<Response> } | ((request: Request) => Response | Promise<Response>)): (req: IncomingMessage, res: ServerResponse) => Promise<void> {
  const fetch = typeof app === "function" ? app : (request: Request) => app.fetch(request);
  return getRequestListener(fetch);
}
