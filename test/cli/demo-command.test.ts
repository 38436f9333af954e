import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { billhub, billhubInProcess } from "../support/cli.ts";
import { openPgStore } from "../../src/store/pg-driver.ts";
import { openPgliteStore } from "../../src/store/pglite-driver.ts";
import type { Store } from "../../src/store/types.ts";
import { DATABASE_URL, migratedDataDir, uniqueSchema } from "../support/store.ts";

/** The table row of one customer's check of one feature, split into cells. */
function row(stdout: string, customer: string, feature: string): string[] {
  const line = stdout.split("\n").find((l) => l.startsWith(`${customer} `) && l.split(/\s{2,}/)[2] === feature);
  if (line === undefined) throw new Error(`no row for ${customer} ${feature} in:\n${stdout}`);
  return line.split(/\s{2,}/);
}

// Every step starts billhub processes (about 3 s of CPU each): time for a machine twice as busy.
describe("billhub demo (as a process)", { timeout: 120_000 }, () => {
  it("seeds a throw-away store, even with a database configured, and prints the checks as an aligned table", async () => {
    // An unreachable database proves the default demo never touches the configured store.
    const result = await billhub(["demo"], { DATABASE_URL: "postgres://nobody@127.0.0.1:1/none", BILLHUB_PROVIDER: "manual" });
    expect(result.stderr).toMatch(/^Seeded 3 customers and 13 usage events \(1 refund\) for \d{4}-\d{2} into a throw-away in-memory store\.\n$/);
    expect(result.code).toBe(0);
    const lines = result.stdout.split("\n");
    const header = lines.find((line) => line.startsWith("Customer"))!;
    expect(header.split(/\s{2,}/)).toEqual(["Customer", "Plan", "Feature", "Asks", "Allowed", "Used", "Limit", "Remaining", "Resets"]);
    const rule = lines[lines.indexOf(header) + 1]!;
    expect(rule).toMatch(/^-+( +-+)+$/);
    // Right-aligned numbers end where their column's rule ends.
    const globexApi = lines.find((line) => line.startsWith("globex") && line.includes(" api "))!;
    expect(globexApi.indexOf("30000") + "30000".length).toBe(rule.split(/(?<=-) /).slice(0, 7).join(" ").length);

    expect(row(result.stdout, "globex", "api")).toEqual(["globex", "pro (starter)", "api", "25", "yes", "22000", "30000", "8000", expect.stringMatching(/^\d{4}-\d{2}-01$/)]);
    expect(row(result.stdout, "initech", "api").slice(3, 8)).toEqual(["25", "no (LIMIT_EXCEEDED)", "990", "1000", "10"]);
    expect(row(result.stdout, "initech", "seats").slice(3)).toEqual(["5", "no (LIMIT_EXCEEDED)", "3", "3"]);
    expect(row(result.stdout, "acme", "tokens").slice(5, 8)).toEqual(["3000000", "unlimited", "unlimited"]);
    expect(row(result.stdout, "acme", "models").slice(5)).toEqual(["2", "unlimited", "unlimited", expect.any(String)]);
    // A flag has no amount, usage or window: its blank cells fall away when the row is split.
    expect(row(result.stdout, "globex", "sso").slice(3)).toEqual(["no (FEATURE_NOT_GRANTED)", "off"]);

    // Invoice previews of the month so far, the refund taken off Globex's API calls.
    const invoices = result.stdout.slice(result.stdout.indexOf("Invoice previews"));
    const line = (customer: string, label: string) => invoices.split("\n").find((l) => l.startsWith(`${customer} `) && l.includes(label))?.split(/\s{2,}/);
    expect(invoices).toMatch(/Customer\s+Plan\s+Line\s+Quantity\s+Billable\s+Amount \(USD\)/);
    expect(line("globex", "API calls beyond")?.slice(3)).toEqual(["22000", "12000", "12.00"]);
    expect(line("globex", "Storage")?.slice(3)).toEqual(["250.5", "250.5", "0.06"]);
    expect(line("globex", "Subtotal")?.slice(2)).toEqual(["Subtotal", "75.06"]);
    expect(line("acme", "Subtotal")?.slice(2)).toEqual(["Subtotal", "1142.00"]);
    expect(line("initech", "Subtotal")?.slice(2)).toEqual(["Subtotal", "0.00"]);
  });

  it("explains itself with --help and refuses an unknown option", async () => {
    const help = await billhubInProcess(["demo", "--help"], {});
    expect(help).toMatchObject({ code: 0, stdout: expect.stringContaining("Usage: billhub demo [--persist]") });
    expect((await billhubInProcess(["--help"], {})).stdout).toMatch(/demo\s+seed a sample catalog/);
    const unknown = await billhubInProcess(["demo", "--fast"], {});
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain("VALIDATION_FAILED: Unknown option '--fast'");
  });
});

// Every step starts billhub processes (about 3 s of CPU each): time for a machine twice as busy.
describe("billhub demo --persist", { timeout: 120_000 }, () => {
  let root: string;
  let dir: string;
  let schema: string;
  let env: Record<string, string>;
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), "billhub-demo-"));
    // A data dir that already holds another (migrated) schema: the demo's own schema is new in it.
    dir = await migratedDataDir(join(root, "data"));
    schema = uniqueSchema("demo");
    env = DATABASE_URL ? { DATABASE_URL, BILLHUB_SCHEMA: schema } : { BILLHUB_DATA_DIR: dir, BILLHUB_SCHEMA: schema };
  });
  afterAll(async () => {
    if (DATABASE_URL) {
      const store = await openPgStore({ connectionString: DATABASE_URL, schema });
      await store.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      await store.close();
    }
    await rm(root, { recursive: true, force: true });
  });

  async function openSeeded(): Promise<Store> {
    return DATABASE_URL ? openPgStore({ connectionString: DATABASE_URL, schema }) : openPgliteStore({ dataDir: dir, schema });
  }

  it("seeds the configured store, and seeding it again records nothing twice", async () => {
    const first = await billhub(["demo", "--persist"], env);
    expect(first.code).toBe(0);
    expect(first.stderr).toContain(DATABASE_URL ? "into PostgreSQL." : `into the embedded store in ${dir}.`);
    const second = await billhub(["demo", "--persist"], env);
    expect(second.code).toBe(0);
    expect(second.stdout).toBe(first.stdout);

    const store = await openSeeded();
    try {
      const customers = await store.query("SELECT id, plan_key, plan_variant FROM customers ORDER BY id");
      expect(customers.rows).toEqual([
        { id: "acme", plan_key: "enterprise", plan_variant: null },
        { id: "globex", plan_key: "pro", plan_variant: "starter" },
        { id: "initech", plan_key: "free", plan_variant: null },
      ]);
      const events = await store.query<{ kind: string; n: number }>("SELECT kind, count(*)::int AS n FROM usage_events GROUP BY kind ORDER BY kind");
      expect(events.rows).toEqual([
        { kind: "refund", n: 1 },
        { kind: "usage", n: 12 },
      ]);
      expect((await store.query("SELECT count(*)::int AS n FROM usage_outbox")).rows).toEqual([{ n: 0 }]);
    } finally {
      await store.close();
    }
  }, 90_000);
});
