import { setupServer } from "msw/node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApp } from "../../src/server/app.ts";
import { createHub, type Hub } from "../../src/hub.ts";
import { DASHBOARD_NOW, dashboardConfig, dashboardHub, READ_KEY, seedDashboard, WRITE_KEY, type Seeded } from "../support/dashboard.ts";
import { createStripeStandIn } from "../support/msw/stripe.ts";
import { driverName, openTestStore, type TestStore } from "../support/store.ts";

const stripe = createStripeStandIn({ now: () => DASHBOARD_NOW });
const server = setupServer(...stripe.handlers);

let store: TestStore;
let hub: Hub;
let app: ReturnType<typeof createApp>;
let seeded: Seeded;

beforeAll(async () => {
  server.listen({ onUnhandledRequest: "error" });
  store = await openTestStore();
  hub = await dashboardHub(store);
  app = createApp(hub);
  seeded = await seedDashboard(hub);
});
afterAll(async () => {
  await hub.close();
  server.close();
  await store.cleanup();
});

interface Answer {
  status: number;
  headers: Headers;
  body: string;
}

/** A browser's worth of state: cookies by name, sent back on every request. */
class Visitor {
  readonly cookies = new Map<string, string>();
  constructor(readonly origin = "http://billhub.test") {}

  async request(path: string, init: { method?: string; form?: Record<string, string>; headers?: Record<string, string> } = {}): Promise<Answer> {
    const headers: Record<string, string> = { ...init.headers };
    if (this.cookies.size > 0) headers.cookie = [...this.cookies].map(([name, value]) => `${name}=${value}`).join("; ");
    if (init.form !== undefined) headers["content-type"] ??= "application/x-www-form-urlencoded";
    const response = await app.fetch(
      new Request(`${this.origin}${path}`, { method: init.method ?? (init.form === undefined ? "GET" : "POST"), headers, ...(init.form === undefined ? {} : { body: new URLSearchParams(init.form).toString() }) }),
    );
    for (const line of response.headers.getSetCookie()) {
      const [pair] = line.split(";");
      const [name, value] = pair!.split("=") as [string, string];
      if (/max-age=0/i.test(line) || value === "") this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
    return { status: response.status, headers: response.headers, body: await response.text() };
  }

  /** The CSRF token of the first form on the page. */
  static token(page: Answer): string {
    const match = /name="csrf" value="([^"]+)"/.exec(page.body);
    if (match === null) throw new Error(`no CSRF token on the page:\n${page.body.slice(0, 500)}`);
    return match[1]!;
  }

  async signIn(key: string): Promise<Answer> {
    const form = await this.request("/dashboard/sign-in");
    return this.request("/dashboard/sign-in", { form: { csrf: Visitor.token(form), key } });
  }
}

async function signedIn(key: string): Promise<Visitor> {
  const visitor = new Visitor();
  expect((await visitor.signIn(key)).status).toBe(303);
  return visitor;
}

async function outboxRow(transactionId: string) {
  const { rows } = await hub.outbox.list({ transactionId });
  return rows[0]!;
}

