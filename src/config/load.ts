import { readFileSync } from "node:fs";
import { BillingError } from "../core/errors.ts";
import { issuePath } from "../core/validation.ts";
import { PROVIDERS } from "../providers/index.ts";
import type { ProviderEnvVariable } from "../providers/define-provider.ts";
import { configSchema, type HubConfig, type HubConfigInput } from "./schema.ts";

type Env = Record<string, string | undefined>;
type Plain = Record<string, unknown>;

/** Each provider's environment variables (from its definition): name, option it sets, type. */
function providerEnv(): [name: string, option: string, type: ProviderEnvVariable["type"]][] {
  return PROVIDERS.flatMap((definition) => Object.entries(definition.env).map(([name, variable]): [string, string, ProviderEnvVariable["type"]] => [name, `${definition.id}.${variable.option}`, variable.type]));
}

/** Environment variables billhub reads, and the option each one sets. */
export const ENV_OPTIONS: Readonly<Record<string, string>> = {
  DATABASE_URL: "store.url",
  BILLHUB_DATA_DIR: "store.dataDir",
  BILLHUB_SCHEMA: "store.schema",
  BILLHUB_STORE_CONNECT_TIMEOUT_MS: "store.connectTimeoutMs",
  BILLHUB_STORE_STATEMENT_TIMEOUT_MS: "store.statementTimeoutMs",
  BILLHUB_STORE_QUERY_TIMEOUT_MS: "store.queryTimeoutMs",
  BILLHUB_PROVIDER: "provider.default",
  BILLHUB_MIRROR: "provider.mirror",
  BILLHUB_CATALOG: "catalog",
  BILLHUB_API_KEYS: "server.apiKeys",
  BILLHUB_CACHE_TTL_MS: "cache.ttlMs",
  BILLHUB_FORWARDER_ENABLED: "forwarder.enabled",
  BILLHUB_FORWARDER_CONCURRENCY: "forwarder.concurrency",
  BILLHUB_FORWARDER_BATCH_SIZE: "forwarder.batchSize",
  BILLHUB_FORWARDER_LEASE_MS: "forwarder.leaseMs",
  BILLHUB_DASHBOARD_ENABLED: "server.dashboard.enabled",
  BILLHUB_CONFIG: "(config file)",
  PORT: "server.port",
  HOST: "server.host",
  ...Object.fromEntries(providerEnv().map(([name, option]) => [name, option])),
};

const OPTION_TO_ENV = new Map(Object.entries(ENV_OPTIONS).map(([env, option]) => [option, env]));

function configError(field: string, message: string, cause?: unknown): BillingError {
  const env = OPTION_TO_ENV.get(field);
  const label = env ? `${field} (${env})` : field;
  return new BillingError("CONFIG_INVALID", `Invalid configuration: ${label} ${message}`, { field, ...(cause === undefined ? {} : { cause }) });
}

/**
 * A wrong value as an error message may show it: short ones in full (`PORT=80a`), longer ones only
 * by length, since a long value in the wrong variable is most often a secret pasted there.
 */
function shown(raw: string): string {
  return raw.length <= 10 ? JSON.stringify(raw) : `a ${raw.length}-character value`;
}

function integerFrom(env: Env, name: string): number | undefined {
  const raw = env[name];
  if (raw === undefined || raw === "") return undefined;
  if (!/^\d+$/.test(raw)) throw configError(ENV_OPTIONS[name] ?? name, `must be a whole number, got ${shown(raw)}`);
  return Number(raw);
}

/** A plain decimal (`25`, `0.5`); no signs, exponents or hex, which a rate setting never needs. */
function decimalFrom(env: Env, name: string): number | undefined {
  const raw = env[name];
  if (raw === undefined || raw === "") return undefined;
  if (!/^\d+(\.\d+)?$/.test(raw)) throw configError(ENV_OPTIONS[name] ?? name, `must be a positive number such as 25 or 0.5, got ${shown(raw)}`);
  return Number(raw);
}

function booleanFrom(env: Env, name: string): boolean | undefined {
  const raw = env[name];
  if (raw === undefined || raw === "") return undefined;
  if (raw === "true" || raw === "1") return true;
  if (raw === "false" || raw === "0") return false;
  throw configError(ENV_OPTIONS[name] ?? name, `must be true or false, got ${shown(raw)}`);
}

function listFrom(raw: string | undefined): string[] | undefined {
  if (raw === undefined || raw.trim() === "") return undefined;
  return raw.split(",").map((s) => s.trim()).filter(Boolean);
}

function setPath(target: Plain, path: string, value: unknown): void {
  if (value === undefined || value === "") return;
  const parts = path.split(".");
  let node = target;
  for (const part of parts.slice(0, -1)) {
    node[part] ??= {};
    node = node[part] as Plain;
  }
  node[parts.at(-1)!] = value;
}

/**
 * Reads billhub's settings from environment variables (names in ENV_OPTIONS). An unknown
 * `BILLHUB_*` variable is refused, so that a typo cannot silently leave a default in place.
 */
