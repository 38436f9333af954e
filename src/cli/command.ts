import { loadConfig } from "../config/load.ts";
import type { HubConfig, HubConfigInput } from "../config/schema.ts";
import { createHub, type Hub, type HubOptions } from "../hub.ts";
import type { Io } from "./io.ts";

/** What every command receives: its own arguments (after the command name), the config file and output. */
export interface CommandContext {
  /** Arguments after the command name, e.g. `["run", "--period", "2026-10"]` for `billhub invoice run ...`. */
  args: string[];
  /** `--config <file>`, when given (otherwise BILLHUB_CONFIG). */
  configFile: string | undefined;
  io: Io;
}

/** One `billhub <name>` command. Each lives in its own file under src/cli/commands/. */
export interface Command {
  name: string;
  /** One line for `billhub --help`. */
  summary: string;
  /** The full `billhub <name> --help` text. */
  help: string;
  /** Returns the process exit code. A BillingError thrown here prints as `CODE: message` and exits 1. */
  run(context: CommandContext): Promise<number>;
}

/** The config from the file (if any) and the environment, as every command reads it. */
export function commandConfig(context: Pick<CommandContext, "configFile">): HubConfig {
  return loadConfig({ env: process.env, ...(context.configFile ? { file: context.configFile } : {}) });
}

/** Opens a hub from the command's config, runs `fn`, and always closes the hub. */
export async function withHub<T>(
  context: Pick<CommandContext, "configFile">,
  fn: (hub: Hub) => Promise<T>,
  adjust: (config: HubConfig) => HubConfigInput = (config) => config,
  options: HubOptions = {},
): Promise<T> {
  const hub = await createHub(adjust(commandConfig(context)), options);
  try {
    return await fn(hub);
  } finally {
    await hub.close();
  }
}
