import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadMigrations, migrate, pendingMigrations, type Migration } from "../../src/store/migrate.ts";
import { openPgliteStore } from "../../src/store/pglite-driver.ts";
import { openPgStore } from "../../src/store/pg-driver.ts";
import { DATABASE_URL, describeOnPostgres, driverName, openTestStore, uniqueSchema, type TestStore } from "../support/store.ts";

function fake(id: string, sql: string): Migration {
  return { id, sql, checksum: `sum-${sql.length}-${sql}` };
}

let store: TestStore;
beforeAll(async () => {
  store = await openTestStore({ migrate: false });
});
afterAll(() => store.cleanup());

describe(`migrations (${driverName})`, () => {
  it("applies every shipped migration once, in order, and records each", async () => {
    const shipped = await loadMigrations();
    expect(shipped.length).toBeGreaterThan(0);
    expect(await pendingMigrations(store)).toEqual(shipped.map((m) => m.id));

    const first = await migrate(store);
    expect(first.applied).toEqual(shipped.map((m) => m.id));

    const recorded = await store.query<{ id: string }>("SELECT id FROM billhub_migrations ORDER BY id");
    expect(recorded.rows.map((r) => r.id)).toEqual(shipped.map((m) => m.id));
    expect(await pendingMigrations(store)).toEqual([]);
  });

  it("applies nothing the second time", async () => {
    const again = await migrate(store);
    expect(again.applied).toEqual([]);
    expect(again.alreadyApplied).toBeGreaterThan(0);
  });

  it("refuses an applied migration whose file has changed", async () => {
    const [first] = await loadMigrations();
    await expect(migrate(store, [{ ...first!, checksum: "edited" }])).rejects.toMatchObject({
      code: "MIGRATION_FAILED",
      message: expect.stringContaining(first!.id),
    });
  });

  it("rolls back a failing run completely: no table and no record from any migration in it", async () => {
    const list = [fake("9001_good", "CREATE TABLE good_one (id int)"), fake("9002_bad", "CREATE TABLE broken (id nonsense_type)")];
    await expect(migrate(store, list)).rejects.toMatchObject({ code: "MIGRATION_FAILED", message: expect.stringContaining("9002_bad") });
    const tables = await store.query("SELECT 1 FROM information_schema.tables WHERE table_schema = $1 AND table_name = 'good_one'", [store.schema]);
    expect(tables.rows).toHaveLength(0);
    const recorded = await store.query("SELECT 1 FROM billhub_migrations WHERE id LIKE '900%'");
    expect(recorded.rows).toHaveLength(0);
  });

  it("runs multi-statement migration files", async () => {
    const report = await migrate(store, [fake("9101_multi", "CREATE TABLE m1 (id int); CREATE TABLE m2 (id int); INSERT INTO m1 VALUES (1);")]);
    expect(report.applied).toEqual(["9101_multi"]);
    expect((await store.query("SELECT id FROM m1")).rows).toEqual([{ id: 1 }]);
  });
});

describe("embedded store on disk", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "billhub-pglite-"));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it("keeps applied migrations and data across a restart", async () => {
    const first = await openPgliteStore({ dataDir: dir, schema: "billhub" });
    await migrate(first);
    await first.query("INSERT INTO customers (id) VALUES ('cus_restart')");
    await first.close();

    const second = await openPgliteStore({ dataDir: dir, schema: "billhub" });
    expect((await migrate(second)).applied).toEqual([]);
    expect((await second.query("SELECT id FROM customers")).rows).toEqual([{ id: "cus_restart" }]);
    await second.close();
  });
});

describeOnPostgres("migrations from several processes at once", () => {
  it("lets one migrate while the others wait, and records each migration once", async () => {
    const schema = uniqueSchema("mig");
    const stores = await Promise.all(
      Array.from({ length: 4 }, () => openPgStore({ connectionString: DATABASE_URL!, schema, maxConnections: 2 })),
    );
    try {
      const reports = await Promise.all(stores.map((s) => migrate(s)));
      const shipped = await loadMigrations();
      const applied = reports.flatMap((r) => r.applied);
      expect(applied.sort()).toEqual(shipped.map((m) => m.id).sort());
      const recorded = await stores[0]!.query<{ n: number }>("SELECT count(*) AS n FROM billhub_migrations");
      expect(recorded.rows[0]!.n).toBe(shipped.length);
    } finally {
      await stores[0]!.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      await Promise.all(stores.map((s) => s.close()));
    }
  });
});
