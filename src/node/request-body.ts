import type { IncomingMessage } from "node:http";

/** What a host app's body parser may have left on a Node request (Express's parsers, Firebase, ...). */
export type HostParsedRequest = IncomingMessage & { rawBody?: unknown; body?: unknown; _body?: unknown };

/**
 * What is left of a Node request's body for billhub, which needs the raw bytes (webhook
 * signatures are computed over them):
 * - `{ bytes }`: a parser kept them: `req.rawBody` (a Buffer, as the `verify` hook of Express's
 *   parsers and Firebase leave it), else `req.body` when it is still the raw body (a Buffer from
 *   `express.raw()`, a string from `express.text()`);
 * - `"unread"`: nobody read the stream; read it;
 * - `"parsed"`: only a parsed form remains and the stream is spent.
 *
 * Express 4's body-parser sets `req.body = {}` even when it leaves a request alone (another
 * content type), so an object in `req.body` alone does not mean the stream was read: its `_body`
 * flag, or the stream having ended, does (body-parser 1.20, lib/types/json.js:
 * `req.body = req.body || {}` before the type check; lib/read.js: `req._body = true` as it reads).
 */
export function bodyLeftByHost(req: HostParsedRequest): { bytes: Buffer } | "unread" | "parsed" {
  if (Buffer.isBuffer(req.rawBody)) return { bytes: req.rawBody };
  if (Buffer.isBuffer(req.body)) return { bytes: req.body };
  if (typeof req.body === "string") return { bytes: Buffer.from(req.body, "utf8") };
  if (req._body === true || req.readableEnded) return "parsed";
  return "unread";
}

/** The raw body: kept by the host's parser or read from the stream; undefined when only a parsed form is left. */
export async function readRawBody(req: HostParsedRequest): Promise<Buffer | undefined> {
  const left = bodyLeftByHost(req);
  if (left === "parsed") return undefined;
  if (left !== "unread") return left.bytes;
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(typeof chunk === "string" ? Buffer.from(chunk) : (chunk as Buffer));
  return Buffer.concat(chunks);
}
