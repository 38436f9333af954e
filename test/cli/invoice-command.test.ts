import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHub } from "../../src/hub.ts";
import { billhub as runBillhub, billhubInProcess } from "../support/cli.ts";
import { customer, INVOICING_CATALOG, use } from "../support/invoicing.ts";
import { migratedDataDir } from "../support/store.ts";

let dir: string;
let env: Record<string, string>;

/** Runs the real CLI as a process on the test's store. */
const billhub = (args: string[]) => runBillhub(args, env);
/** Runs the CLI's `main` in this process (help texts, argument checks). */
const billhubHere = (args: string[]) => billhubInProcess(args, env);

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "billhub-invoice-"));
  const catalogFile = join(dir, "catalog.json");
  await writeFile(catalogFile, JSON.stringify(INVOICING_CATALOG));
  env = { BILLHUB_DATA_DIR: await migratedDataDir(join(dir, "data")), BILLHUB_CATALOG: catalogFile };
  // October 2026 is over by the wall clock the CLI runs on.
  const hub = await createHub({ store: { dataDir: env.BILLHUB_DATA_DIR! }, catalog: catalogFile });
  await customer(hub, "acme", { plan: "pro" });
  await customer(hub, "beta, inc", { plan: "pro" });
  await use(hub, "acme", "api_calls", 3000, "2026-10-03T10:00:00Z");
  await use(hub, "beta, inc", "payments", 20_000, "2026-10-05T00:00:00Z");
  await use(hub, "beta, inc", "payments", 10_000, "2026-10-06T00:00:00Z");
  await hub.close();
});
afterAll(() => rm(dir, { recursive: true, force: true }));

