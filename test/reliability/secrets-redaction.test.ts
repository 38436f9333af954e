import { spawn } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { inspect } from "node:util";
import { setupServer } from "msw/node";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { loadConfig, parseConfig } from "../../src/config/load.ts";
import { createHub, type Hub } from "../../src/hub.ts";
import { createApp } from "../../src/server/app.ts";
import { billhub, CLI } from "../support/cli.ts";
import { createFlowgladStandIn } from "../support/msw/flowglad.ts";
import { createStripeStandIn } from "../support/msw/stripe.ts";
import { startStripeStandIn, type StripeServer } from "../support/stand-ins/stripe-server.ts";
import { stripeEventBody, stripeSignature } from "../support/stripe-events.ts";
import { openTestStore, type TestStore } from "../support/store.ts";
import { SAMPLE_CATALOG } from "../support/api.ts";
import { flowgladRequest, signedStripeRequest, stripePrice } from "../support/webhooks.ts";

const NOW = new Date("2026-03-10T12:00:00.000Z");

/** Distinctive values for every secret billhub holds, so any appearance of one can be found. */
const SECRETS = {
  writeKey: "write-SECRET-4c1e9a7b3d5f8e2a",
  readKey: "read-SECRET-6b0d2f4a8c1e3b5d",
  stripeKey: "sk_test_SECRETstripe7a9c1e3b5d",
  stripeWebhook: "whsec_SECRETstripehook2f4a6c8e",
  flowgladKey: "sk_test_SECRETflowglad8e0b2d4f",
  flowgladWebhook: `whsec_${Buffer.from("SECRET-flowglad-signing-key-9d1f").toString("base64")}`,
};
/** The secrets and the parts of them long enough to identify one (a leak of half a key is a leak). */
const NEEDLES = Object.values(SECRETS).flatMap((secret) => [secret, secret.slice(0, 16), secret.slice(-12)]);

function expectNoSecret(where: string, text: string): void {
  for (const needle of NEEDLES) expect(text.includes(needle), `${where} holds ${needle}`).toBe(false);
}

const checked = { places: 0 };
const expectClean = (where: string, text: string) => {
  checked.places += 1;
  expectNoSecret(where, text);
};

afterAll(() => console.info(`secrets: ${Object.keys(SECRETS).length} secrets, ${checked.places} outputs searched, none found`));

