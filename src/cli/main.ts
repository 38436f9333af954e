import { parseArgs } from "node:util";
import { loadConfig } from "../config/load.ts";
import { BillingError } from "../core/errors.ts";
import { createHub } from "../hub.ts";
import { startServer } from "../server/serve.ts";
import { fileURLToPath } from "node:url";
import { randomBytes } from "node:crypto";

/** The catalog `billhub serve` runs with when none is configured, so a fresh clone has plans to show. */
export const SAMPLE_CATALOG = fileURLToPath(new URL("../../fixtures/catalog.json", import.meta.url));

const USAGE = `billhub — billing integration adapter hub

Usage: billhub <command> [options]

Commands:
  serve            run the HTTP service (REST API, webhooks, health checks)
  migrate          apply pending database migrations and exit
  sync flowglad    pull Flowglad's pricing model into the price history and exit

Options:
  --config <file>   JSON config file (also BILLHUB_CONFIG)
  -h, --help        show help

Configuration comes from the config file and environment variables
(DATABASE_URL, PORT, STRIPE_SECRET_KEY, ...); see README.md.`;

const SYNC_USAGE = `Usage: billhub sync flowglad [--config <file>]

Pulls Flowglad's default pricing model (GET /api/v1/pricing-models/default) into billhub's
price history: each price under its slug, a changed price as a new version from now on, a price
no longer in the model ended. Flowglad sends no price events, so run this after changing prices
in Flowglad (or set flowglad.catalogSyncIntervalMs / FLOWGLAD_CATALOG_SYNC_INTERVAL_MS and let
billhub serve do it). Needs FLOWGLAD_SECRET_KEY (and FLOWGLAD_BASE_URL for a non-hosted Flowglad).`;

type Io = { out: (line: string) => void; err: (line: string) => void };

async function serveCommand(configFile: string | undefined, io: Io): Promise<void> {
  const config = loadConfig({ env: process.env, ...(configFile ? { file: configFile } : {}) });
  // With no keys configured, a fresh local key is made for this run so the API is never open.
  const generatedKey = config.server.apiKeys.length === 0 ? randomBytes(24).toString("base64url") : undefined;
  const hub = await createHub({
    ...config,
    catalog: config.catalog ?? SAMPLE_CATALOG,
    server: generatedKey ? { ...config.server, apiKeys: [{ key: generatedKey, access: "write", name: "local" }] } : config.server,
  });
  const server = await startServer(hub, { log: io.err });
  const where = config.store.url ? "PostgreSQL" : `embedded PGlite (${config.store.dataDir})`;
  io.out(`billhub listening on ${server.url} — store: ${where}, provider: ${config.provider.default}`);
  if (generatedKey) io.out(`Local API key for this run (set BILLHUB_API_KEYS to choose your own): ${generatedKey}`);
  const stop = async (signal: string) => {
    io.out(`${signal} received, shutting down`);
    await server.close();
    process.exit(0);
  };
  process.once("SIGINT", () => void stop("SIGINT"));
  process.once("SIGTERM", () => void stop("SIGTERM"));
}

async function migrateCommand(configFile: string | undefined, io: Io): Promise<void> {
  const config = loadConfig({ env: process.env, ...(configFile ? { file: configFile } : {}) });
  const hub = await createHub({ ...config, store: { ...config.store, migrate: false } });
  try {
    const report = await hub.migrate();
    io.out(report.applied.length === 0 ? `Schema ${config.store.schema} is up to date (${report.alreadyApplied} migrations).` : `Applied ${report.applied.join(", ")}.`);
  } finally {
    await hub.close();
  }
}

async function syncCommand(target: string | undefined, configFile: string | undefined, io: Io): Promise<number> {
  if (target !== "flowglad") {
    io.err(`${target === undefined ? "billhub sync needs a provider" : `Cannot sync "${target}"`}: the only catalog billhub pulls is flowglad's.\n\n${SYNC_USAGE}`);
    return 1;
  }
  const config = loadConfig({ env: process.env, ...(configFile ? { file: configFile } : {}) });
  const hub = await createHub(config);
  try {
    const report = await hub.syncFlowgladCatalog();
    const list = (names: string[]) => (names.length === 0 ? "" : ` (${names.join(", ")})`);
    io.out(
      `Synced Flowglad pricing model ${report.pricingModelId}: ${report.prices} prices; ${report.added.length} added${list(report.added)}, ` +
        `${report.changed.length} changed${list(report.changed)}, ${report.removed.length} removed${list(report.removed)}, ${report.unchanged} unchanged.`,
    );
    return 0;
  } finally {
    await hub.close();
  }
}

export async function main(argv: string[], io: Io = { out: console.log, err: console.error }): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    strict: false,
    options: { config: { type: "string" }, help: { type: "boolean", short: "h" } },
  });
  const [command, target] = positionals;
  const configFile = typeof values.config === "string" ? values.config : undefined;
  if (values.help && command === "sync") {
    io.out(SYNC_USAGE);
    return 0;
  }
  if (values.help || command === undefined || command === "help") {
    io.out(USAGE);
    return command === undefined && !values.help ? 1 : 0;
  }
  try {
    switch (command) {
      case "serve":
        await serveCommand(configFile, io);
        return 0;
      case "migrate":
        await migrateCommand(configFile, io);
        return 0;
      case "sync":
        return await syncCommand(target, configFile, io);
      default:
        io.err(`Unknown command "${command}".\n\n${USAGE}`);
        return 1;
    }
  } catch (error) {
    io.err(error instanceof BillingError ? `${error.code}: ${error.message}` : String((error as Error).stack ?? error));
    return 1;
  }
}
