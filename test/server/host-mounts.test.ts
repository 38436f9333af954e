import express from "express";
import { Hono } from "hono";
import { serve, type ServerType } from "@hono/node-server";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createClient } from "../../src/client/index.ts";
import type { Hub } from "../../src/hub.ts";
import { createApp, toNodeListener } from "../../src/server.ts";
import { apiHub, WRITE_KEY } from "../support/api.ts";
import { openTestStore, type TestStore } from "../support/store.ts";

// billhub mounted inside the host apps people already run, with those libraries themselves.
let store: TestStore;
let hub: Hub;
const servers: Array<Server | ServerType> = [];

beforeAll(async () => {
  store = await openTestStore();
  ({ hub } = await apiHub(store));
});
afterAll(async () => {
  await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
  await hub.close();
  await store.cleanup();
});

async function listen(app: express.Express): Promise<string> {
  const server = app.listen(0, "127.0.0.1");
  servers.push(server);
  await new Promise((resolve) => server.once("listening", resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

async function recordAndCheck(baseUrl: string, customerId: string) {
  const client = createClient({ baseUrl, apiKey: WRITE_KEY });
  await client.customers.upsert(customerId, { name: "Host Co" });
  await client.customers.assign(customerId, { plan: "pro" });
  const first = await client.usage.record({ customerId, meter: "api_calls", quantity: 1200, transactionId: `${customerId}-1` });
  const again = await client.usage.record({ customerId, meter: "api_calls", quantity: 1200, transactionId: `${customerId}-1` });
  const check = await client.entitlements.check({ customerId, feature: "api" });
  return { first: first.status, again: again.status, used: check.used };
}

describe("billhub inside an Express 4 app", () => {
  it("answers under app.use('/billing', toNodeListener(createApp(hub))), beside the host's own routes", async () => {
    const app = express();
    app.get("/health", (_req, res) => void res.json({ host: true }));
    app.use("/billing", toNodeListener(createApp(hub)));
    const base = await listen(app);
    expect(await recordAndCheck(`${base}/billing`, "express_plain")).toEqual({ first: "created", again: "duplicate", used: 1200 });
    expect(await (await fetch(`${base}/health`)).json()).toEqual({ host: true });
  });

  it("takes the body a host's express.json() kept as rawBody through its verify hook", async () => {
    const app = express();
    app.use(express.json({ verify: (req, _res, buf) => void ((req as unknown as { rawBody: Buffer }).rawBody = buf) }));
    app.use("/billing", toNodeListener(createApp(hub)));
    expect(await recordAndCheck(`${await listen(app)}/billing`, "express_verify")).toEqual({ first: "created", again: "duplicate", used: 1200 });
  });

  it("takes the raw bytes express.raw() left in req.body", async () => {
    const app = express();
    app.use(express.raw({ type: "*/*" }));
    app.use("/billing", toNodeListener(createApp(hub)));
    expect(await recordAndCheck(`${await listen(app)}/billing`, "express_raw")).toEqual({ first: "created", again: "duplicate", used: 1200 });
  });

  it("refuses, at once and by name, a body express.json() parsed away before billhub, recording nothing", async () => {
    const app = express();
    app.use(express.json());
    app.use("/billing", toNodeListener(createApp(hub)));
    const base = await listen(app);
    const answer = await fetch(`${base}/billing/v1/usage`, {
      method: "POST",
      headers: { authorization: `Bearer ${WRITE_KEY}`, "content-type": "application/json" },
      body: JSON.stringify({ customerId: "express_parsed", meter: "api_calls", quantity: 1, transactionId: "parsed-1" }),
      signal: AbortSignal.timeout(10_000),
    });
    expect(answer.status).toBe(500);
    expect(await answer.json()).toMatchObject({ error: { code: "CONFIG_INVALID", message: expect.stringContaining("express.json") } });
    const rows = await store.query<{ n: string }>("SELECT count(*)::text AS n FROM usage_events WHERE transaction_id = 'parsed-1'");
    expect(rows.rows[0]!.n).toBe("0");
    // Reads carry no body: they still answer through the same mount.
    expect((await fetch(`${base}/billing/v1/customers/express_plain`, { headers: { authorization: `Bearer ${WRITE_KEY}` } })).status).toBe(200);
  });
});

describe("the host process", () => {
  it("keeps its own global Request and Response after billhub is mounted and served", async () => {
    const [request, response] = [globalThis.Request, globalThis.Response];
    const app = express();
    app.use("/billing", toNodeListener(createApp(hub)));
    await fetch(`${await listen(app)}/billing/healthz`);
    expect([globalThis.Request, globalThis.Response]).toEqual([request, response]);
  });
});

describe("billhub inside a Hono app", () => {
  it("answers under honoApp.route('/billing', createApp(hub)), served by @hono/node-server", async () => {
    const host = new Hono();
    host.get("/", (c) => c.text("host"));
    host.route("/billing", createApp(hub));
    const server = serve({ fetch: host.fetch, port: 0, hostname: "127.0.0.1", overrideGlobalObjects: false });
    servers.push(server);
    await new Promise((resolve) => server.once("listening", resolve));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    expect(await recordAndCheck(`${base}/billing`, "hono_host")).toEqual({ first: "created", again: "duplicate", used: 1200 });
    expect(await (await fetch(base)).text()).toBe("host");
  });
});
