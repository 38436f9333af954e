import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHub } from "../../src/hub.ts";
import { alertEventId } from "../../src/hub/alerts/fire-alerts.ts";
import { alertsCatalogInput, webhookSecret } from "../support/alerts.ts";
import { billhubInProcess } from "../support/cli.ts";
import { openCliStore, type CliStore } from "../support/cli-store.ts";
import { DATABASE_URL } from "../support/store.ts";

const MARCH = new Date("2026-03-01T00:00:00Z");
const DAY = new Date("2026-03-18T00:00:00Z");

describe(`billhub alerts (${DATABASE_URL ? "PostgreSQL" : "embedded store"})`, { timeout: 120_000 }, () => {
  let cli: CliStore;
  let env: Record<string, string>;
  let dir: string;
  const alerts = (...args: string[]) => billhubInProcess(["alerts", ...args], env);
  const api80 = alertEventId("acme", "api_80", MARCH);
  const daily30 = alertEventId("acme", "daily_30", DAY);

  beforeAll(async () => {
    cli = await openCliStore("alerts");
    // Nothing listens on port 9: every delivery fails, and with one attempt allowed it is dead.
    const config = { catalog: alertsCatalogInput, alerts: { endpoints: { ops: { url: "http://127.0.0.1:9/ops", secret: webhookSecret() } }, delivery: { maxAttempts: 1 } } };
    dir = await mkdtemp(join(tmpdir(), "billhub-alerts-config-"));
    const configFile = join(dir, "billhub.json");
    await writeFile(configFile, JSON.stringify(config));
    env = { ...cli.env, BILLHUB_CONFIG: configFile };
    await cli.onStore(async (store) => {
      const hub = await createHub(config, { store, now: () => new Date("2026-03-18T10:30:00Z") });
      try {
        await hub.customers.upsert({ id: "acme", periodStart: "2026-03-01T00:00:00Z", periodEnd: "2026-04-01T00:00:00Z" });
        await hub.customers.upsert({ id: "quiet" });
        // 85 of the free plan's 100 calls: api_80 (the month) and daily_30 (the day) fire.
        await hub.record({ customerId: "acme", meter: "api_calls", quantity: 85, transactionId: "acme-1" });
        expect(await hub.alerts.deliver()).toMatchObject({ claimed: 2, dead: 2 });
      } finally {
        await hub.close();
      }
    });
  });
  afterAll(async () => {
    await cli.cleanup();
    await rm(dir, { recursive: true, force: true });
  });

  it("lists fired alerts newest first with each endpoint's delivery, and says how to replay the dead ones", async () => {
    const listed = await alerts("list");
    expect(listed.code).toBe(0);
    const lines = listed.stdout.split("\n");
    expect(lines[0]).toMatch(/^event\s+alert\s+kind\s+customer\s+feature\s+threshold\s+value\s+window\s+fired\s+deliveries$/);
    expect(listed.stdout).toMatch(new RegExp(`${api80}\\s+api_80\\s+usage\\s+acme\\s+api\\s+80\\s+85\\s+2026-03-01T00:00:00.000Z\\s+2026-03-18T10:30:00.000Z\\s+ops:dead\\(1\\)`));
    expect(listed.stdout).toMatch(new RegExp(`${daily30}\\s+daily_30\\s+usage\\s+acme\\s+api_daily\\s+30\\s+85\\s+2026-03-18T00:00:00.000Z`));
    expect(listed.stdout).toContain(`${api80} → ops is dead: Gave up after 1 attempts: could not reach the endpoint`);
    expect(listed.stdout).toContain("Replay with billhub alerts replay <event> (or --dead)");
  });

  it("filters by customer, alert, kind and delivery status, a page at a time", async () => {
    const first = await alerts("list", "--customer", "acme", "--status", "dead", "--kind", "usage", "--limit", "1");
    expect(first.code).toBe(0);
    const cursor = /More: billhub alerts list --cursor (\S+)/.exec(first.stdout)?.[1];
    expect(cursor).toBeDefined();
    const second = await alerts("list", "--customer", "acme", "--status", "dead", "--kind", "usage", "--limit", "1", "--cursor", cursor!);
    expect([first.stdout, second.stdout].map((out) => (out.includes(api80) ? "api_80" : out.includes(daily30) ? "daily_30" : "?")).sort()).toEqual(["api_80", "daily_30"]);
    expect(second.stdout).not.toContain("More:");
    expect((await alerts("list", "--alert", "api_80")).stdout).not.toContain(daily30);
    expect((await alerts("list", "--customer", "quiet")).stdout).toBe("No alert has fired that matches.\n");
    expect((await alerts("list", "--kind", "spend")).stdout).toBe("No alert has fired that matches.\n");
  });

  it("replays one alert's dead deliveries, then every dead one, and says when there is nothing to replay", async () => {
    const one = await alerts("replay", api80);
    expect(one).toMatchObject({ code: 0, stdout: "Replayed 1 dead delivery; the alert sender sends it next.\n" });
    expect((await alerts("list", "--status", "pending")).stdout).toMatch(new RegExp(`${api80}.*ops:pending\\(0\\)`));
    expect((await alerts("replay", api80)).stdout).toBe(`Replayed 0 dead deliveries; the alert sender sends them next.\n${api80} → ops is pending: nothing to replay.\n`);
    expect((await alerts("replay", "--dead", "--endpoint", "ops")).stdout).toBe("Replayed 1 dead delivery; the alert sender sends it next.\n");
    expect((await alerts("list", "--status", "dead")).stdout).toBe("No alert has fired that matches.\n");
  });

  it("refuses bad input with the error code and the usage", async () => {
    const neither = await alerts("replay");
    expect(neither.code).toBe(1);
    expect(neither.stderr).toContain("billhub alerts replay takes an event id or --dead, not neither");
    expect(neither.stderr).toContain("Usage: billhub alerts");
    expect((await alerts("replay", api80, "--dead")).stderr).toContain("not both");
    expect((await alerts("replay", "evt_nope")).stderr).toContain("VALIDATION_FAILED: target.eventId: must be an alert event id (evt_ and 32 hex digits)");
    expect((await alerts("replay", `evt_${"0".repeat(32)}`)).stderr).toContain("NOT_FOUND: No alert delivery of event");
    expect((await alerts("list", "--status", "lost")).stderr).toContain('--status must be one of pending, delivered, dead, got "lost"');
    expect((await alerts("list", "--kind", "usage_x")).stderr).toContain("--kind must be one of usage, spend");
    expect((await alerts("list", "--dead")).stderr).toContain("--dead does not belong to billhub alerts list");
    expect((await alerts("list", "--limit", "0")).stderr).toContain("--limit");
    expect((await alerts("silence")).stderr).toContain('Unknown alerts action "silence"');
    expect((await alerts("list", "extra")).stderr).toContain('Unexpected argument "extra"');
  });

  it("replays through a running service with --url, and refuses --url for list", async () => {
    const unreachable = await alerts("replay", "--dead", "--url", "http://127.0.0.1:9", "--api-key", "bh_test_key");
    expect(unreachable.code).toBe(1);
    expect(unreachable.stderr).toContain("Cannot reach the billhub service at http://127.0.0.1:9");
    expect((await alerts("list", "--url", "http://127.0.0.1:9", "--api-key", "bh_test_key")).stderr).toContain("has no HTTP equivalent");
  });
});
