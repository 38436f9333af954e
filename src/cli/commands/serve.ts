import { randomBytes } from "node:crypto";
import { createHub } from "../../hub.ts";
import { startServer } from "../../server/serve.ts";
import { catalogInUse, commandConfig, noOptions, withSampleCatalog, type Command } from "../command.ts";

export const serveCommand: Command = {
  name: "serve",
  summary: "run the HTTP service (REST API, webhooks, health checks)",
  help: `Usage: billhub serve [--config <file>]

Runs the REST API under /v1, the webhook routes, /healthz, /readyz, /metrics and /openapi.json,
and the outbox forwarder (unless forwarder.enabled / BILLHUB_FORWARDER_ENABLED is false).
With no configuration: the embedded store in ./.billhub, the sample catalog (fixtures/catalog.json),
the manual provider, port 8787 (PORT), and a fresh API key printed for this run.`,
  async run(context) {
    const { io } = context;
    noOptions(context.args, serveCommand.help);
    const config = withSampleCatalog(commandConfig(context));
    // With no keys configured, a fresh local key is made for this run so the API is never open.
    const generatedKey = config.server.apiKeys.length === 0 ? randomBytes(24).toString("base64url") : undefined;
    const hub = await createHub({
      ...config,
      server: generatedKey ? { ...config.server, apiKeys: [{ key: generatedKey, access: "write", name: "local" }] } : config.server,
    });
    let server;
    try {
      server = await startServer(hub, { log: io.err });
    } catch (error) {
      await hub.close();
      throw error;
    }
    const where = config.store.url ? "PostgreSQL" : `embedded PGlite (${config.store.dataDir})`;
    io.out(`billhub listening on ${server.url} — store: ${where}, provider: ${config.provider.default}, forwarder: ${config.forwarder.enabled ? "on" : "off (run billhub outbox drain --follow)"}`);
    io.out(`Catalog: ${catalogInUse(config)}`);
    if (generatedKey) io.out(`Local API key for this run (set BILLHUB_API_KEYS to choose your own): ${generatedKey}`);
    await new Promise<void>((resolve) => {
      const stop = (signal: string) => {
        io.out(`${signal} received, shutting down`);
        void server.close().then(resolve);
      };
      process.once("SIGINT", () => stop("SIGINT"));
      process.once("SIGTERM", () => stop("SIGTERM"));
    });
    return 0;
  },
};
