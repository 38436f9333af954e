import type { IncomingMessage, ServerResponse } from "node:http";
import { BillingError } from "../core/errors.ts";
import { readRawBody, type HostParsedRequest } from "../node/request-body.ts";
import type { WebhookHandler } from "./handler.ts";

/**
 * Adapts a webhook handler to Node's `(req, res)` (Express, Fastify's raw mode, node:http).
 * The body is read from the request stream, or taken as a host's parser kept it: `req.rawBody`
 * (`express.json({ verify: (req, _res, buf) => { req.rawBody = buf } })`), or `req.body` when a
 * raw body parser ran (a Buffer or a string); the REST API's `toNodeListener` reads it the same
 * way. A body some JSON parser turned into an object without keeping the bytes cannot be
 * verified any more and is refused with 400, saying how to mount the route.
 *
 * @example Express
 * app.post("/webhooks/stripe", toNodeHandler(hub.webhooks.stripe)); // before app.use(express.json())
 */
export function toNodeHandler(handler: WebhookHandler): (req: IncomingMessage, res: ServerResponse) => Promise<void> {
  return async (req, res) => {
    let response: Response;
    const body = await readRawBody(req as HostParsedRequest);
    if (body === undefined) {
      const error = new BillingError(
        "WEBHOOK_PAYLOAD_INVALID",
        "The webhook body was already parsed (e.g. by express.json()): signatures cover the raw, unparsed bytes. Mount the webhook route before any JSON body parser, give it express.raw({ type: \"*/*\" }), or keep the bytes with express.json({ verify: (req, _res, buf) => { req.rawBody = buf } })",
        { field: "rawBody" },
      );
      response = Response.json(error.toJSON(), { status: 400 });
    } else {
      const headers = new Headers();
      for (const [name, value] of Object.entries(req.headers)) {
        if (Array.isArray(value)) for (const item of value) headers.append(name, item);
        else if (value !== undefined) headers.set(name, value);
      }
      const url = `http://${req.headers.host ?? "localhost"}${req.url ?? "/"}`;
      response = await handler(new Request(url, { method: req.method ?? "POST", headers, body }));
    }
    res.statusCode = response.status;
    response.headers.forEach((value, name) => res.setHeader(name, value));
    res.end(Buffer.from(await response.arrayBuffer()));
  };
}
