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
    project = await packedProject(["typescript", "@types/node"]);
  }, 180_000);

  afterAll(async () => {
    await project?.remove();
  });

  it("ships the built code, the CLI, the sample catalog and the license, and no sources, tests or benchmarks", () => {
    expect(project.files).toEqual(expect.arrayContaining(["package.json", "README.md", "LICENSE", "CHANGELOG.md", "bin/billhub.mjs", "dist/index.js", "dist/index.d.ts", "dist/cli/run.js", "dist/store/migration-files.js", "fixtures/catalog.json"]));
    const stray = project.files.filter((file) => !/^(dist\/|bin\/billhub\.mjs$|fixtures\/catalog\.json$|package\.json$|README\.md$|LICENSE$|CHANGELOG\.md$)/.test(file));
    expect(stray).toEqual([]);
    expect(project.files.filter((file) => file.endsWith(".ts") && !file.endsWith(".d.ts"))).toEqual([]);
  });

  it("runs under plain Node: a hub on a throw-away store records usage and prices it", async () => {
    await project.write(
      "app.mjs",
      `import { createHub, isBillingError } from "billhub";
const hub = await createHub({ store: { dataDir: "memory://" }, catalog: new URL("./node_modules/billhub/fixtures/catalog.json", import.meta.url).pathname });
try {
  await hub.upsertCustomer({ id: "org_42" });
  await hub.assign("org_42", "pro");
  await hub.record({ customerId: "org_42", meter: "api_calls", quantity: 12000, transactionId: "batch_1" });
  const invoice = await hub.previewInvoice("org_42");
  const refused = await hub.record({ customerId: "org_42", meter: "nope", quantity: 1, transactionId: "t" }).catch((error) => isBillingError(error) && error.code);
  console.log(JSON.stringify({ ready: (await hub.ready()).ok, plan: invoice.plan, currency: invoice.currency, subtotal: invoice.subtotal, refused }));
} finally {
  await hub.close();
}
`,
    );
    const { stdout } = await project.node(["app.mjs"]);
    expect(JSON.parse(stdout)).toEqual({ ready: true, plan: "pro", currency: "USD", subtotal: 4900 + 200, refused: "UNKNOWN_METER" });
  });

  it("type-checks a TypeScript consumer under NodeNext and bundler resolution", async () => {
    await project.write(
      "consumer.ts",
      `import { createHub, defineCatalog, mapUsageToLineItems, BillingError, type Hub, type LineItem } from "billhub";
const catalog = defineCatalog({ currency: "USD", meters: { calls: { aggregation: "sum" } }, features: {}, plans: { basic: { name: "Basic", features: {} } }, defaultPlan: "basic" });
export async function total(hub: Hub, customerId: string): Promise<number> {
  const invoice = await hub.previewInvoice(customerId);
  return invoice.subtotal;
}
export const lines: (typeof mapUsageToLineItems) extends (...args: never[]) => readonly LineItem[] | LineItem[] ? true : boolean = true;
export const made: Promise<Hub> = createHub({ store: { dataDir: "memory://" }, catalog });
export const isError = (error: unknown): boolean => error instanceof BillingError;
`,
    );
    const strict = { strict: true, skipLibCheck: false, noEmit: true, types: ["node"], lib: ["ES2023"], target: "ES2023" };
    await project.write("tsconfig.nodenext.json", JSON.stringify({ compilerOptions: { ...strict, module: "NodeNext", moduleResolution: "NodeNext" }, files: ["consumer.ts"] }));
    await project.write("tsconfig.bundler.json", JSON.stringify({ compilerOptions: { ...strict, module: "ESNext", moduleResolution: "bundler" }, files: ["consumer.ts"] }));
    await expect(project.tsc(["-p", "tsconfig.nodenext.json"])).resolves.toBeDefined();
    await expect(project.tsc(["-p", "tsconfig.bundler.json"])).resolves.toBeDefined();
  });

  it("answers billhub --version from the installed command", async () => {
    const { stdout } = await project.node(["node_modules/billhub/bin/billhub.mjs", "--version"]);
    expect(stdout.trim()).toBe(VERSION);
  });
});