describe(`the dashboard's sign-in (${driverName})`, () => {
  it("sends a visitor without a session to the sign-in form, remembering the page asked for", async () => {
    const answer = await new Visitor().request("/dashboard/customers?q=acme");
    expect(answer.status).toBe(303);
    expect(answer.headers.get("location")).toBe("/dashboard/sign-in?next=%2Fdashboard%2Fcustomers%3Fq%3Dacme");
  });

  it("signs in with a key into an HttpOnly, SameSite=Strict session cookie of the dashboard's path that expires, and follows the remembered page", async () => {
    const visitor = new Visitor();
    const form = await visitor.request("/dashboard/sign-in?next=%2Fdashboard%2Foutbox");
    const answer = await visitor.request("/dashboard/sign-in", { form: { csrf: Visitor.token(form), key: READ_KEY, next: "/dashboard/outbox" } });
    expect(answer.status).toBe(303);
    expect(answer.headers.get("location")).toBe("/dashboard/outbox");
    const cookie = answer.headers.getSetCookie().find((line) => line.startsWith("billhub_session="))!;
    expect(cookie).toMatch(/; HttpOnly/);
    expect(cookie).toMatch(/; SameSite=Strict/);
    expect(cookie).toMatch(/; Path=\/dashboard/);
    expect(cookie).toMatch(/; Max-Age=28800/);
    expect(cookie).not.toMatch(/Secure/);
    expect((await visitor.request("/dashboard/outbox")).status).toBe(200);
  });

  it("marks the session cookie Secure when the dashboard is reached over https", async () => {
    const visitor = new Visitor("https://billhub.test");
    const form = await visitor.request("/dashboard/sign-in");
    expect(form.headers.getSetCookie()[0]).toMatch(/; Secure/);
    const answer = await visitor.request("/dashboard/sign-in", { form: { csrf: Visitor.token(form), key: WRITE_KEY }, headers: { origin: "https://billhub.test" } });
    expect(answer.headers.getSetCookie().find((line) => line.startsWith("billhub_session="))).toMatch(/; Secure/);
  });

  it("refuses a key that is not configured without repeating it, and does not follow a remembered page off the dashboard", async () => {
    const visitor = new Visitor();
    const form = await visitor.request("/dashboard/sign-in");
    const wrong = "not-a-key-<b>bold</b>";
    const refused = await visitor.request("/dashboard/sign-in", { form: { csrf: Visitor.token(form), key: wrong } });
    expect(refused.status).toBe(403);
    expect(refused.body).toContain("That is not one of this hub&#39;s API keys.");
    expect(refused.body).not.toContain("not-a-key");
    expect(visitor.cookies.has("billhub_session")).toBe(false);
    const again = await visitor.request("/dashboard/sign-in", { form: { csrf: Visitor.token(refused), key: WRITE_KEY, next: "//evil.test/dashboard" } });
    expect(again.headers.get("location")).toBe("/dashboard");
  });

  it("never writes an API key into a page, a header or a URL", async () => {
    for (const key of [READ_KEY, WRITE_KEY]) {
      const visitor = new Visitor();
      const answers = [await visitor.request("/dashboard/sign-in"), await visitor.signIn(key)];
      for (const path of ["", "/customers", "/customers/acme", "/invoices", `/invoices/export?period=${seeded.period}&format=json`, "/outbox?status=dead", "/webhooks"]) {
        answers.push(await visitor.request(`/dashboard${path}`));
      }
      for (const answer of answers) {
        expect(answer.body).not.toContain(key);
        for (const [, value] of answer.headers) expect(value).not.toContain(key);
      }
      expect([...visitor.cookies.values()].join()).not.toContain(key);
    }
  });

  it("signs out: the session cookie is cleared and the same session opens no page again", async () => {
    const visitor = await signedIn(WRITE_KEY);
    const session = visitor.cookies.get("billhub_session")!;
    const page = await visitor.request("/dashboard");
    const out = await visitor.request("/dashboard/sign-out", { form: { csrf: Visitor.token(page) } });
    expect(out.status).toBe(303);
    expect(out.headers.get("location")).toBe("/dashboard/sign-in?signedOut=1");
    expect(visitor.cookies.has("billhub_session")).toBe(false);
    const replayed = new Visitor();
    replayed.cookies.set("billhub_session", session);
    expect((await replayed.request("/dashboard")).status).toBe(303);
  });

  it("refuses a session cookie whose signature or expiry was changed", async () => {
    const visitor = await signedIn(READ_KEY);
    const [version, keyId, expires, nonce, mac] = visitor.cookies.get("billhub_session")!.split(".");
    const forged = new Visitor();
    forged.cookies.set("billhub_session", [version, keyId, String(Number(expires) + 86_400_000), nonce, mac].join("."));
    expect((await forged.request("/dashboard")).status).toBe(303);
  });
});