// Every step starts billhub processes (about 3 s of CPU each): time for a machine twice as busy.
describe("billhub invoice (as a process)", { timeout: 120_000 }, () => {
  it("previews a customer's month as a readable table, or as JSON", async () => {
    const table = await billhub(["invoice", "preview", "--customer", "acme", "--period", "2026-10"]);
    expect(table).toMatchObject({ code: 0, stderr: "" });
    expect(table.stdout).toBe(
      [
        "Invoice preview for acme (plan pro)",
        "Period 2026-10-01T00:00:00.000Z → 2026-11-01T00:00:00.000Z",
        "",
        "#  Charge              Quantity  Amount  Details",
        "1  platform                   1   49.00  Platform fee",
        "2  api                     3000   10.00  API calls: 2000 × 0.005 USD (1000 included)",
        "3  payments                   0    0.00  Payment fees: 1.2 % of 0.00 USD + 0.10 USD × 0 events",
        "4  storage                    0    0.00  Storage: 0 units, graduated tiers",
        "5  minimum_commitment         1   41.00  Minimum commitment: true-up of 41.00 USD to reach 100.00 USD",
        "",
        "                         Subtotal  100.00 USD",
        "",
      ].join("\n"),
    );
    const json = await billhub(["invoice", "preview", "--customer", "beta, inc", "--period", "2026-10", "--json"]);
    expect(JSON.parse(json.stdout)).toMatchObject({ customerId: "beta, inc", subtotal: 10_000, lineItems: expect.arrayContaining([expect.objectContaining({ chargeKey: "payments", amount: 130 })]) });
  });

  it("runs the month with progress on stderr, and passes everyone by when run again", async () => {
    const first = await billhub(["invoice", "run", "--period", "2026-10", "--batch-size", "1"]);
    expect(first.code).toBe(0);
    expect(first.stdout.trim()).toBe(
      "Invoiced 2026-10: 2 invoices written (numbers 1–2); 0 already invoiced; 0 passed by (period not ended 0, not a customer yet 0, no period ending in the month 0, covered by other invoices 0); 0 failed.",
    );
    expect(first.stderr.trim().split("\n")).toEqual(["Invoicing 2026-10: 0/2 (0%)", "Invoicing 2026-10: 1/2 (50%)", "Invoicing 2026-10: 2/2 (100%)"]);
    const second = await billhub(["invoice", "run", "--period", "2026-10"]);
    expect(second.stdout).toContain("0 invoices written; 2 already invoiced;");
  });

  it("exports the month as CSV to a file and as JSON to standard output", async () => {
    const out = join(dir, "2026-10.csv");
    const csv = await billhub(["invoice", "export", "--period", "2026-10", "--format", "csv", "--out", out]);
    expect(csv).toMatchObject({ code: 0, stdout: "", stderr: `Exported the invoices of 2026-10 as csv to ${out}.\n` });
    const rows = (await readFile(out, "utf8")).split("\r\n");
    expect(rows[0]).toBe("invoice_number,invoice_id,customer_id,plan,period_from,period_to,currency,line_number,charge_key,meter,description,quantity,amount_minor,amount");
    expect(rows).toHaveLength(1 + 10 + 1);
    expect(rows[2]).toMatch(/^1,inv_[0-9a-f]{24},acme,pro,2026-10-01T00:00:00.000Z,2026-11-01T00:00:00.000Z,USD,2,api,api_calls,API calls: 2000 × 0.005 USD \(1000 included\),3000,1000,10.00$/);
    expect(rows[6]).toMatch(/^2,inv_[0-9a-f]{24},"beta, inc",pro,/);
    const json = await billhub(["invoice", "export", "--period", "2026-10", "--format", "json"]);
    expect((JSON.parse(json.stdout) as Array<{ number: number }>).map((invoice) => invoice.number)).toEqual([1, 2]);
  });

  it("explains each subcommand with --help", async () => {
    const [run, preview, exported, invoice, top] = await Promise.all([
      billhubHere(["invoice", "run", "--help"]),
      billhubHere(["invoice", "preview", "--help"]),
      billhubHere(["invoice", "export", "--help"]),
      billhubHere(["invoice", "--help"]),
      billhubHere(["--help"]),
    ]);
    expect(run.stdout).toContain("Usage: billhub invoice run --period <YYYY-MM | YYYY | YYYY-Www>");
    expect(preview.stdout).toContain("Usage: billhub invoice preview --customer <id>");
    expect(exported.stdout).toContain("Usage: billhub invoice export --period <YYYY-MM | YYYY | YYYY-Www> --format <csv|json>");
    expect(invoice.stdout).toContain("Usage: billhub invoice <run|preview|export>");
    expect(top.stdout).toContain("invoice run | preview | export");
  });

  it("refuses missing, malformed and unknown options before opening the store, exiting 1", async () => {
    const [missing, bad, noWeek53, unknown, stray, sub] = await Promise.all([
      billhubHere(["invoice", "run"]),
      billhubHere(["invoice", "run", "--period", "2026-13"]),
      billhubHere(["invoice", "run", "--period", "2027-W53"]),
      billhubHere(["invoice", "export", "--period", "2026-10", "--format", "xml"]),
      billhubHere(["invoice", "preview", "--customer", "acme", "--colour"]),
      billhubHere(["invoice", "void"]),
    ]);
    for (const result of [missing, bad, noWeek53, unknown, stray, sub]) expect(result.code).toBe(1);
    expect(missing.stderr).toContain("VALIDATION_FAILED: --period is required");
    expect(bad.stderr).toContain('VALIDATION_FAILED: period must be a run period: a month "2026-10", a year "2026" or an ISO week "2026-W45"; got "2026-13"');
    expect(noWeek53.stderr).toContain('VALIDATION_FAILED: period names week 53 of 2027, which has 52 ISO weeks; got "2027-W53"');
    expect(unknown.stderr).toContain("VALIDATION_FAILED: --format must be csv or json");
    expect(stray.stderr).toContain("VALIDATION_FAILED: Unknown option '--colour'");
    expect(sub.stderr).toContain('Unknown invoice subcommand "void"');
  });

  it("reports an unknown customer with its code", async () => {
    const nobody = await billhub(["invoice", "preview", "--customer", "nobody"]);
    expect(nobody).toMatchObject({ code: 1 });
    expect(nobody.stderr).toContain("CUSTOMER_NOT_FOUND");
  });
});