describe("in-process: logs, answers, outbox errors and /metrics", () => {
  // Both stand-ins expect other keys, so every provider call is refused with 401.
  const stripe = createStripeStandIn({ now: () => NOW, secretKey: "sk_test_the_right_one" });
  const flowglad = createFlowgladStandIn({ baseUrl: "https://flowglad.test", now: () => NOW, secretKey: "sk_test_the_right_one" });
  const server = setupServer(...stripe.handlers, ...flowglad.handlers);
  const logged: string[] = [];
  let store: TestStore;
  let hub: Hub;
  let app: ReturnType<typeof createApp>;

  beforeAll(async () => {
    server.listen({ onUnhandledRequest: "error" });
    for (const method of ["log", "info", "warn", "error", "debug"] as const) {
      vi.spyOn(console, method).mockImplementation((...args: unknown[]) => void logged.push(args.map((a) => (typeof a === "string" ? a : inspect(a, { depth: 8 }))).join(" ")));
    }
    store = await openTestStore();
    hub = await createHub(
      {
        catalog: SAMPLE_CATALOG,
        provider: { default: "stripe", routes: { fg_customer: "flowglad" } },
        server: { apiKeys: [{ key: SECRETS.writeKey, access: "write" }, { key: SECRETS.readKey, access: "read" }] },
        stripe: { secretKey: SECRETS.stripeKey, webhookSecret: SECRETS.stripeWebhook, meters: { api_calls: { eventName: "api_call" } }, invoiceItems: { enabled: true } },
        flowglad: { secretKey: SECRETS.flowgladKey, baseUrl: "https://flowglad.test", webhookSecret: SECRETS.flowgladWebhook, meters: { api_calls: { usageMeterSlug: "api_calls" }, llm_tokens: { usageMeterSlug: "llm_tokens" }, storage_gb_hours: { usageMeterSlug: "storage_gb_hours" } } },
      },
      { store, now: () => NOW },
    );
    app = createApp(hub);
  });
  afterAll(async () => {
    vi.restoreAllMocks();
    server.close();
    await hub.close();
    await store.cleanup();
    expectClean("console output", logged.join("\n"));
  });

  async function call(method: string, path: string, body?: unknown, key: string | null = SECRETS.writeKey): Promise<{ status: number; text: string }> {
    const response = await app.fetch(
      new Request(`http://billhub.test${path}`, {
        method,
        headers: { "content-type": "application/json", ...(key === null ? {} : { authorization: `Bearer ${key}` }) },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      }),
    );
    const text = await response.text();
    expectClean(`${method} ${path}`, text);
    return { status: response.status, text };
  }

  it("keeps provider keys out of the outbox errors a provider's 401 leaves, and out of the forwarder's report", async () => {
    await hub.upsertCustomer({ id: "st_customer", providerIds: { stripe: "cus_st" } });
    await hub.upsertCustomer({ id: "fg_customer", providerIds: { flowglad: "fg_customer" } });
    for (const customerId of ["st_customer", "fg_customer"]) {
      expect((await call("POST", "/v1/usage", { customerId, meter: "api_calls", quantity: "1", transactionId: `tx_${customerId}` })).status).toBe(201);
    }
    const report = await hub.outbox.drain({ log: (line) => logged.push(line) });
    expectClean("drain report", inspect(report, { depth: 8 }));
    const rows = await call("GET", "/v1/outbox/rows?status=dead", undefined, SECRETS.readKey);
    expect(rows.text).toContain("PROVIDER_AUTH_FAILED");
    expect(JSON.parse(rows.text).rows).toHaveLength(2);
    expectClean("outbox rows in the store", JSON.stringify((await store.query("SELECT * FROM usage_outbox")).rows));
  });

  it("keeps webhook secrets out of the answers to forged, stale and unsigned deliveries", async () => {
    const body = stripeEventBody("price.created", stripePrice(), { id: "evt_secret", created: NOW.getTime() / 1000 });
    for (const request of [
      signedStripeRequest(body, { signedAt: NOW, secret: "whsec_forged" }),
      signedStripeRequest(body, { signedAt: new Date(NOW.getTime() - 3_600_000), secret: SECRETS.stripeWebhook }),
      signedStripeRequest(body, { signedAt: NOW, signature: stripeSignature(body, SECRETS.stripeWebhook, NOW.getTime() / 1000).slice(0, -4) }),
      flowgladRequest({ id: "sub_1", object: "subscription" }, { id: "msg_secret", sentAt: NOW, secret: `whsec_${Buffer.from("forged").toString("base64")}` }),
      new Request("http://billhub.test/webhooks/flowglad", { method: "POST", body: "{}" }),
    ]) {
      const response = await app.fetch(request);
      expect(response.status).toBe(400);
      expectClean(`webhook answer ${request.url}`, await response.text());
    }
  });

  it("keeps API keys out of 401 and 403 answers, and every secret out of /metrics, /openapi.json and the webhook log", async () => {
    expect((await call("GET", "/v1/plans", undefined, `${SECRETS.writeKey}x`)).status).toBe(401);
    expect((await call("POST", "/v1/usage", { customerId: "st_customer" }, SECRETS.readKey)).status).toBe(403);
    expect((await call("GET", "/metrics", undefined, null)).status).toBe(200);
    expect((await call("GET", "/openapi.json", undefined, null)).status).toBe(200);
    expect((await call("GET", "/v1/webhook-events", undefined, SECRETS.readKey)).status).toBe(200);
  });
});

