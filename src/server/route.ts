import type { Context, Hono } from "hono";
import type { z } from "zod";
import { BillingError, bodyUnreadError } from "../core/errors.ts";
import { textProblem } from "../core/storable-text.ts";
import { zodToBillingError } from "../core/validation.ts";
import type { Access } from "./auth.ts";
import { parseJsonBody } from "./json-body.ts";

export type Method = "get" | "post" | "put" | "patch" | "delete";

type Out<S> = S extends z.ZodType ? z.output<S> : undefined;

export interface RouteInput<B, Q> {
  body: B;
  /** The JSON object sent, unvalidated: what a `bodyCheckedByHub` route hands to the hub call that validates it. */
  json: Record<string, unknown> | undefined;
  query: Q;
  params: Record<string, string>;
  c: Context<AppEnv>;
}

/** One REST route: its contract (for validation and /openapi.json) and its handler. */
export interface RouteSpec<B extends z.ZodType | undefined = z.ZodType | undefined, Q extends z.ZodType | undefined = z.ZodType | undefined> {
  method: Method;
  /** Hono path syntax, e.g. `/v1/customers/:id`. */
  path: string;
  /** `public` routes need no API key (health, webhooks: they carry their own signatures). */
  access: Access | "public";
  summary: string;
  tag: string;
  body?: B;
  query?: Q;
  /** Status for a successful answer (default 200); a handler may also return its own Response. */
  status?: 200 | 201 | 202;
  /**
   * For a body the hub call validates itself with this very schema (or, for the ledger's, with
   * its own codes INVALID_USAGE and INVALID_AMOUNT): the schema that documents it (/openapi.json,
   * the typed client). The route parses the JSON only and the handler passes `json` on (`asSent`),
   * so the body is validated once and HTTP and library answer alike.
   */
  bodyCheckedByHub?: z.ZodType;
  handler(input: RouteInput<Out<B>, Out<Q>>): Promise<unknown>;
}

export type AppEnv = { Variables: { access: Access | undefined } };

/** The JSON a `bodyCheckedByHub` route received, handed as is to the hub call that validates it. */
export function asSent<T>(json: unknown): T {
  return json as T;
}

/** Keeps the spec's types tied to its handler. */
export function route<B extends z.ZodType | undefined = undefined, Q extends z.ZodType | undefined = undefined>(spec: RouteSpec<B, Q>): RouteSpec {
  return spec as unknown as RouteSpec;
}

/**
 * A path or query parameter PostgreSQL cannot store as sent (`%00`) could only fail in the
 * store: it is refused here, naming the parameter. (Hono leaves percent-escapes that are not
 * UTF-8, such as a lone surrogate's `%ED%A0%80`, undecoded; the check holds if that changes.)
 */
function refuseUnstorable(values: Record<string, string>, prefix: string): void {
  for (const [name, value] of Object.entries(values)) {
    const problem = textProblem(name) ?? textProblem(value);
    if (problem !== undefined) throw new BillingError("VALIDATION_FAILED", `${prefix}.${name}: ${problem}`, { field: `${prefix}.${name}` });
  }
}

/** The request's body as text (`c.req`); a body cut off mid-way (the sender went away) is refused as unread, not an internal error. */
export async function bodyText(req: { text(): Promise<string> }): Promise<string> {
  try {
    return await req.text();
  } catch {
    throw bodyUnreadError();
  }
}

/** Registers routes on the app: validates body and query with their zod schemas, then runs the handler. */
export function mountRoutes(app: Hono<AppEnv>, routes: readonly RouteSpec[], authorize: (c: Context<AppEnv>, access: RouteSpec["access"]) => void): void {
  for (const spec of routes) {
    app.on(spec.method.toUpperCase(), spec.path, async (c) => {
      authorize(c, spec.access);
      const params = c.req.param() as Record<string, string>;
      refuseUnstorable(params, "params");
      refuseUnstorable(c.req.query(), "query");
      let body: unknown;
      let json: Record<string, unknown> | undefined;
      if (spec.body || spec.bodyCheckedByHub) json = parseJsonBody(await bodyText(c.req));
      if (spec.body) {
        const parsed = spec.body.safeParse(json);
        if (!parsed.success) throw zodToBillingError(parsed.error, "VALIDATION_FAILED");
        body = parsed.data;
      }
      let query: unknown;
      if (spec.query) {
        const parsed = spec.query.safeParse(c.req.query());
        if (!parsed.success) throw zodToBillingError(parsed.error, "VALIDATION_FAILED", "query");
        query = parsed.data;
      }
      const result = await spec.handler({ body, json, query, params, c } as RouteInput<never, never>);
      if (result instanceof Response) return result;
      return c.json(result as object, spec.status ?? 200);
    });
  }
}