describe(`the dashboard's actions (${driverName})`, () => {
  it("refuses a form without the session's CSRF token, or sent from another site, and does nothing", async () => {
    const visitor = await signedIn(WRITE_KEY);
    const noToken = await visitor.request("/dashboard/sign-out", { form: {} });
    expect(noToken.status).toBe(403);
    expect(noToken.body).toContain("This form has expired or did not come from the dashboard");
    const otherToken = await visitor.request("/dashboard/sign-out", { form: { csrf: Visitor.token(await (await signedIn(WRITE_KEY)).request("/dashboard")) } });
    expect(otherToken.status).toBe(403);
    const page = await visitor.request("/dashboard");
    const crossSite = await visitor.request("/dashboard/sign-out", { form: { csrf: Visitor.token(page) }, headers: { origin: "https://evil.test" } });
    expect(crossSite.status).toBe(403);
    const fetchedCrossSite = await visitor.request("/dashboard/sign-out", { form: { csrf: Visitor.token(page) }, headers: { "sec-fetch-site": "cross-site" } });
    expect(fetchedCrossSite.status).toBe(403);
    expect((await visitor.request("/dashboard")).status).toBe(200);
    const signInWithoutForm = await new Visitor().request("/dashboard/sign-in", { form: { csrf: "x", key: WRITE_KEY } });
    expect(signInWithoutForm.status).toBe(403);
  });

  it("lets a read key look at the outbox but not replay a dead row, which stays dead", async () => {
    const visitor = await signedIn(READ_KEY);
    const outbox = await visitor.request("/dashboard/outbox?status=dead");
    expect(outbox.body).toContain(`data-transaction-id="${seeded.dead.transactionId}"`);
    expect(outbox.body).toContain("Replaying dead rows needs a sign-in with a write key.");
    expect(outbox.body).not.toContain("/dashboard/outbox/replay");
    const confirm = await visitor.request(`/dashboard/outbox/replay?transactionId=${seeded.dead.transactionId}&provider=stripe`);
    expect(confirm.status).toBe(403);
    const replay = await visitor.request("/dashboard/outbox/replay", { form: { csrf: Visitor.token(outbox), transactionId: seeded.dead.transactionId, provider: "stripe" } });
    expect(replay.status).toBe(403);
    expect(replay.body).toContain("You signed in with a read key");
    expect((await outboxRow(seeded.dead.transactionId)).status).toBe("dead");
  });

  it("replays a dead row with a write key after a confirmation page, and says when a row is not dead", async () => {
    const visitor = await signedIn(WRITE_KEY);
    const confirm = await visitor.request(`/dashboard/outbox/replay?transactionId=${seeded.dead.transactionId}&provider=stripe`);
    expect(confirm.status).toBe(200);
    expect(confirm.body).toContain("Replay this row");
    expect((await outboxRow(seeded.dead.transactionId)).status).toBe("dead");
    const replay = await visitor.request("/dashboard/outbox/replay", { form: { csrf: Visitor.token(confirm), transactionId: seeded.dead.transactionId, provider: "stripe" } });
    expect(replay.status).toBe(303);
    expect(replay.headers.get("location")).toBe(`/dashboard/outbox?transactionId=${seeded.dead.transactionId}&provider=stripe&replayed=1`);
    expect((await outboxRow(seeded.dead.transactionId)).status).toBe("pending");
    const again = await visitor.request("/dashboard/outbox/replay", { form: { csrf: Visitor.token(confirm), transactionId: seeded.dead.transactionId, provider: "stripe" } });
    expect(again.status).toBe(400);
    expect(again.body).toContain("That row is pending, not dead: nothing was replayed.");
  });
});

