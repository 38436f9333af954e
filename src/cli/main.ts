import { BillingError } from "../core/errors.ts";
import type { Command } from "./command.ts";
import { demoCommand } from "./commands/demo.ts";
import { invoiceCommand } from "./commands/invoice.ts";
import { migrateCommand } from "./commands/migrate.ts";
import { outboxCommand } from "./commands/outbox.ts";
import { reconcileCommand } from "./commands/reconcile.ts";
import { serveCommand } from "./commands/serve.ts";
import { syncCommand } from "./commands/sync.ts";
import { processIo, type Io } from "./io.ts";

/** Every `billhub` command; each lives in its own file under commands/. */
export const COMMANDS: readonly Command[] = [serveCommand, migrateCommand, syncCommand, invoiceCommand, outboxCommand, reconcileCommand, demoCommand];

function usage(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length)) + 4;
  return `billhub — billing integration adapter hub

Usage: billhub <command> [options]

Commands:
${COMMANDS.map((c) => `  ${c.name.padEnd(width)}${c.summary}`).join("\n")}

Options:
  --config <file>   JSON config file (also BILLHUB_CONFIG)
  -h, --help        show help (billhub <command> --help for a command's own)

Configuration comes from the config file and environment variables
(DATABASE_URL, PORT, STRIPE_SECRET_KEY, ...); see README.md.`;
}

/** Splits `--config <file>` / `--config=<file>` and `-h`/`--help` off the arguments; the rest belongs to the command. */
function globalOptions(argv: string[]): { configFile: string | undefined; help: boolean; rest: string[] } {
  let configFile: string | undefined;
  let help = false;
  const rest: string[] = [];
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i]!;
    if (arg === "--config") configFile = argv[++i];
    else if (arg.startsWith("--config=")) configFile = arg.slice("--config=".length);
    else if (arg === "-h" || arg === "--help") help = true;
    else rest.push(arg);
  }
  return { configFile, help, rest };
}

/** Runs `billhub <argv>` with its config read from `env`; resolves to the exit code. */
export async function main(argv: string[], io: Io = processIo, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const { configFile, help, rest } = globalOptions(argv);
  const [name, ...args] = rest;
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
    return await command.run({ args, configFile, io, env });
  } catch (error) {
    io.err(error instanceof BillingError ? `${error.code}: ${error.message}` : String((error as Error).stack ?? error));
    return 1;
  }
}
