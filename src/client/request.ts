import { BillingError, ERROR_CODES, type BillingErrorCode } from "../core/errors.ts";

export interface ClientOptions {
  /** The service's address, with the path it is mounted under: `http://127.0.0.1:8787`, `https://app.example.com/api/billing`. */
  baseUrl: string;
  /** An API key of the service (`server.apiKeys`); a write key for writes. */
  apiKey?: string;
  /** The fetch to call (default: the global one); e.g. `createApp(hub).fetch` to call a hub in the same process. */
  fetch?: (request: Request) => Response | Promise<Response>;
  /** Extra headers for every request. */
  headers?: Record<string, string>;
}

/** Query parameters as the client takes them: text, numbers, booleans and instants, written as the routes read them. */
export type Query = Record<string, string | number | boolean | Date | undefined>;

export type SendRequest = <T>(method: string, path: string, input?: { body?: unknown; query?: Query }) => Promise<T>;

/** One request to the service: JSON in and out, a refusal thrown as the hub's BillingError. */
export function createRequest(options: ClientOptions): SendRequest {
  const base = options.baseUrl.replace(/\/+$/, "");
  const send = options.fetch ?? ((request: globalThis.Request) => fetch(request));
  return async function request<T>(method: string, path: string, input: { body?: unknown; query?: Query } = {}): Promise<T> {
    const search = new URLSearchParams();
    for (const [name, value] of Object.entries(input.query ?? {})) {
      if (value !== undefined) search.set(name, value instanceof Date ? value.toISOString() : String(value));
    }
    const url = `${base}${path}${search.size > 0 ? `?${search}` : ""}`;
    const headers: Record<string, string> = { accept: "application/json", ...options.headers };
    if (options.apiKey !== undefined) headers.authorization = `Bearer ${options.apiKey}`;
    if (input.body !== undefined) headers["content-type"] = "application/json";
    const response = await send(new globalThis.Request(url, { method, headers, ...(input.body === undefined ? {} : { body: JSON.stringify(input.body) }) }));
    const text = await response.text();
    const json = text === "" ? undefined : parseJson(text);
    if (!response.ok) throw errorFrom(response, json, `${method} ${path}`);
    return json as T;
  };
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** The service's `{ error: { code, message, field?, details? } }` as a BillingError; anything else as INTERNAL with the status. */
function errorFrom(response: Response, json: unknown, what: string): BillingError {
  const body = (json as { error?: { code?: string; message?: string; field?: string; details?: Record<string, unknown> } } | undefined)?.error;
  if (body?.code !== undefined && body.code in ERROR_CODES) {
    const retryAfter = Number(response.headers.get("retry-after") ?? Number.NaN);
    return new BillingError(body.code as BillingErrorCode, body.message ?? what, {
      ...(body.field === undefined ? {} : { field: body.field }),
      ...(body.details === undefined ? {} : { details: body.details }),
      ...(Number.isFinite(retryAfter) ? { retryAfterSeconds: retryAfter } : {}),
    });
  }
  return new BillingError("INTERNAL", `${what} answered ${response.status} without a billhub error body`, { retryable: response.status >= 500, details: { status: response.status } });
}
