import type { IncomingMessage, ServerResponse } from "node:http";
import { BillingError } from "../core/errors.ts";
import type { WebhookHandler } from "./handler.ts";

/** A Node request, possibly after a framework's body parser put something in `body`. */
type NodeRequest = IncomingMessage & { body?: unknown };

/**
 * Adapts a webhook handler to Node's `(req, res)` (Express, Fastify's raw mode, node:http).
 * The body is read from the request stream, or taken from `req.body` when a raw body parser ran
 * (a Buffer or a string). A body some JSON parser already turned into an object cannot be
 * verified any more and is refused with 400, saying how to mount the route.
 *
 * @example Express
 * app.post("/webhooks/stripe", toNodeHandler(hub.webhooks.stripe)); // before app.use(express.json())
 */
export function toNodeHandler(handler: WebhookHandler): (req: NodeRequest, res: ServerResponse) => Promise<void> {
  return async (req, res) => {
    let response: Response;
    const body = await rawBodyOf(req);
    if (body === undefined) {
      const error = new BillingError(
        "WEBHOOK_PAYLOAD_INVALID",
        "The webhook body was already parsed (e.g. by express.json()): signatures cover the raw, unparsed bytes. Mount the webhook route before any JSON body parser, or give it express.raw({ type: \"*/*\" })",
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

/** The raw body, or undefined when only a parsed form of it is left. */
async function rawBodyOf(req: NodeRequest): Promise<Uint8Array | undefined> {
  if (Buffer.isBuffer(req.body)) return req.body;
  if (typeof req.body === "string") return Buffer.from(req.body, "utf8");
  if (req.body !== undefined) return undefined;
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(typeof chunk === "string" ? Buffer.from(chunk) : (chunk as Buffer));
  return Buffer.concat(chunks);
}
