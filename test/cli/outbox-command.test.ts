import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHub } from "../../src/hub.ts";
import { billhub, billhubInProcess, billhubProcess } from "../support/cli.ts";
import { startStripeStandIn, type StripeServer } from "../support/stand-ins/stripe-server.ts";
import { migratedDataDir } from "../support/store.ts";
import { waitFor } from "../support/wait.ts";

const CATALOG = join(import.meta.dirname, "../../fixtures/catalog.json");

// Each step starts a process that opens the embedded store (seconds each on a busy machine).
describe("billhub outbox and billhub reconcile (as processes, embedded store)", { timeout: 180_000 }, () => {
  let dir: string;
  let stripe: StripeServer;
  let env: Record<string, string>;
  const now = new Date();
  const period = now.toISOString().slice(0, 7);

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "billhub-outbox-"));
    stripe = await startStripeStandIn({ port: 0, secretKey: "sk_test_cli_outbox" });
    stripe.state.putMeter({ eventName: "api_call" });
    const configFile = join(dir, "billhub.json");
    await writeFile(configFile, JSON.stringify({ catalog: CATALOG, provider: { default: "stripe" }, stripe: { meters: { api_calls: { eventName: "api_call" } }, invoiceItems: { enabled: true } }, forwarder: { quickRetries: 0 } }));
    env = { BILLHUB_CONFIG: configFile, BILLHUB_DATA_DIR: await migratedDataDir(join(dir, "data")), STRIPE_SECRET_KEY: "sk_test_cli_outbox", STRIPE_API_BASE: stripe.url };
    // Usage recorded by the application (this process), forwarded by the CLI (other processes).
    const hub = await createHub({ catalog: CATALOG, provider: { default: "stripe" }, stripe: { secretKey: "sk_test_cli_outbox", apiBase: stripe.url, meters: { api_calls: { eventName: "api_call" } }, invoiceItems: { enabled: true } }, store: { dataDir: join(dir, "data") } });
    await hub.upsertCustomer({ id: "acme", providerIds: { stripe: "cus_acme" } });
    await hub.upsertCustomer({ id: "unlinked" });
    await hub.recordBatch([
      { customerId: "acme", meter: "api_calls", quantity: 40, transactionId: "cli_1", timestamp: now },
      { customerId: "acme", meter: "api_calls", quantity: 2, transactionId: "cli_2", timestamp: now },
      { customerId: "unlinked", meter: "api_calls", quantity: 5, transactionId: "cli_orphan", timestamp: now },
    ]);
    await hub.close();
  });
  afterAll(async () => {
    await stripe.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("shows the status, drains the outbox to Stripe over HTTP, lists the dead row, replays it and reconciles", async () => {
    const before = await billhub(["outbox", "status"], env);
    expect(before.code).toBe(0);
    expect(before.stdout).toMatch(/^provider\s+pending\s+due\s+in flight\s+delivered\s+dead\s+oldest pending\nstripe\s+3\s+3\s+0\s+0\s+0\s+\d+s\n$/);

    const drained = await billhub(["outbox", "drain"], env);
    expect(drained).toMatchObject({ code: 0 });
    expect(drained.stdout).toContain("Forwarded 3 rows: 2 delivered, 0 already at the provider, 0 to retry later, 1 dead.");
    expect(drained.stderr).toContain("Forwarding: 3/3 (100%)");
    expect(stripe.state.events().map((e) => [e.identifier, e.payload.value])).toEqual([
      ["cli_1", "40"],
      ["cli_2", "2"],
    ]);

    const dead = await billhub(["outbox", "list", "--status", "dead"], env);
    expect(dead.stdout).toMatch(/cli_orphan\s+stripe\s+primary\s+dead\s+1\s+PROVIDER_CUSTOMER_MISSING/);

    const reconciled = await billhub(["reconcile", "--provider", "stripe", "--period", period], env);
    expect(reconciled.code).toBe(2);
    expect(reconciled.stdout).toContain("customer × meter totals compared.");
    expect(reconciled.stdout).toMatch(/unlinked\s+-\s+api_calls\s+5\s+\?\s+\?\s+billhub has no stripe customer id for this customer; 1 dead in the outbox/);
    expect(reconciled.stdout).toContain("1 difference.");

    const replayed = await billhub(["outbox", "replay", "cli_orphan"], env);
    expect(replayed.stdout).toContain("Replayed 1 dead row; the forwarder sends it next.");
    const after = await billhub(["outbox", "status"], env);
    expect(after.stdout).toMatch(/stripe\s+1\s+1\s+0\s+2\s+0/);
  });

  it("keeps forwarding with --follow until SIGTERM, then finishes and reports", async () => {
    const hub = await createHub({ catalog: CATALOG, store: { dataDir: join(dir, "data") }, provider: { default: "stripe" }, stripe: { secretKey: "sk_test_cli_outbox", apiBase: stripe.url, meters: { api_calls: { eventName: "api_call" } }, invoiceItems: { enabled: true } } });
    await hub.record({ customerId: "acme", meter: "api_calls", quantity: 8, transactionId: "cli_follow", timestamp: now });
    await hub.close();
    const follow = billhubProcess(["outbox", "drain", "--follow"], env);
    await waitFor("the following drain to forward both rows", () => follow.output().includes("Forwarded 2 rows"));
    follow.child.kill("SIGTERM");
    expect(await follow.exited).toBe(0);
    expect(follow.output()).toContain("SIGTERM received: finishing the current batch");
    expect(follow.output()).toContain("Forwarded 2 rows: 1 delivered, 0 already at the provider, 0 to retry later, 1 dead.");
    expect(stripe.state.events().map((e) => e.identifier)).toContain("cli_follow");
  });

  it("explains itself with --help and refuses bad arguments naming them", async () => {
    const help = await billhubInProcess(["outbox", "--help"], {});
    expect(help).toMatchObject({ code: 0 });
    expect(help.stdout).toContain("billhub outbox drain [--follow] [--batch-size <n>]");
    expect((await billhubInProcess(["reconcile", "--help"], {})).stdout).toContain("Exit status: 0 when every total matches, 2 when there are differences");
    const unknownAction = await billhubInProcess(["outbox", "flush"], env);
    expect(unknownAction.code).toBe(1);
    expect(unknownAction.stderr).toContain('Unknown outbox action "flush"');
    const badFlag = await billhubInProcess(["outbox", "drain", "--batch-size", "many"], env);
    expect(badFlag.stderr).toContain('VALIDATION_FAILED: --batch-size must be a whole number above 0, got "many"');
    const both = await billhubInProcess(["outbox", "replay", "cli_1", "--dead"], env);
    expect(both.stderr).toContain("billhub outbox replay takes a transaction id or --dead, not both");
    const noPeriod = await billhubInProcess(["reconcile", "--provider", "stripe"], env);
    expect(noPeriod.stderr).toContain("VALIDATION_FAILED: --period is required");
    const top = await billhubInProcess(["--help"], {});
    expect(top.stdout).toMatch(/outbox\s+status \| drain/);
    expect(top.stdout).toMatch(/reconcile\s+compare the ledger's usage totals/);
  });
});
