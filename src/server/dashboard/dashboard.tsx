import { Hono, type Context } from "hono";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";
import type { JSX } from "hono/jsx/jsx-runtime";
import { z } from "zod";
import { BillingError } from "../../core/errors.ts";
import type { Hub } from "../../hub.ts";
import { isStoreUnavailable, storeUnavailableError } from "../../store/identifiers.ts";
import { bodyText } from "../route.ts";
import { findAsset } from "./assets.ts";
import { BASE, href, type Frame } from "./layout.tsx";
import { customerPage } from "./pages/customer.tsx";
import { customersPage } from "./pages/customers.tsx";
import { exportSchema, invoicePage, invoicesPage } from "./pages/invoices.tsx";
import { outboxPage, replayConfirmPage, replayDeadConfirmPage, replayDeadSchema, replayProblem, replayTargetSchema } from "./pages/outbox.tsx";
import { overviewPage } from "./pages/overview.tsx";
import { problemPage } from "./pages/problem.tsx";
import { signInPage } from "./pages/sign-in.tsx";
import { webhooksPage } from "./pages/webhooks.tsx";
import { parseQuery } from "./query.ts";
import { createSessions, newNonce, type Session } from "./session.ts";

const SESSION_COOKIE = "billhub_session";
const SIGN_IN_COOKIE = "billhub_sign_in";
const SIGN_IN_FORM_SECONDS = 3600;

type DashboardEnv = { Variables: { session: Session | undefined; form: Record<string, string> } };
type DashboardContext = Context<DashboardEnv>;

/**
 * Pages are locked down: scripts and styles only from the dashboard's own origin (no inline
 * script, so markup that slipped through escaping still could not run), no framing, no caching of
 * customer data, no referrer leaving the site.
 */
const SECURITY_HEADERS: Record<string, string> = {
  "content-security-policy": "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  "x-content-type-options": "nosniff",
  "x-frame-options": "DENY",
  "referrer-policy": "same-origin",
};

function isHttps(c: DashboardContext): boolean {
  return new URL(c.req.url).protocol === "https:" || c.req.header("x-forwarded-proto")?.split(",")[0]?.trim() === "https";
}

function cookieOptions(c: DashboardContext, maxAgeSeconds: number) {
  return { path: BASE, httpOnly: true, sameSite: "Strict" as const, secure: isHttps(c), maxAge: maxAgeSeconds };
}

async function html(c: DashboardContext, page: JSX.Element, status: 200 | 400 | 403 | 404 | 413 | 500 | 503 = 200): Promise<Response> {
  return c.html(`<!doctype html>${String(await page)}`, status);
}

/** Only a path inside the dashboard is followed after sign-in: never another site. */
function safeNext(value: unknown): string | undefined {
  if (typeof value !== "string" || value.length > 2000) return undefined;
  if (!value.startsWith(`${BASE}/`) && value !== BASE) return undefined;
  const url = new URL(value, "http://dashboard.invalid");
  return url.origin === "http://dashboard.invalid" && url.pathname.startsWith(BASE) && !value.includes("\\") ? `${url.pathname}${url.search}` : undefined;
}

const signInSchema = z.strictObject({ csrf: z.string(), key: z.string().max(512, "is longer than any API key"), next: z.string().optional() });

/**
 * The operators' dashboard, mounted at /dashboard: server-rendered pages over the hub's own
 * reads, signed in with an API key. Read keys see every page; write keys may also act (replay
 * dead outbox rows). Every POST carries a CSRF token bound to the session (or, for sign-in, to
 * the sign-in form's own cookie) and must come from this origin.
 */
