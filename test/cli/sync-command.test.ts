import { mkdtemp, rm } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { getResponse } from "msw";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { billhub, billhubInProcess } from "../support/cli.ts";
import { openPgliteStore } from "../../src/store/pglite-driver.ts";
import { createFlowgladStandIn, type FlowgladStandIn } from "../support/msw/flowglad.ts";
import { migratedDataDir } from "../support/store.ts";

/** The Flowglad stand-in served over real HTTP, so another process can reach it. */
async function serveStandIn(): Promise<{ flowglad: FlowgladStandIn; server: Server; baseUrl: string }> {
  let baseUrl = "";
  let flowglad: FlowgladStandIn | undefined;
  const server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const headers = new Headers(Object.entries(req.headers).flatMap(([name, value]) => (typeof value === "string" ? [[name, value] as [string, string]] : [])));
    const request = new Request(`${baseUrl}${req.url}`, { method: req.method, headers, ...(chunks.length > 0 ? { body: Buffer.concat(chunks) } : {}) });
    const response = (await getResponse(flowglad!.handlers, request)) ?? new Response("no handler", { status: 404 });
    res.writeHead(response.status, Object.fromEntries(response.headers));
    res.end(Buffer.from(await response.arrayBuffer()));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  flowglad = createFlowgladStandIn({ baseUrl });
  return { flowglad, server, baseUrl };
}

// Every step starts billhub processes (about 3 s of CPU each): time for a machine twice as busy.
describe("billhub sync flowglad (as a process)", { timeout: 120_000 }, () => {
  let root: string;
  let dir: string;
  let standIn: Awaited<ReturnType<typeof serveStandIn>>;
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), "billhub-sync-"));
    dir = await migratedDataDir(join(root, "data"));
    standIn = await serveStandIn();
  });
  afterAll(async () => {
    await new Promise<void>((resolve) => standIn.server.close(() => resolve()));
    await rm(root, { recursive: true, force: true });
  });

  it("pulls the pricing model into the embedded store's price history, and reports nothing new the second time", async () => {
    const env = { BILLHUB_DATA_DIR: dir, FLOWGLAD_SECRET_KEY: "sk_test_cli", FLOWGLAD_BASE_URL: standIn.baseUrl };
    const first = await billhub(["sync", "flowglad"], env);
    expect(first).toMatchObject({ code: 0, stderr: "" });
    expect(first.stdout.trim()).toBe("Synced Flowglad pricing model pm_default: 2 prices; 2 added (pro_monthly, api_calls_usage), 0 changed, 0 removed, 0 unchanged.");
    const second = await billhub(["sync", "flowglad"], env);
    expect(second.stdout.trim()).toBe("Synced Flowglad pricing model pm_default: 2 prices; 0 added, 0 changed, 0 removed, 2 unchanged.");
    expect(standIn.flowglad.calls("pricing_model").map((call) => call.authorization)).toEqual(["sk_test_cli", "sk_test_cli"]);

    const store = await openPgliteStore({ dataDir: dir, schema: "billhub" });
    const { rows } = await store.query("SELECT lookup_key, resolved ->> 'unitAmount' AS unit_amount FROM provider_price_versions WHERE provider = 'flowglad' ORDER BY lookup_key");
    await store.close();
    expect(rows).toEqual([
      { lookup_key: "api_calls_usage", unit_amount: "0.01" },
      { lookup_key: "pro_monthly", unit_amount: "2900" },
    ]);
  });

  it("exits 1 naming the missing setting when Flowglad is not configured, or Flowglad's refusal", async () => {
    const missing = await billhubInProcess(["sync", "flowglad"], { BILLHUB_DATA_DIR: dir });
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain("CONFIG_INVALID: Invalid configuration: syncing Flowglad's catalog needs the flowglad section; set FLOWGLAD_SECRET_KEY");
    standIn.flowglad.inject("pricing_model", { kind: "response", status: 401, body: { error: "Invalid API key", code: "UNAUTHORIZED" } });
    const refused = await billhub(["sync", "flowglad"], { BILLHUB_DATA_DIR: dir, FLOWGLAD_SECRET_KEY: "sk_wrong", FLOWGLAD_BASE_URL: standIn.baseUrl });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain("PROVIDER_AUTH_FAILED");
  });

  it("explains itself with --help and refuses a provider it cannot sync", async () => {
    const help = await billhubInProcess(["sync", "--help"], {});
    expect(help.code).toBe(0);
    expect(help.stdout).toContain("Usage: billhub sync flowglad");
    const stripe = await billhubInProcess(["sync", "stripe"], {});
    expect(stripe.code).toBe(1);
    expect(stripe.stderr).toContain('Cannot sync "stripe": the only catalog billhub pulls is flowglad\'s.');
    expect((await billhubInProcess(["--help"], {})).stdout).toContain("sync flowglad");
  });
});
