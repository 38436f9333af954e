import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { Hono } from "hono";
import { setupServer } from "msw/node";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import type { Hub } from "../../src/hub.ts";
import { createApp } from "../../src/server/app.ts";
import { startCatalogSync } from "../../src/server/catalog-sync.ts";
import { startServer } from "../../src/server/serve.ts";
import { toNodeHandler } from "../../src/webhooks/index.ts";
import { createFlowgladStandIn } from "../support/msw/flowglad.ts";
import { createStripeStandIn } from "../support/msw/stripe.ts";
import { stripeEventBody } from "../support/stripe-events.ts";
import { openTestStore, type TestStore } from "../support/store.ts";
import { FLOWGLAD_BASE, webhookHub } from "../support/webhook-hub.ts";
import { answer, signedStripeRequest, stripePrice, stripeRequest } from "../support/webhooks.ts";

const NOW = new Date("2026-03-10T12:00:00.000Z");
const stripe = createStripeStandIn({ now: () => NOW });
const flowglad = createFlowgladStandIn({ baseUrl: FLOWGLAD_BASE, now: () => NOW });
const msw = setupServer(...stripe.handlers, ...flowglad.handlers);
let store: TestStore;
let hub: Hub;

beforeAll(async () => {
  // Requests to the local servers these tests start are real; everything else must be a stand-in.
  msw.listen({ onUnhandledRequest: (request, print) => (new URL(request.url).hostname === "127.0.0.1" ? undefined : print.error()) });
  store = await openTestStore();
  hub = await webhookHub(store, () => NOW, { config: { server: { apiKeys: [{ key: "k".repeat(32), access: "write" }], bodyLimitBytes: 64 * 1024 } } });
});
afterEach(() => {
  msw.resetHandlers();
  stripe.reset();
  flowglad.reset();
});
afterAll(async () => {
  msw.close();
  await hub.close();
  await store.cleanup();
});

const priceEvent = (eventId: string, priceId: string) => stripeRequest("price.created", stripePrice({ id: priceId, lookup_key: `${priceId}_key` }), { id: eventId, created: NOW, url: "http://billhub.test/webhooks/stripe" });

describe("the service's webhook routes", () => {
  it("serves POST /webhooks/stripe without an API key (the signature is the credential)", async () => {
    const response = await createApp(hub).fetch(priceEvent("evt_route_1", "price_route_1"));
    expect(await answer(response)).toEqual({ status: 200, body: { received: true, eventId: "evt_route_1", outcome: "applied" } });
  });

  it("answers a bad signature with 400 and the error body every route uses", async () => {
    const body = stripeEventBody("price.created", stripePrice({ id: "price_route_bad" }), { id: "evt_route_bad" });
    const response = await createApp(hub).fetch(signedStripeRequest(body, { signedAt: NOW, secret: "whsec_not_ours" }));
    expect(await answer(response)).toMatchObject({ status: 400, body: { error: { code: "WEBHOOK_SIGNATURE_INVALID", message: expect.any(String) } } });
  });

  it("documents both routes in /openapi.json as public", async () => {
    const document = (await (await createApp(hub).fetch(new Request("http://billhub.test/openapi.json"))).json()) as { paths: Record<string, { post?: { security?: unknown[]; tags: string[] } }> };
    for (const path of ["/webhooks/stripe", "/webhooks/flowglad"]) expect(document.paths[path]?.post).toMatchObject({ security: [], tags: ["webhooks"] });
  });

  it("refuses a body over the size limit with 413 before verifying it", async () => {
    const response = await createApp(hub).fetch(new Request("http://billhub.test/webhooks/stripe", { method: "POST", headers: { "stripe-signature": "t=1,v1=00" }, body: "x".repeat(70 * 1024) }));
    expect(response.status).toBe(413);
  });
});

describe("mounting the handlers in another framework", () => {
  it("works as the README shows for Hono: (c) => hub.webhooks.stripe(c.req.raw)", async () => {
    const app = new Hono();
    app.post("/webhooks/stripe", (c) => hub.webhooks.stripe(c.req.raw));
    expect(await answer(await app.fetch(priceEvent("evt_hono_1", "price_hono_1")))).toMatchObject({ status: 200, body: { outcome: "applied" } });
  });
});