export function createDashboard(hub: Hub): Hono<DashboardEnv> {
  const app = new Hono<DashboardEnv>();
  const ttlMinutes = hub.config.server.dashboard.sessionTtlMinutes;
  const sessions = createSessions(hub.config.server.apiKeys, { ttlMs: ttlMinutes * 60_000, now: () => Date.now() });
  const frameOf = (c: DashboardContext): Frame | undefined => {
    const session = c.get("session");
    return session === undefined ? undefined : { session, csrf: sessions.csrfToken(session.nonce) };
  };
  const frame = (c: DashboardContext): Frame => frameOf(c)!;

  app.use("*", async (c, next) => {
    c.set("session", sessions.read(getCookie(c, SESSION_COOKIE)));
    await next();
    for (const [name, value] of Object.entries(SECURITY_HEADERS)) c.res.headers.set(name, value);
    if (!c.res.headers.has("cache-control")) c.res.headers.set("cache-control", "no-store");
  });

  app.onError(async (error, c) => {
    const known = error instanceof BillingError ? error : isStoreUnavailable(error) ? storeUnavailableError(error) : undefined;
    if (known === undefined) console.error(`billhub: unhandled error on ${c.req.method} ${c.req.path}:`, error);
    const shown = known ?? new BillingError("INTERNAL", "Internal error");
    if (shown.status === 503) c.header("Retry-After", "2");
    const status = ([400, 403, 404, 413, 503] as const).find((s) => s === shown.status) ?? (shown.status < 500 ? 400 : 500);
    return html(c, problemPage({ status, code: shown.code, message: shown.message, frame: frameOf(c) }), status);
  });

  // Every form post: from this origin, with a body that is a form, with a valid token.
  app.use("*", async (c, next) => {
    if (c.req.method !== "POST") return next();
    const origin = c.req.header("origin");
    const site = c.req.header("sec-fetch-site");
    if ((origin !== undefined && origin !== new URL(c.req.url).origin) || (site !== undefined && site !== "same-origin")) {
      throw new BillingError("FORBIDDEN", "This form was sent from another site; open the dashboard and send it from there.");
    }
    const type = c.req.header("content-type") ?? "";
    if (!type.startsWith("application/x-www-form-urlencoded")) throw new BillingError("VALIDATION_FAILED", "The dashboard's forms are sent as application/x-www-form-urlencoded", { field: "body" });
    const form: Record<string, string> = {};
    for (const [name, value] of new URLSearchParams(await bodyText(c.req))) form[name] = value;
    const session = c.get("session");
    const nonce = c.req.path === `${BASE}/sign-in` ? getCookie(c, SIGN_IN_COOKIE) : session?.nonce;
    if (nonce === undefined || !sessions.csrfValid(nonce, form.csrf)) {
      throw new BillingError("FORBIDDEN", session === undefined && c.req.path !== `${BASE}/sign-in` ? "Your session has ended; sign in again." : "This form has expired or did not come from the dashboard; reload the page and try again.", { field: "csrf" });
    }
    c.set("form", form);
    return next();
  });

  app.get("/assets/:name", async (c) => {
    const asset = findAsset(c.req.param("name"));
    if (asset === undefined) throw new BillingError("NOT_FOUND", "No such dashboard asset");
    const { body, contentType } = await asset;
    return c.body(body, 200, { "content-type": contentType, "cache-control": "public, max-age=86400" });
  });

  const showSignIn = (c: DashboardContext, next: string | undefined, options: { problem?: string; notice?: string; status?: 200 | 403 } = {}) => {
    const nonce = newNonce();
    setCookie(c, SIGN_IN_COOKIE, nonce, cookieOptions(c, SIGN_IN_FORM_SECONDS));
    return html(c, signInPage({ csrf: sessions.csrfToken(nonce), next, noKeys: hub.config.server.apiKeys.length === 0, ...options }), options.status ?? 200);
  };

  app.get("/sign-in", async (c) => {
    const next = safeNext(c.req.query("next"));
    if (c.get("session") !== undefined) return c.redirect(next ?? href("/"), 303);
    return showSignIn(c, next, c.req.query("signedOut") === "1" ? { notice: "You are signed out." } : {});
  });

  app.post("/sign-in", async (c) => {
    const parsed = signInSchema.safeParse(c.get("form"));
    const next = parsed.success ? safeNext(parsed.data.next) : undefined;
    const signedIn = parsed.success ? sessions.signIn(parsed.data.key) : undefined;
    if (signedIn === undefined) return showSignIn(c, next, { problem: "That is not one of this hub's API keys.", status: 403 });
    deleteCookie(c, SIGN_IN_COOKIE, { path: BASE });
    setCookie(c, SESSION_COOKIE, signedIn.cookie, cookieOptions(c, ttlMinutes * 60));
    return c.redirect(next ?? href("/"), 303);
  });

  // Everything below needs a session: pages send the browser to sign in, posts are refused above.
  app.use("*", async (c, next) => {
    if (c.get("session") !== undefined) return next();
    const wanted = new URL(c.req.url);
    return c.redirect(href("/sign-in", { next: safeNext(`${wanted.pathname}${wanted.search}`) }), 303);
  });

  app.post("/sign-out", (c) => {
    sessions.signOut(c.get("session")!);
    deleteCookie(c, SESSION_COOKIE, { path: BASE, secure: isHttps(c) });
    return c.redirect(href("/sign-in", { signedOut: 1 }), 303);
  });

  app.get("/", async (c) => html(c, await overviewPage(hub, frame(c))));
  app.get("/customers", async (c) => html(c, await customersPage(hub, frame(c), c.req.query())));
  app.get("/customers/:id", async (c) => html(c, await customerPage(hub, frame(c), c.req.param("id"), c.req.query())));
  app.get("/invoices", async (c) => html(c, await invoicesPage(hub, frame(c), c.req.query())));
  app.get("/invoices/export", async (c) => {
    const { period, format } = parseQuery(exportSchema, c.req.query());
    const body = await hub.invoices.export({ period, format });
    const type = format === "csv" ? "text/csv; charset=utf-8" : "application/json; charset=utf-8";
    return c.body(body, 200, { "content-type": type, "content-disposition": `attachment; filename="invoices-${period}.${format}"` });
  });
  app.get("/invoices/:id", async (c) => html(c, await invoicePage(hub, frame(c), c.req.param("id"))));
  app.get("/outbox", async (c) => html(c, await outboxPage(hub, frame(c), c.req.query())));

  const requireWrite = (c: DashboardContext) => {
    if (c.get("session")!.access !== "write") {
      throw new BillingError("FORBIDDEN", "You signed in with a read key, which can look but not act; sign in with a write key to replay outbox rows.");
    }
  };
  app.get("/outbox/replay", async (c) => {
    requireWrite(c);
    return html(c, await replayConfirmPage(hub, frame(c), parseQuery(replayTargetSchema, c.req.query())));
  });
  app.post("/outbox/replay", async (c) => {
    requireWrite(c);
    const { csrf: _token, ...fields } = c.get("form");
    const target = parseQuery(replayTargetSchema, fields, "form");
    const problem = replayProblem(await hub.outbox.replay(target));
    if (problem !== undefined) throw new BillingError("VALIDATION_FAILED", problem, { field: "transactionId" });
    return c.redirect(href("/outbox", { transactionId: target.transactionId, provider: target.provider, replayed: 1 }), 303);
  });

  app.get("/outbox/replay-dead", async (c) => {
    requireWrite(c);
    return html(c, await replayDeadConfirmPage(hub, frame(c), parseQuery(replayDeadSchema, c.req.query()).provider));
  });
  app.post("/outbox/replay-dead", async (c) => {
    requireWrite(c);
    const { csrf: _token, ...fields } = c.get("form");
    const { provider } = parseQuery(replayDeadSchema, fields, "form");
    const result = await hub.outbox.replay({ dead: true, provider });
    return c.redirect(href("/outbox", { status: "pending", provider, replayed: result.replayed, heldBack: result.heldBack }), 303);
  });

  app.get("/webhooks", async (c) => html(c, await webhooksPage(hub, frame(c), c.req.query())));

  app.all("*", (c) => {
    throw new BillingError("NOT_FOUND", `The dashboard has no page ${c.req.path}`);
  });
  return app;
}