export function configFromEnv(env: Env): Plain {
  const unknown = Object.keys(env).filter((name) => name.startsWith("BILLHUB_") && !(name in ENV_OPTIONS));
  if (unknown.length > 0) {
    const valid = Object.keys(ENV_OPTIONS).filter((n) => n.startsWith("BILLHUB_")).join(", ");
    throw new BillingError("CONFIG_INVALID", `Unknown environment variable ${unknown.join(", ")}; billhub reads ${valid}`, { field: unknown[0]! });
  }
  const out: Plain = {};
  for (const name of ["DATABASE_URL", "BILLHUB_DATA_DIR", "BILLHUB_SCHEMA", "BILLHUB_PROVIDER", "BILLHUB_CATALOG", "HOST"]) {
    setPath(out, ENV_OPTIONS[name]!, env[name]);
  }
  setPath(out, "server.port", integerFrom(env, "PORT"));
  setPath(out, "store.connectTimeoutMs", integerFrom(env, "BILLHUB_STORE_CONNECT_TIMEOUT_MS"));
  setPath(out, "store.statementTimeoutMs", integerFrom(env, "BILLHUB_STORE_STATEMENT_TIMEOUT_MS"));
  setPath(out, "store.queryTimeoutMs", integerFrom(env, "BILLHUB_STORE_QUERY_TIMEOUT_MS"));
  setPath(out, "cache.ttlMs", integerFrom(env, "BILLHUB_CACHE_TTL_MS"));
  for (const [name, option, type] of providerEnv()) {
    setPath(out, option, type === "integer" ? integerFrom(env, name) : type === "decimal" ? decimalFrom(env, name) : env[name]);
  }
  setPath(out, "forwarder.enabled", booleanFrom(env, "BILLHUB_FORWARDER_ENABLED"));
  setPath(out, "forwarder.concurrency", integerFrom(env, "BILLHUB_FORWARDER_CONCURRENCY"));
  setPath(out, "forwarder.batchSize", integerFrom(env, "BILLHUB_FORWARDER_BATCH_SIZE"));
  setPath(out, "forwarder.leaseMs", integerFrom(env, "BILLHUB_FORWARDER_LEASE_MS"));
  setPath(out, "server.dashboard.enabled", booleanFrom(env, "BILLHUB_DASHBOARD_ENABLED"));
  setPath(out, "provider.mirror", listFrom(env.BILLHUB_MIRROR));
  const keys = listFrom(env.BILLHUB_API_KEYS);
  if (keys) {
    setPath(out, "server.apiKeys", keys.map((entry) => {
      const [key = "", access = "write"] = entry.split(":");
      return { key, access };
    }));
  }
  return out;
}

/**
 * V8 quotes a stretch of the text in some JSON errors (`Unexpected token 's', "{"key": sk_live_…"...`);
 * a config file holds secrets, so the excerpt is left out and the position kept.
 */
function withoutExcerpt(message: string): string {
  return message.replace(/, ".*"(?:\.\.\.)? is not valid JSON$/s, " is not valid JSON");
}

/** Reads a JSON config file; a missing file or bad JSON names the file (never quoting its text). */
export function configFromFile(path: string): Plain {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    throw new BillingError("CONFIG_INVALID", `Cannot read config file ${path}: ${(error as Error).message}`, { field: "BILLHUB_CONFIG", cause: error });
  }
  try {
    const parsed: unknown = JSON.parse(text);
    if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) throw new Error("the top level must be an object");
    return parsed as Plain;
  } catch (error) {
    throw new BillingError("CONFIG_INVALID", `Config file ${path} is not valid JSON: ${withoutExcerpt((error as Error).message)}`, { field: "BILLHUB_CONFIG" });
  }
}

function isPlainObject(value: unknown): value is Plain {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

/** Deep-merges config layers; later layers win, arrays are replaced whole. */
export function mergeConfig(...layers: Plain[]): Plain {
  const out: Plain = {};
  for (const layer of layers) {
    for (const [key, value] of Object.entries(layer)) {
      if (value === undefined) continue;
      out[key] = isPlainObject(value) && isPlainObject(out[key]) ? mergeConfig(out[key] as Plain, value) : value;
    }
  }
  return out;
}

/**
 * Validates a config object and fills in defaults. Every problem is reported with the option's
 * dotted name (and its environment variable, where it has one).
 *
 * @example
 * parseConfig({ provider: { default: "stripe" } })
 * // throws CONFIG_INVALID: "Invalid configuration: stripe.secretKey (STRIPE_SECRET_KEY) is required when ..."
 */
export function parseConfig(input: HubConfigInput | Plain): HubConfig {
  const result = configSchema.safeParse(input);
  if (result.success) return result.data;
  const issues = result.error.issues.map((issue) => {
    const field = issuePath(issue.path);
    const message = issue.code === "unrecognized_keys" ? `has unknown option(s): ${issue.keys.join(", ")}` : issue.message;
    return { field: issue.code === "unrecognized_keys" && issue.keys[0] ? issuePath([...issue.path, issue.keys[0]]) : field, label: field || "(top level)", message };
  });
  const first = issues[0]!;
  const more = issues.length > 1 ? ` (and ${issues.length - 1} more problem(s))` : "";
  const error = configError(first.label, `${first.message}${more}`);
  throw new BillingError("CONFIG_INVALID", error.message, { field: first.field, details: { issues } });
}

export interface LoadConfigOptions {
  env?: Env;
  /** A JSON config file; defaults to BILLHUB_CONFIG from `env`. */
  file?: string;
  /** Settings from code; they win over the file and the environment. */
  overrides?: HubConfigInput;
}

/** Layers defaults < JSON file < environment < code, then validates. */
export function loadConfig(options: LoadConfigOptions = {}): HubConfig {
  const env = options.env ?? {};
  const file = options.file ?? env.BILLHUB_CONFIG;
  const layers: Plain[] = [];
  if (file) layers.push(configFromFile(file));
  layers.push(configFromEnv(env));
  if (options.overrides) layers.push(options.overrides as Plain);
  return parseConfig(mergeConfig(...layers));
}