describe("configuration errors", () => {
  const failure = (fn: () => unknown): string => {
    try {
      fn();
    } catch (error) {
      return `${inspect(error, { depth: 8 })} ${JSON.stringify(error)}`;
    }
    throw new Error("expected a configuration error");
  };

  it("never quote a secret, whatever is wrong around it", () => {
    const messages = [
      failure(() => parseConfig({ stripe: { secretKey: SECRETS.stripeKey, webhookSecret: SECRETS.stripeWebhook, mode: "fast" } })),
      failure(() => parseConfig({ stripe: { secretKey: SECRETS.stripeKey, secretkey: SECRETS.stripeKey } })),
      failure(() => parseConfig({ flowglad: { secretKey: SECRETS.flowgladKey, webhookSecret: 42 } })),
      failure(() => parseConfig({ server: { apiKeys: [{ key: SECRETS.writeKey }, { key: SECRETS.writeKey }] } })),
      failure(() => parseConfig({ server: { apiKeys: [{ key: SECRETS.writeKey, access: "admin" }] } })),
      failure(() => parseConfig({ server: { apiKeys: [{ key: SECRETS.writeKey.slice(0, 15) }] } })),
      failure(() => loadConfig({ env: { BILLHUB_API_KEYS: `${SECRETS.writeKey}:admin,${SECRETS.readKey}:read` } })),
      failure(() => loadConfig({ env: { STRIPE_SECRET_KEY: SECRETS.stripeKey, STRIPE_WEBHOOK_TOLERANCE: SECRETS.stripeWebhook } })),
    ];
    for (const [i, message] of messages.entries()) expectClean(`config error ${i}`, message);
  });

  it("never quote the config file's text when it is not valid JSON", async () => {
    const dir = await mkdtemp(join(tmpdir(), "billhub-secrets-"));
    try {
      for (const [i, text] of [`{"stripe": {"secretKey": ${SECRETS.stripeKey}}}`, `{"stripe": {"secretKey": "${SECRETS.stripeKey}" "webhookSecret": "${SECRETS.stripeWebhook}"}}`].entries()) {
        const file = join(dir, `config-${i}.json`);
        await writeFile(file, text);
        const message = failure(() => loadConfig({ file }));
        expect(message).toContain("is not valid JSON");
        expectClean(`config file error ${i}`, message);
        const cli = await billhub(["serve", "--config", file], {});
        expect(cli.code).toBe(1);
        expectClean(`billhub serve output for config file ${i}`, cli.stdout + cli.stderr);
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe("a billhub serve process", () => {
  let stripe: StripeServer;
  let dir: string;
  beforeAll(async () => {
    stripe = await startStripeStandIn({ secretKey: "sk_test_the_right_one" });
    dir = await mkdtemp(join(tmpdir(), "billhub-secrets-serve-"));
  });
  afterAll(async () => {
    await stripe.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("prints no secret from start to shutdown, through refused keys, bad signatures and a provider's 401", async () => {
    const configFile = join(dir, "config.json");
    await writeFile(configFile, JSON.stringify({ provider: { default: "stripe" }, stripe: { meters: { api_calls: { eventName: "api_call" } }, invoiceItems: { enabled: true } }, forwarder: { pollIntervalMs: 50 } }));
    const env = {
      ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(BILLHUB_|STRIPE_|FLOWGLAD_|DATABASE_URL$|PORT$)/.test(k))),
      BILLHUB_CONFIG: configFile,
      BILLHUB_DATA_DIR: "memory://",
      PORT: "0",
      BILLHUB_API_KEYS: `${SECRETS.writeKey}:write,${SECRETS.readKey}:read`,
      STRIPE_SECRET_KEY: SECRETS.stripeKey,
      STRIPE_WEBHOOK_SECRET: SECRETS.stripeWebhook,
      STRIPE_API_BASE: stripe.url,
      FLOWGLAD_SECRET_KEY: SECRETS.flowgladKey,
      FLOWGLAD_WEBHOOK_SECRET: SECRETS.flowgladWebhook,
    };
    const child = spawn(process.execPath, [...CLI, "serve"], { env, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.once("exit", resolve));
    try {
      await vi.waitFor(() => expect(output).toMatch(/billhub listening on http:\/\/\S+/), { timeout: 120_000, interval: 100 });
      const url = /billhub listening on (http:\/\/\S+)/.exec(output)![1]!;
      const send = async (path: string, init: RequestInit = {}) => {
        const text = await (await fetch(`${url}${path}`, init)).text();
        expectClean(`${init.method ?? "GET"} ${path} from billhub serve`, text);
        return text;
      };
      const write = { "content-type": "application/json", authorization: `Bearer ${SECRETS.writeKey}` };
      await send("/v1/customers/cli_customer", { method: "PUT", headers: write, body: JSON.stringify({ providerIds: { stripe: "cus_cli" } }) });
      await send("/v1/usage", { method: "POST", headers: write, body: JSON.stringify({ customerId: "cli_customer", meter: "api_calls", quantity: "1", transactionId: "tx_cli" }) });
      await send("/v1/plans", { headers: { authorization: "Bearer not-the-key-at-all" } });
      await send("/webhooks/stripe", { method: "POST", headers: { "stripe-signature": "t=1,v1=00" }, body: "{}" });
      await send("/webhooks/flowglad", { method: "POST", body: "{}" });
      await vi.waitFor(async () => expect(await send("/v1/outbox/rows?status=dead", { headers: write })).toContain("PROVIDER_AUTH_FAILED"), { timeout: 60_000, interval: 200 });
      await send("/metrics");
    } finally {
      child.kill("SIGTERM");
      await exited;
    }
    expect(output).toContain("SIGTERM received, shutting down");
    expectClean("billhub serve stdout and stderr", output);
  }, 240_000);
});
