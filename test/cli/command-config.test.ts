import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SAMPLE_CATALOG } from "../../src/cli/sample-catalog.ts";
import { billhubInProcess } from "../support/cli.ts";
import { openCliStore, type CliStore } from "../support/cli-store.ts";
import { DATABASE_URL } from "../support/store.ts";

describe("the commands that price resolve their catalog as billhub serve does", () => {
  let store: CliStore;
  beforeAll(async () => {
    store = await openCliStore("command_config");
  }, 120_000);
  afterAll(() => store.cleanup());

  it("previews a demo customer's invoice on the sample catalog when none is configured, and says which catalog it used", async () => {
    expect((await billhubInProcess(["demo", "--persist"], store.env)).code).toBe(0);
    const preview = await billhubInProcess(["invoice", "preview", "--customer", "globex", "--json"], store.env);
    expect(preview.code, preview.stderr).toBe(0);
    expect(JSON.parse(preview.stdout)).toMatchObject({ customerId: "globex", plan: "pro", currency: "USD" });
    expect(preview.stderr).toBe(`Catalog: the sample catalog (${SAMPLE_CATALOG}; set BILLHUB_CATALOG or "catalog" in --config for yours)\n`);
  });

  it("refuses an option a command does not take, naming it, before opening anything", async () => {
    for (const args of [["serve", "--prot", "9000"], ["migrate", "--force"], ["sync", "flowglad", "--dry-run"]]) {
      const result = await billhubInProcess(args, store.env);
      expect(result.code, args.join(" ")).toBe(1);
      expect(result.stderr.split("\n")[0], args.join(" ")).toBe(`VALIDATION_FAILED: Unknown option '${args.at(-1) === "9000" ? "--prot" : args.at(-1)}'`);
    }
  });
});

describe("a store that cannot be opened is one line naming the setting to change", () => {
  let root: string;
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), "billhub-bad-store-"));
  });
  afterAll(() => rm(root, { recursive: true, force: true }));

  it("says so for a data directory that cannot be created (a file is in the way)", async () => {
    await writeFile(join(root, "a-file"), "");
    const result = await billhubInProcess(["migrate"], { BILLHUB_DATA_DIR: join(root, "a-file", "data") });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(new RegExp(`^CONFIG_INVALID: Cannot use ${join(root, "a-file", "data")} for the embedded store \\(.+\\); set BILLHUB_DATA_DIR \\(store.dataDir\\) .+\\n$`));
  });

  it.skipIf(DATABASE_URL === undefined)("says so for a database the server does not have", async () => {
    const url = new URL(DATABASE_URL!);
    url.pathname = "/billhub_no_such_database";
    const result = await billhubInProcess(["migrate"], { DATABASE_URL: url.href });
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      'CONFIG_INVALID: PostgreSQL at DATABASE_URL refused the connection: database "billhub_no_such_database" does not exist; create that database, or name an existing one in DATABASE_URL (store.url).\n',
    );
  });
});
