import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { packedProject, type PackedProject } from "../support/packed-project.ts";

const VERSION = (JSON.parse(readFileSync(join(import.meta.dirname, "../../package.json"), "utf8")) as { version: string }).version;

// What a user gets from `npm install billhub`, proved on the packed tarball in a project of its
// own. It does not touch DATABASE_URL's server, so it runs once, on the embedded-store pass.
describe.skipIf(process.env.DATABASE_URL !== undefined)("the packed package, installed in a project of its own", () => {
  let project: PackedProject;

  beforeAll(async () => {
    project = await packedProject(["typescript", "@types/node", "esbuild", "express", "better-auth"]);
  }, 300_000);

  afterAll(async () => {
    await project?.remove();
  });

  it("ships the built code, the CLI, the sample catalog and the license, and no sources, tests or benchmarks", () => {
    expect(project.files).toEqual(expect.arrayContaining(["package.json", "README.md", "LICENSE", "CHANGELOG.md", "bin/billhub.mjs", "dist/index.js", "dist/index.d.ts", "dist/cli/run.js", "dist/store/migration-files.js", "fixtures/catalog.json"]));
    const stray = project.files.filter((file) => !/^(dist\/|bin\/billhub\.mjs$|fixtures\/catalog\.json$|package\.json$|README\.md$|LICENSE$|CHANGELOG\.md$)/.test(file));
    expect(stray).toEqual([]);
    expect(project.files.filter((file) => file.endsWith(".ts") && !file.endsWith(".d.ts"))).toEqual([]);
  });

  it("runs under plain Node: a hub prices recorded usage, its REST API mounted Next.js-style and in an Express app answers the typed client, and the better-auth plugin loads", async () => {
    await project.write(
      "app.mjs",
      `import express from "express";
import { once } from "node:events";
import { createHub, isBillingError } from "billhub";
import { createApp, toNodeListener } from "billhub/server";
import { createClient } from "billhub/client";
import { billhub } from "billhub/better-auth";
const apiKey = "consumer_key_0123456789";
const hub = await createHub({
  store: { dataDir: "memory://" },
  catalog: new URL("./node_modules/billhub/fixtures/catalog.json", import.meta.url).pathname,
  server: { apiKeys: [{ key: apiKey, access: "write" }] },
});
const host = express();
let server;
try {
  await hub.customers.upsert({ id: "org_42" });
  await hub.customers.assign("org_42", "pro");
  await hub.record({ customerId: "org_42", meter: "api_calls", quantity: 12000, transactionId: "batch_1" });
  const invoice = await hub.invoices.preview("org_42");
  const refused = await hub.record({ customerId: "org_42", meter: "nope", quantity: 1, transactionId: "t" }).catch((error) => isBillingError(error) && error.code);

  // A Next.js route handler at app/api/billing/[...path]/route.ts: (Request) => Response.
  const next = createApp(hub, { basePath: "/api/billing" });
  const GET = (request) => next.fetch(request);
  const viaNext = createClient({ baseUrl: "https://app.example/api/billing", apiKey, fetch: GET });
  // An Express app of the user's, with the API mounted under /billing.
  host.use("/billing", toNodeListener(createApp(hub)));
  server = host.listen(0, "127.0.0.1");
  await once(server, "listening");
  const viaNodeBase = \`http://127.0.0.1:\${server.address().port}/billing\`;
  const viaNode = createClient({ baseUrl: viaNodeBase, apiKey });

  const created = await viaNext.customers.upsert("org_7", { name: "Seven" });
  await viaNode.customers.assign("org_7", { plan: "pro" });
  const recorded = await viaNode.usage.record({ customerId: "org_7", meter: "api_calls", quantity: 10500, transactionId: "req_1" });
  const again = await viaNext.usage.record({ customerId: "org_7", meter: "api_calls", quantity: 10500, transactionId: "req_1" });
  const check = await viaNext.entitlements.check({ customerId: "org_7", feature: "api" });
  const preview = await viaNode.invoices.preview("org_7");
  const unknown = await viaNode.usage.record({ customerId: "org_7", meter: "nope", quantity: 1, transactionId: "req_2" }).catch((error) => isBillingError(error) && [error.code, error.status]);
  const keyless = await createClient({ baseUrl: "https://app.example/api/billing", fetch: GET }).customers.get("org_7").catch((error) => error.code);
  // The dashboard's pages and its chart library come from the installed package itself.
  const uplot = await fetch(viaNodeBase + "/dashboard/assets/uplot.js");
  const signIn = await fetch(viaNodeBase + "/dashboard/sign-in");
  const dashboard = { uplot: [uplot.status, (await uplot.text()).includes("uPlot")], signIn: [signIn.status, (await signIn.text()).includes('name="key"')] };
  const plugin = billhub({ hub });
  console.log(JSON.stringify({
    betterAuth: [plugin.id, Object.keys(plugin.endpoints).sort()],
    dashboard,
    library: { ready: (await hub.ready()).ok, plan: invoice.plan, currency: invoice.currency, subtotal: invoice.subtotal, refused },
    api: { created: created.created, recorded: recorded.status, again: again.status, allowed: check.allowed, used: check.used, subtotal: preview.subtotal, unknown, keyless },
  }));
} finally {
  server?.close();
  await hub.close();
}
`,
    );
    const { stdout } = await project.node(["app.mjs"]);
    expect(JSON.parse(stdout)).toEqual({
      betterAuth: ["billhub", ["billhubCheck", "billhubCheckout", "billhubCustomer", "billhubPortal", "billhubUsage"]],
      dashboard: { uplot: [200, true], signIn: [200, true] },
      library: { ready: true, plan: "pro", currency: "USD", subtotal: 4900 + 200, refused: "UNKNOWN_METER" },
      api: { created: true, recorded: "created", again: "duplicate", allowed: true, used: 10500, subtotal: 4900 + 50, unknown: ["UNKNOWN_METER", 400], keyless: "UNAUTHORIZED" },
    });
  }, 300_000);

  it("bundles billhub/pricing without any database driver or provider SDK", async () => {
    await project.write("estimate.mjs", `import { preparePlan, mapUsageToLineItems } from "billhub/pricing";
const plan = preparePlan({ key: "pro", currency: "USD", charges: [{ key: "api", meter: "api_calls", model: "per_unit", unitAmount: "0.5" }] });
console.log(mapUsageToLineItems(plan, { api_calls: 1001 }).subtotal);
`);
    await project.node(["node_modules/esbuild/bin/esbuild", "estimate.mjs", "--bundle", "--platform=browser", "--format=esm", "--outfile=estimate.bundle.mjs", "--metafile=meta.json"]);
    const inputs = Object.keys((JSON.parse(await project.read("meta.json")) as { inputs: Record<string, unknown> }).inputs);
    expect(inputs.some((file) => file.includes("billhub/dist/pricing.js"))).toBe(true);
    expect(inputs.filter((file) => /node_modules\/(pg|pg-[a-z-]+|@electric-sql|stripe|@flowglad|hono|@hono)\//.test(file))).toEqual([]);
    const { stdout } = await project.node(["estimate.bundle.mjs"]);
    expect(stdout.trim()).toBe("501");
  }, 300_000);

  it("type-checks a TypeScript consumer under NodeNext and bundler resolution", async () => {
    await project.write(
      "consumer.ts",
      `import { createHub, defineCatalog, mapUsageToLineItems, BillingError, type Hub, type LineItem } from "billhub";
const catalog = defineCatalog({ currency: "USD", meters: { calls: { aggregation: "sum" } }, features: {}, plans: { basic: { name: "Basic", features: {} } }, defaultPlan: "basic" });
export async function total(hub: Hub, customerId: string): Promise<number> {
  const invoice = await hub.invoices.preview(customerId);
  return invoice.subtotal;
}
// The store is no part of the public hub.
// @ts-expect-error
export const noStore = (hub: Hub) => hub.store;
export const lines: (typeof mapUsageToLineItems) extends (...args: never[]) => readonly LineItem[] | LineItem[] ? true : boolean = true;
export const made: Promise<Hub> = createHub({ store: { dataDir: "memory://" }, catalog });
export const isError = (error: unknown): boolean => error instanceof BillingError;
import { createApp, toNodeListener } from "billhub/server";
import { createClient, type BillhubClient } from "billhub/client";
import { preparePlan } from "billhub/pricing";
import { toNodeHandler } from "billhub/webhooks";
export const mount = async (hub: Hub) => toNodeListener(createApp(hub, { basePath: "/api/billing" }));
export const client: BillhubClient = createClient({ baseUrl: "http://127.0.0.1:8787", apiKey: "k" });
export async function used(): Promise<number> {
  const result = await client.entitlements.check({ customerId: "org_42", feature: "api", amount: "2" });
  return result.used;
}
// @ts-expect-error a usage event needs a transactionId, as the route's schema says
export const missing = () => client.usage.record({ customerId: "org_42", meter: "api_calls", quantity: 1 });
export const plan = preparePlan({ key: "p", currency: "USD", charges: [] });
export const webhooks = async (hub: Hub) => toNodeHandler(hub.webhooks.stripe);
`,
    );
    const strict = { strict: true, skipLibCheck: false, noEmit: true, types: ["node"], lib: ["ES2023"], target: "ES2023" };
    await project.write("tsconfig.nodenext.json", JSON.stringify({ compilerOptions: { ...strict, module: "NodeNext", moduleResolution: "NodeNext" }, files: ["consumer.ts"] }));
    await project.write("tsconfig.bundler.json", JSON.stringify({ compilerOptions: { ...strict, module: "ESNext", moduleResolution: "bundler" }, files: ["consumer.ts"] }));
    await expect(project.tsc(["-p", "tsconfig.nodenext.json"])).resolves.toBeDefined();
    await expect(project.tsc(["-p", "tsconfig.bundler.json"])).resolves.toBeDefined();
  }, 300_000);

  it("answers billhub --version from the installed command", async () => {
    const { stdout } = await project.node(["node_modules/billhub/bin/billhub.mjs", "--version"]);
    expect(stdout.trim()).toBe(VERSION);
  }, 300_000);
});
