import { getRequestListener } from "@hono/node-server";
import type { IncomingMessage, ServerResponse } from "node:http";
import { BillingError } from "../core/errors.ts";
import { bodyLeftByHost, type HostParsedRequest } from "../node/request-body.ts";

const BODY_READ_BEFORE = new BillingError(
  "CONFIG_INVALID",
  "A body parser of the host app (e.g. express.json()) read this request's body before billhub could: mount billhub before it, " +
    "or keep the raw bytes with express.json({ verify: (req, _res, buf) => { req.rawBody = buf } }). " +
    "billhub needs the raw body (webhook signatures are computed over it).",
);

/**
 * Adapts a Web-standard handler (`createApp(hub)`, or its `fetch`) to Node's `(req, res)`, for
 * Express, Fastify's raw mode or node:http. The request's path is taken as Node has it: mounted
 * with `expressApp.use("/billing", ...)`, Express has already stripped `/billing`.
 *
 * A body the host already read is taken from `req.rawBody` (a Buffer, as Firebase and the
 * `verify` hook of Express's parsers leave it) or from `req.body` when that is still the raw
 * bytes (`express.raw()`, `express.text()`); a body only a parsed object remains of is refused
 * with CONFIG_INVALID rather than waited for (the stream is spent) or rebuilt (which would break
 * webhook signatures).
 *
 * @example
 * expressApp.use("/billing", toNodeListener(createApp(hub)));
 */
export function toNodeListener(app: { fetch: (request: Request) => Response | Promise<Response> } | ((request: Request) => Response | Promise<Response>)): (req: IncomingMessage, res: ServerResponse) => Promise<void> {
  const fetch = typeof app === "function" ? app : (request: Request) => app.fetch(request);
  // Without overrideGlobalObjects: false, @hono/node-server replaces the process's global
  // Request and Response with its own for good: the host app's would change under it.
  const listener = getRequestListener(fetch, { overrideGlobalObjects: false });
  return async (req, res) => {
    // The same reading of what the host left as the webhooks' toNodeHandler (src/node/request-body.ts).
    const left = bodyLeftByHost(req as HostParsedRequest);
    if (left === "parsed") {
      res.writeHead(BODY_READ_BEFORE.status, { "content-type": "application/json" }).end(JSON.stringify(BODY_READ_BEFORE.toJSON()));
      return;
    }
    // @hono/node-server builds the Request's body from `req.rawBody` when it is a Buffer, else from
    // the stream (@hono/node-server 2.1, dist/index.mjs: `incoming.rawBody instanceof Buffer`).
    if (left !== "unread") (req as HostParsedRequest).rawBody = left.bytes;
    await listener(req, res);
  };
}
