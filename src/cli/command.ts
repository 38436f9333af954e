import { loadConfig } from "../config/load.ts";
import type { HubConfig, HubConfigInput } from "../config/schema.ts";
import { createHub, type Hub, type HubOptions } from "../hub.ts";
import { parseArgs, type ParseArgsConfig } from "node:util";
import { BillingError } from "../core/errors.ts";
import type { Io } from "./io.ts";
import { SAMPLE_CATALOG } from "./sample-catalog.ts";
import { serviceHub, type Service, type ServiceHub } from "./service.ts";

/** What every command receives: its own arguments (after the command name), the config file and output. */
export interface CommandContext {
  /** Arguments after the command name, e.g. `["run", "--period", "2026-10"]` for `billhub invoice run ...`. */
  args: string[];
  /** `--config <file>`, when given (otherwise BILLHUB_CONFIG). */
  configFile: string | undefined;
  io: Io;
  /** The environment the config is read from (the process's own when run as `billhub`). */
  env: NodeJS.ProcessEnv;
  /** `--url`/`--api-key` (or BILLHUB_URL/BILLHUB_API_KEY): act through that running service; only for commands with `service: true`. */
  service?: Service;
}

/** One `billhub <name>` command. Each lives in its own file under src/cli/commands/. */
export interface Command {
  name: string;
  /** One line for `billhub --help`. */
  summary: string;
  /** The full `billhub <name> --help` text. */
  help: string;
  /** The help of a subcommand (`billhub invoice run --help`), for commands that have them. */
  subcommandHelp?(name: string): string | undefined;
  /** Some of its actions can work through a running service instead of the store (`--url`, see `withHubOrService`). */
  service?: boolean;
  /** Returns the process exit code. A BillingError thrown here prints as `CODE: message` and exits 1. */
  run(context: CommandContext): Promise<number>;
}

/** The config from the file (if any) and the environment, as every command reads it. */
export function commandConfig(context: Pick<CommandContext, "configFile" | "env">): HubConfig {
  return loadConfig({ env: context.env, ...(context.configFile ? { file: context.configFile } : {}) });
}

/**
 * The config of a command whose answers come from the catalog's plans (`billhub serve`, `demo`,
 * `invoice run | preview | export`): with no catalog configured, the sample catalog, so they all
 * see the same plans. Commands that price nothing (outbox, rollups, ledger, migrate, sync,
 * reconcile) keep the configured catalog: the sample's meters would otherwise have to be mapped
 * for a Stripe or Flowglad setup that never chose it.
 */
export function withSampleCatalog(config: HubConfig): HubConfig {
  return config.catalog === undefined ? { ...config, catalog: SAMPLE_CATALOG } : config;
}

/** Which catalog a command runs with, for its first line of output: a file, the sample, or one given in code. */
export function catalogInUse(config: HubConfig): string {
  if (config.catalog === SAMPLE_CATALOG) return `the sample catalog (${SAMPLE_CATALOG}; set BILLHUB_CATALOG or "catalog" in --config for yours)`;
  return typeof config.catalog === "string" ? config.catalog : "the catalog given in the config";
}

/** Says on stderr that the sample catalog is in use, for commands whose answers come from the catalog's plans. */
export function announceSampleCatalog(io: Io, config: HubConfig): void {
  if (config.catalog === SAMPLE_CATALOG) io.err(`Catalog: ${catalogInUse(config)}`);
}

/** A command that takes no options of its own: anything after its name is refused, naming it. */
export function noOptions(args: string[], usage: string): void {
  commandOptions(args, {}, usage);
}

/**
 * Opens a hub from the command's config, runs `fn`, and always closes the hub. An action that
 * comes here has no HTTP equivalent: an explicit `--url` is refused rather than ignored.
 */
export async function withHub<T>(
  context: Pick<CommandContext, "configFile" | "env" | "service">,
  fn: (hub: Hub) => Promise<T>,
  adjust: (config: HubConfig) => HubConfigInput = (config) => config,
  options: HubOptions = {},
): Promise<T> {
  if (context.service?.explicit) {
    throw new BillingError("VALIDATION_FAILED", `This command has no HTTP equivalent and cannot act through --url ${context.service.url}; run it without --url while no other process has the embedded store open, or use PostgreSQL (DATABASE_URL).`, { field: "url" });
  }
  const hub = await createHub(adjust(commandConfig(context)), options);
  try {
    return await fn(hub);
  } finally {
    await hub.close();
  }
}

/** Runs `fn` on the running service given by `--url` (or BILLHUB_URL), otherwise on a hub opened as `withHub` does. */
export async function withHubOrService<T>(
  context: Pick<CommandContext, "configFile" | "env" | "service">,
  fn: (hub: ServiceHub) => Promise<T>,
  adjust: (config: HubConfig) => HubConfigInput = (config) => config,
): Promise<T> {
  return context.service === undefined ? withHub(context, fn, adjust) : fn(serviceHub(context.service));
}

type OptionSpecs = NonNullable<ParseArgsConfig["options"]>;

/**
 * Reads a command's `--options` strictly: an unknown option, a missing value or a stray argument
 * is a VALIDATION_FAILED naming it, and the command's usage follows in the message.
 *
 * @example
 * const { period } = commandOptions(context.args, { period: { type: "string" } }, HELP);
 */
export function commandOptions<O extends OptionSpecs>(args: string[], options: O, usage: string): ReturnType<typeof parseArgs<{ args: string[]; options: O; strict: true; allowPositionals: false }>>["values"] {
  try {
    return parseArgs({ args, options, strict: true, allowPositionals: false }).values;
  } catch (error) {
    throw new BillingError("VALIDATION_FAILED", `${(error as Error).message}\n\n${usage}`);
  }
}

/** A required string option, or VALIDATION_FAILED naming it. */
export function requireOption(value: string | boolean | undefined | (string | boolean)[], name: string, usage: string): string {
  if (typeof value !== "string" || value === "") throw new BillingError("VALIDATION_FAILED", `--${name} is required\n\n${usage}`, { field: name });
  return value;
}