describe(`the dashboard's pages (${driverName})`, () => {
  it("shows the overview's numbers: today's usage events and customers, the outbox per provider, the last invoice run", async () => {
    const page = (await (await signedIn(READ_KEY)).request("/dashboard")).body;
    expect(page).toMatch(/data-metric="events-today"[^]*?<div class="value"[^>]*>4</);
    expect(page).toMatch(/data-metric="customers-today"[^]*?<div class="value"[^>]*>2</);
    expect(page).toMatch(/data-metric="events-this-hour"[^]*?<div class="value"[^>]*>3</);
    expect(page).toMatch(/data-metric="last-invoice-run"[^]*?<div class="value"[^>]*>2026-02</);
    expect(page).toMatch(/<tr data-provider="stripe">[^]*?data-count="delivered">5</);
    expect(page).toContain('<tr data-x="1773140400" data-y="1">');
  });

  it("lists customers a page at a time and finds them by id, email or name", async () => {
    const visitor = await signedIn(READ_KEY);
    const first = (await visitor.request("/dashboard/customers")).body;
    expect(first.match(/data-customer-id=/g)).toHaveLength(50);
    const next = /href="(\/dashboard\/customers\?after=[^"]+)">Next page/.exec(first)![1]!.replaceAll("&amp;", "&");
    const second = (await visitor.request(next)).body;
    expect(second.match(/data-customer-id=/g)).toHaveLength(seeded.fillers + 2 - 50);
    expect(second).toContain("Last page");
    for (const search of ["ACME", "billing@acme", "Acme Corp"]) {
      const found = (await visitor.request(`/dashboard/customers?q=${encodeURIComponent(search)}`)).body;
      expect(found.match(/data-customer-id="([^"]+)"/g), search).toEqual(['data-customer-id="acme"']);
    }
    expect((await visitor.request("/dashboard/customers?q=100%25")).body).toContain("No customer matches that search.");
  });

  it("shows a customer's plan, usage against each limit with its reset, per-meter usage as a table, the invoice preview and recent events", async () => {
    const page = (await (await signedIn(READ_KEY)).request("/dashboard/customers/acme?window=24h")).body;
    expect(page).toContain('<dd data-field="plan">pro</dd>');
    expect(page).toContain('data-feature="api" data-used="1500" data-limit="100000"');
    expect(page).toContain('aria-label="API calls: 1,500 of 100,000 used"');
    expect(page).toContain("resets 2026-04-01 00:00 UTC");
    expect(page).toMatch(/<div data-meter="api_calls" data-total="1500">[^]*?<tr data-x="1773140400" data-y="1200">[^]*?<tr data-x="1773144000" data-y="300">/);
    expect(page).toMatch(/aria-label="Invoice preview lines" data-subtotal="4942"/);
    expect(page).toContain('data-transaction-id="acme_api_2"');
  });

  it("shows a customer's plan history, each plan with the instant it took effect, oldest first", async () => {
    const page = (await (await signedIn(READ_KEY)).request("/dashboard/customers/acme")).body;
    const history = await hub.planHistory("acme");
    expect(history.at(-1)).toMatchObject({ plan: "pro", source: "assign", effectiveAt: new Date("2026-02-01T00:00:00.000Z") });
    const table = /<table aria-label="Plan history"[^]*?<\/table>/.exec(page)![0];
    expect([...table.matchAll(/<tr data-plan="([^"]+)">/g)].map((match) => match[1])).toEqual(history.map((change) => change.plan));
    expect(table).toContain("2026-02-01 00:00 UTC");
  });

  it("lists invoices, shows one with its lines, and exports a month as CSV and JSON", async () => {
    const visitor = await signedIn(READ_KEY);
    const list = (await visitor.request(`/dashboard/invoices?period=${seeded.period}`)).body;
    const id = /data-invoice-id="([^"]+)"/.exec(list)![1]!;
    const invoice = await hub.getInvoice(id);
    const detail = (await visitor.request(`/dashboard/invoices/${id}`)).body;
    expect(detail).toContain(`data-subtotal="${invoice.subtotal}"`);
    expect(detail.match(/<tr data-charge=/g)).toHaveLength(invoice.lineItems.length);
    const csv = await visitor.request(`/dashboard/invoices/export?period=${seeded.period}&format=csv`);
    expect(csv.headers.get("content-type")).toBe("text/csv; charset=utf-8");
    expect(csv.headers.get("content-disposition")).toBe(`attachment; filename="invoices-${seeded.period}.csv"`);
    expect(csv.body).toBe(await hub.exportInvoices({ period: seeded.period, format: "csv" }));
    const json = await visitor.request(`/dashboard/invoices/export?period=${seeded.period}&format=json`);
    expect(JSON.parse(json.body)).toEqual(JSON.parse(await hub.exportInvoices({ period: seeded.period, format: "json" })));
  });

  it("filters and exports the runs of yearly and weekly plans by their keys (2026, 2026-W45), as the API does", async () => {
    const visitor = await signedIn(READ_KEY);
    for (const period of ["2026", "2026-W45"]) {
      const page = await visitor.request(`/dashboard/invoices?period=${period}`);
      expect(page.status).toBe(200);
      expect(page.body).toContain(`Export ${period}: `);
      const csv = await visitor.request(`/dashboard/invoices/export?period=${period}&format=csv`);
      expect(csv.headers.get("content-disposition")).toBe(`attachment; filename="invoices-${period}.csv"`);
      expect(csv.body).toBe(await hub.exportInvoices({ period, format: "csv" }));
    }
  });

  it("shows the webhook log filtered by outcome and the synced price history", async () => {
    const visitor = await signedIn(READ_KEY);
    const all = (await visitor.request("/dashboard/webhooks?lookupKey=api_calls")).body;
    expect(all).toContain('data-event-id="evt_dashboard_price" data-outcome="applied"');
    expect(all).toContain('data-price-id="price_api_v1"');
    expect((await visitor.request("/dashboard/webhooks?outcome=failed")).body).toContain("No webhook deliveries match.");
  });

  it("answers hostile input with a clear message naming the parameter, and renders what it echoes escaped", async () => {
    const visitor = await signedIn(READ_KEY);
    const script = "<script>alert(1)</script>";
    const search = await visitor.request(`/dashboard/customers?q=${encodeURIComponent(script)}`);
    expect(search.status).toBe(200);
    expect(search.body).not.toContain(script);
    expect(search.body).toContain("&lt;script&gt;alert(1)&lt;/script&gt;");
    const cases: Array<[string, number, string]> = [
      ["/dashboard/invoices?period=2026-13", 400, "query.period"],
      ["/dashboard/invoices?period=2027-W53", 400, "query.period"],
      ["/dashboard/invoices/export?format=csv", 400, "query.period"],
      ["/dashboard/invoices/export?period=2026-02&format=xml", 400, "query.format"],
      ["/dashboard/outbox?status=lost", 400, "query.status"],
      ["/dashboard/customers?q=%00", 400, "query.q"],
      ["/dashboard/customers?sort=id", 400, "query.sort"],
      ["/dashboard/customers/acme?window=forever", 400, "query.window"],
      ["/dashboard/webhooks?limit=1e9", 400, "query.limit"],
      [`/dashboard/customers/${encodeURIComponent(script)}`, 404, "CUSTOMER_NOT_FOUND"],
      [`/dashboard/invoices/${encodeURIComponent(script)}`, 404, "NOT_FOUND"],
      [`/dashboard/${encodeURIComponent(script)}`, 404, "NOT_FOUND"],
    ];
    for (const [path, status, mention] of cases) {
      const answer = await visitor.request(path);
      expect(answer.status, path).toBe(status);
      expect(answer.body, path).toContain(mention);
      expect(answer.body, path).not.toContain("<script>");
    }
    const page = await visitor.request("/dashboard");
    const notForm = await visitor.request("/dashboard/sign-out", { form: { csrf: Visitor.token(page) }, headers: { "content-type": "application/json" } });
    expect(notForm.status).toBe(400);
  });

  it("serves its script and styles, uPlot included, from its own origin under a policy that allows no other", async () => {
    const visitor = new Visitor();
    const uplot = await visitor.request("/dashboard/assets/uplot.js");
    expect(uplot.status).toBe(200);
    expect(uplot.body).toContain("uPlot");
    expect((await visitor.request("/dashboard/assets/dashboard.css")).headers.get("content-type")).toBe("text/css; charset=utf-8");
    expect((await visitor.request("/dashboard/assets/..%2Fsession.ts")).status).toBe(404);
    const page = await visitor.request("/dashboard/sign-in");
    expect(page.headers.get("content-security-policy")).toContain("script-src 'self'");
    expect(page.headers.get("cache-control")).toBe("no-store");
    expect(page.body).not.toMatch(/https?:\/\//);
  });
});

