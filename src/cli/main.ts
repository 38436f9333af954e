import { BillingError } from "../core/errors.ts";
import type { Command } from "./command.ts";
import { alertsCommand } from "./commands/alerts.ts";
import { creditsCommand } from "./commands/credits.ts";
import { demoCommand } from "./commands/demo.ts";
import { invoiceCommand } from "./commands/invoice.ts";
import { migrateCommand } from "./commands/migrate.ts";
import { outboxCommand } from "./commands/outbox.ts";
import { reconcileCommand } from "./commands/reconcile.ts";
import { ledgerCommand } from "./commands/ledger.ts";
import { rollupsCommand } from "./commands/rollups.ts";
import { serveCommand } from "./commands/serve.ts";
import { syncCommand } from "./commands/sync.ts";
import { processIo, type Io } from "./io.ts";
import type { Service } from "./service.ts";
import { packageVersion } from "./version.ts";

/** Every `billhub` command; each lives in its own file under commands/. */
export const COMMANDS: readonly Command[] = [serveCommand, migrateCommand, syncCommand, invoiceCommand, outboxCommand, reconcileCommand, rollupsCommand, ledgerCommand, creditsCommand, alertsCommand, demoCommand];

function usage(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length)) + 4;
  return `billhub — billing integration adapter hub

Usage: billhub <command> [options]

Commands:
${COMMANDS.map((c) => `  ${c.name.padEnd(width)}${c.summary}`).join("\n")}

Options:
  --config <file>   JSON config file (also BILLHUB_CONFIG)
  --url <service>   act through a running billhub serve's HTTP API instead of opening the store
                    (also BILLHUB_URL; outbox status|replay, alerts replay and invoice run)
  --api-key <key>   the service's API key for --url (also BILLHUB_API_KEY, which keeps it out of ps)
  -h, --help        show help (billhub <command> --help for a command's own)
  -v, --version     print billhub's version

Configuration comes from the config file and environment variables
(DATABASE_URL, PORT, each provider's *_SECRET_KEY, ...); see README.md.`;
}

/** Splits the global options (`--config`, `--url`, `--api-key`, as `--name value` or `--name=value`, and `-h`/`--help`) off the arguments; the rest belongs to the command. */
function globalOptions(argv: string[]): { configFile: string | undefined; url: string | undefined; apiKey: string | undefined; help: boolean; version: boolean; rest: string[] } {
  const values: Record<"config" | "url" | "api-key", string | undefined> = { config: undefined, url: undefined, "api-key": undefined };
  let help = false;
  let version = false;
  const rest: string[] = [];
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i]!;
    const name = (Object.keys(values) as Array<keyof typeof values>).find((key) => arg === `--${key}` || arg.startsWith(`--${key}=`));
    if (name !== undefined) values[name] = arg === `--${name}` ? argv[++i] : arg.slice(name.length + 3);
    else if (arg === "-h" || arg === "--help") help = true;
    else if ((arg === "-v" || arg === "--version") && rest.length === 0) version = true;
    else rest.push(arg);
  }
  return { configFile: values.config, url: values.url, apiKey: values["api-key"], help, version, rest };
}

/** Variables the CLI reads itself; the config loader refuses BILLHUB_ names it does not know. */
const SERVICE_ENV = ["BILLHUB_URL", "BILLHUB_API_KEY"];

/** The running service a command acts through, if it can and one is given; `--url` on a command that cannot is refused. */
function serviceFor(command: Command, flags: { url: string | undefined; apiKey: string | undefined }, env: NodeJS.ProcessEnv): Service | undefined {
  const url = flags.url ?? (env.BILLHUB_URL || undefined);
  if (flags.url !== undefined && command.service !== true) {
    const able = COMMANDS.filter((c) => c.service === true).map((c) => `billhub ${c.name}`);
    throw new BillingError("VALIDATION_FAILED", `billhub ${command.name} has no HTTP equivalent, so it takes no --url (${able.length > 1 ? `${able.slice(0, -1).join(", ")} and ${able.at(-1)}` : able.join("")} do).`, { field: "url" });
  }
  if (flags.apiKey !== undefined && url === undefined) throw new BillingError("VALIDATION_FAILED", "--api-key is for --url <service>; give both, or neither.", { field: "api-key" });
  if (url === undefined || command.service !== true) return undefined;
  if (!/^https?:\/\/[^/\s]+/.test(url)) throw new BillingError("VALIDATION_FAILED", `--url must be the service's http(s) address, e.g. http://127.0.0.1:8787, got ${JSON.stringify(url)}`, { field: "url" });
  const apiKey = flags.apiKey ?? (env.BILLHUB_API_KEY || undefined);
  if (apiKey === undefined) throw new BillingError("VALIDATION_FAILED", "--url needs the service's API key: --api-key <key> or BILLHUB_API_KEY.", { field: "api-key" });
  return { url, apiKey, explicit: flags.url !== undefined };
}

/** Runs `billhub <argv>` with its config read from `env`; resolves to the exit code. */
export async function main(argv: string[], io: Io = processIo, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const { configFile, url, apiKey, help, version, rest } = globalOptions(argv);
  const [name, ...args] = rest;
  if (version && name === undefined) {
    io.out(packageVersion());
    return 0;
  }
  if (name === undefined || name === "help") {
    io.out(usage());
    return name === undefined && !help ? 1 : 0;
  }
  const command = COMMANDS.find((c) => c.name === name);
  if (!command) {
    io.err(`Unknown command "${name}".\n\n${usage()}`);
    return 1;
  }
  if (help) {
    io.out((args[0] === undefined ? undefined : command.subcommandHelp?.(args[0])) ?? command.help);
    return 0;
  }
  try {
    const service = serviceFor(command, { url, apiKey }, env);
    const configEnv = Object.fromEntries(Object.entries(env).filter(([name]) => !SERVICE_ENV.includes(name)));
    return await command.run({ args, configFile, io, env: configEnv, ...(service === undefined ? {} : { service }) });
  } catch (error) {
    io.err(error instanceof BillingError ? `${error.code}: ${error.message}` : String((error as Error).stack ?? error));
    return 1;
  }
}