describe("toNodeHandler (Express and node:http)", () => {
  let server: Server;
  let url: string;
  beforeAll(async () => {
    const stripeHandler = toNodeHandler(hub.webhooks.stripe);
    server = createServer(async (req: IncomingMessage & { body?: unknown; rawBody?: Buffer }, res: ServerResponse) => {
      // Stand in for what Express's body parsers leave on the request.
      if (req.url === "/parsed") req.body = JSON.parse(await text(req));
      if (req.url === "/raw") req.body = Buffer.from(await text(req), "utf8");
      if (req.url === "/verify") {
        // express.json({ verify: (req, _res, buf) => { req.rawBody = buf } })
        const raw = await text(req);
        req.rawBody = Buffer.from(raw, "utf8");
        req.body = JSON.parse(raw);
      }
      // Express 4's express.json() leaves `{}` in req.body on a request it does not parse, the stream unread.
      if (req.url === "/untouched") req.body = {};
      await stripeHandler(req, res);
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  async function post(path: string, request: Request) {
    const response = await fetch(`${url}${path}`, { method: "POST", headers: request.headers, body: await request.text() });
    return answer(response);
  }

  it("reads the raw body from the request stream", async () => {
    expect(await post("/stream", priceEvent("evt_node_1", "price_node_1"))).toMatchObject({ status: 200, body: { outcome: "applied" } });
  });

  it("takes a raw body a raw body parser left as a Buffer", async () => {
    expect(await post("/raw", priceEvent("evt_node_2", "price_node_2"))).toMatchObject({ status: 200, body: { outcome: "applied" } });
  });

  it("takes the raw bytes a JSON parser kept in req.rawBody (express.json's verify hook), as the REST API's toNodeListener does", async () => {
    expect(await post("/verify", priceEvent("evt_node_4", "price_node_4"))).toMatchObject({ status: 200, body: { outcome: "applied" } });
  });

  it("reads the stream when a parser left an empty object in req.body without reading it", async () => {
    expect(await post("/untouched", priceEvent("evt_node_5", "price_node_5"))).toMatchObject({ status: 200, body: { outcome: "applied" } });
  });

  it("refuses a body a JSON parser already parsed with 400, saying how to mount the route", async () => {
    expect(await post("/parsed", priceEvent("evt_node_3", "price_node_3"))).toEqual({
      status: 400,
      body: { error: { code: "WEBHOOK_PAYLOAD_INVALID", field: "rawBody", message: expect.stringContaining("Mount the webhook route before any JSON body parser") } },
    });
  });
});

describe("the Flowglad catalog sync inside billhub serve", () => {
  it("pulls the pricing model when the server starts and stops with it", async () => {
    const syncing = await webhookHub(store, () => NOW, { config: { flowglad: { secretKey: "sk_test_flowglad", baseUrl: FLOWGLAD_BASE, catalogSyncIntervalMs: 3_600_000 } } });
    const lines: string[] = [];
    const running = await startServer(syncing, { port: 0, host: "127.0.0.1", log: (line) => lines.push(line) });
    await vi.waitFor(() => expect(lines).toEqual(["billhub: Flowglad catalog synced: 2 added, 0 changed, 0 removed"]), { timeout: 30_000 });
    await running.close();
    expect(flowglad.calls("pricing_model")).toHaveLength(1);
    expect((await hub.priceHistory({ provider: "flowglad", lookupKey: "pro_monthly" })).length).toBeGreaterThan(0);
  });

  it("runs again on every interval and reports a failed run without stopping", async () => {
    vi.useFakeTimers({ toFake: ["setInterval", "clearInterval"] });
    const lines: string[] = [];
    flowglad.inject("pricing_model", { kind: "server_error" });
    const sync = startCatalogSync(hub, 60_000, (line) => lines.push(line));
    await vi.waitFor(() => expect(lines).toEqual([expect.stringContaining("Flowglad catalog sync failed (retrying in 60000 ms)")]), { timeout: 30_000 });
    vi.advanceTimersByTime(60_000);
    await vi.waitFor(() => expect(flowglad.calls("pricing_model")).toHaveLength(2), { timeout: 30_000 });
    await sync.stop();
    vi.useRealTimers();
  });
});

async function text(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}
