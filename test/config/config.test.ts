import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { configFromEnv, loadConfig, parseConfig } from "../../src/config/load.ts";
import { thrownBillingError } from "../support/errors.ts";

describe("config defaults", () => {
  it("runs on the embedded store in ./.billhub with the manual provider on port 8787", () => {
    const config = parseConfig({});
    expect(config.store).toMatchObject({ dataDir: "./.billhub", schema: "billhub", migrate: true });
    expect(config.store.url).toBeUndefined();
    expect(config.provider).toEqual({ default: "manual", routes: {}, mirror: [] });
    expect(config.server.port).toBe(8787);
    expect(config.cache.ttlMs).toBe(5000);
  });
});

describe("config from the environment", () => {
  it("maps the documented variables onto options", () => {
    const config = loadConfig({
      env: {
        DATABASE_URL: "postgres://127.0.0.1:5432/test",
        BILLHUB_SCHEMA: "billing",
        BILLHUB_PROVIDER: "stripe",
        BILLHUB_MIRROR: "flowglad",
        STRIPE_SECRET_KEY: "sk_test_123",
        STRIPE_WEBHOOK_SECRET: "whsec_abc",
        STRIPE_API_BASE: "http://127.0.0.1:12111",
        FLOWGLAD_SECRET_KEY: "sk_fg",
        FLOWGLAD_BASE_URL: "http://127.0.0.1:9999",
        PORT: "9000",
        BILLHUB_API_KEYS: "aaaaaaaaaaaaaaaa:read,bbbbbbbbbbbbbbbb",
        PATH: "/usr/bin",
      },
    });
    expect(config.store.url).toBe("postgres://127.0.0.1:5432/test");
    expect(config.store.schema).toBe("billing");
    expect(config.provider).toEqual({ default: "stripe", routes: {}, mirror: ["flowglad"] });
    expect(config.stripe).toEqual({ secretKey: "sk_test_123", webhookSecret: "whsec_abc", apiBase: "http://127.0.0.1:12111", timeoutMs: 30_000, webhookTolerance: 300, mode: "meter_events", meters: {} });
    expect(config.flowglad).toEqual({ secretKey: "sk_fg", baseUrl: "http://127.0.0.1:9999", meters: {}, billingCacheTtlMs: 60_000, catalogSyncIntervalMs: 0 });
    expect(config.server.port).toBe(9000);
    expect(config.server.apiKeys).toEqual([
      { key: "aaaaaaaaaaaaaaaa", access: "read" },
      { key: "bbbbbbbbbbbbbbbb", access: "write" },
    ]);
  });

  it("refuses an unknown BILLHUB_ variable, naming it and the valid ones", () => {
    const error = thrownBillingError(() => configFromEnv({ BILLHUB_PROVDER: "stripe" }));
    expect(error.code).toBe("CONFIG_INVALID");
    expect(error.field).toBe("BILLHUB_PROVDER");
    expect(error.message).toContain("BILLHUB_PROVIDER");
  });

  it("refuses a PORT that is not a whole number, naming server.port and PORT", () => {
    const error = thrownBillingError(() => loadConfig({ env: { PORT: "80a" } }));
    expect(error.field).toBe("server.port");
    expect(error.message).toContain("server.port (PORT)");
  });

  it("refuses an unknown provider id, naming provider.default", () => {
    const error = thrownBillingError(() => loadConfig({ env: { BILLHUB_PROVIDER: "paddle" } }));
    expect(error.field).toBe("provider.default");
    expect(error.message).toContain("BILLHUB_PROVIDER");
  });
});

describe("config validation", () => {
  it("names an unknown option", () => {
    const error = thrownBillingError(() => parseConfig({ store: { dataDir: "x", shema: "billing" } } as never));
    expect(error.code).toBe("CONFIG_INVALID");
    expect(error.field).toBe("store.shema");
    expect(error.message).toContain("shema");
  });

  it("requires Stripe credentials when usage goes to Stripe, naming the option and its variable", () => {
    const error = thrownBillingError(() => parseConfig({ provider: { default: "stripe" } }));
    expect(error.field).toBe("stripe.secretKey");
    expect(error.message).toContain("STRIPE_SECRET_KEY");
  });

  it("requires Flowglad credentials when a route or a mirror names Flowglad", () => {
    expect(thrownBillingError(() => parseConfig({ provider: { routes: { cus_1: "flowglad" } } })).field).toBe("flowglad.secretKey");
    expect(thrownBillingError(() => parseConfig({ provider: { mirror: ["flowglad"] } })).field).toBe("flowglad.secretKey");
  });

  it("refuses a mirror that is also the default provider", () => {
    expect(thrownBillingError(() => parseConfig({ provider: { default: "manual", mirror: ["manual"] } })).field).toBe("provider.mirror");
  });

  it("refuses a DATABASE_URL that is not a PostgreSQL URL", () => {
    const error = thrownBillingError(() => loadConfig({ env: { DATABASE_URL: "mysql://localhost/db" } }));
    expect(error.field).toBe("store.url");
    expect(error.message).toContain("DATABASE_URL");
  });

  it("refuses API keys shorter than 16 characters", () => {
    expect(thrownBillingError(() => parseConfig({ server: { apiKeys: [{ key: "short" }] } })).field).toBe("server.apiKeys.0.key");
  });

  it("lists every problem in details, not only the first", () => {
    const error = thrownBillingError(() => parseConfig({ server: { port: -1, bodyLimitBytes: 0 } }));
    expect((error.details?.issues as unknown[]).length).toBe(2);
    expect(error.message).toContain("1 more problem");
  });
});

describe("config files", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "billhub-config-"));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it("layers file < environment < code", async () => {
    const file = join(dir, "billhub.json");
    await writeFile(file, JSON.stringify({ server: { port: 1111, host: "0.0.0.0" }, cache: { ttlMs: 10 } }));
    const config = loadConfig({ env: { BILLHUB_CONFIG: file, PORT: "2222" }, overrides: { cache: { ttlMs: 0 } } });
    expect(config.server).toMatchObject({ port: 2222, host: "0.0.0.0" });
    expect(config.cache.ttlMs).toBe(0);
  });

  it("names a file that is not JSON", async () => {
    const file = join(dir, "broken.json");
    await writeFile(file, "{ port: 1 ");
    const error = thrownBillingError(() => loadConfig({ file }));
    expect(error.message).toContain(file);
    expect(error.message).toContain("not valid JSON");
  });

  it("names a file that does not exist", () => {
    expect(thrownBillingError(() => loadConfig({ file: join(dir, "missing.json") })).message).toContain("missing.json");
  });
});