describe(`the dashboard's bulk replay (${driverName})`, () => {
  it("replays every dead row of a provider after a confirmation naming how many, for a write key only", async () => {
    await hub.upsertCustomer({ id: "initech" });
    await hub.record({ customerId: "initech", meter: "api_calls", quantity: 1, transactionId: "initech_api_1" });
    await hub.outbox.drain();
    const dead = async () => (await hub.outbox.status()).providers.find((counts) => counts.provider === "stripe")!.dead;
    const before = await dead();
    expect(before).toBeGreaterThan(0);

    const reader = await signedIn(READ_KEY);
    expect((await reader.request("/dashboard/outbox/replay-dead?provider=stripe")).status).toBe(403);
    const readerPage = await reader.request("/dashboard/outbox?status=dead&provider=stripe");
    expect(readerPage.body).not.toContain("Replay every dead row");
    expect((await reader.request("/dashboard/outbox/replay-dead", { form: { csrf: Visitor.token(readerPage), provider: "stripe" } })).status).toBe(403);
    expect(await dead()).toBe(before);

    const writer = await signedIn(WRITE_KEY);
    const list = await writer.request("/dashboard/outbox?status=dead&provider=stripe");
    expect(list.body).toContain('href="/dashboard/outbox/replay-dead?provider=stripe"');
    const confirm = await writer.request("/dashboard/outbox/replay-dead?provider=stripe");
    expect(confirm.body).toContain(`Replay ${before} dead rows`);
    expect((await writer.request("/dashboard/outbox/replay-dead?provider=paypal")).status).toBe(400);
    const replay = await writer.request("/dashboard/outbox/replay-dead", { form: { csrf: Visitor.token(confirm), provider: "stripe" } });
    expect(replay.status).toBe(303);
    expect(replay.headers.get("location")).toBe(`/dashboard/outbox?status=pending&provider=stripe&replayed=${before}&heldBack=0`);
    expect(await dead()).toBe(0);
    expect((await writer.request(replay.headers.get("location")!)).body).toContain(`${before === 1 ? "1 dead row was" : `${before} dead rows were`} made pending again`);
  });
});

describe(`the dashboard switched off (${driverName})`, () => {
  it("is not served when server.dashboard.enabled is false", async () => {
    const config = dashboardConfig();
    const off = await createHub({ ...config, server: { ...config.server, dashboard: { enabled: false } } }, { store });
    try {
      const answer = await createApp(off).fetch(new Request("http://billhub.test/dashboard/sign-in"));
      expect(answer.status).toBe(404);
      expect(await answer.json()).toMatchObject({ error: { code: "NOT_FOUND" } });
    } finally {
      await off.close();
    }
  });

  it("is not served under a basePath, where its links would point outside the mount", async () => {
    const mounted = createApp(hub, { basePath: "/api/billing" });
    expect((await mounted.fetch(new Request("http://billhub.test/api/billing/dashboard/sign-in"))).status).toBe(404);
    expect((await mounted.fetch(new Request("http://billhub.test/api/billing/healthz"))).status).toBe(200);
  });
});
