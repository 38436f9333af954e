import { z } from "zod";
import type { ProviderConfigOf } from "../providers/define-provider.ts";
import { PROVIDERS, type ProviderDefinitions, type ProviderId } from "../providers/index.ts";
import { alertsConfigSchema } from "./alerts-config.ts";

/** Provider ids billhub ships, from the list of provider definitions; the first is the default. */
export const PROVIDER_IDS = PROVIDERS.map((definition) => definition.id) as unknown as readonly [ProviderId, ...ProviderId[]];
export type { ProviderId };
const providerId = z.enum(PROVIDER_IDS);

/** PGlite's own spelling for "no data directory". */
export const IN_MEMORY = "memory://";

const storeSchema = z.strictObject({
  /** A PostgreSQL connection string (DATABASE_URL). When absent, the embedded PGlite store is used. */
  url: z.string().regex(/^postgres(ql)?:\/\//, "must be a postgres:// or postgresql:// URL").optional(),
  /** Where PGlite keeps its files, or "memory://" for a throw-away in-memory store. */
  dataDir: z.string().min(1).default("./.billhub"),
  /** The schema billhub's tables live in, so billhub can sit beside an application's own tables. */
  schema: z.string().regex(/^[a-z_][a-z0-9_]{0,62}$/, "must be a lower-case SQL identifier").default("billhub"),
  maxConnections: z.number().int().positive().max(1000).default(10),
  /**
   * PostgreSQL only. How long opening a connection, or waiting for a free one in the pool, may
   * take before the request fails as STORE_UNAVAILABLE (503).
   */
  connectTimeoutMs: z.number().int().min(100).max(600_000).default(5_000),
  /** PostgreSQL only. The server cancels a statement running longer than this (`statement_timeout`). */
  statementTimeoutMs: z.number().int().min(100).max(3_600_000).default(15_000),
  /**
   * PostgreSQL only. How long billhub waits for any reply before it gives up on the connection:
   * the deadline that still holds when the network, not the server, stalls (the server cannot
   * cancel what it never receives). Keep it above statementTimeoutMs.
   */
  queryTimeoutMs: z.number().int().min(100).max(3_600_000).default(20_000),
  /** Apply pending migrations and create the ledger's months ahead at start-up (billhub migrate does the same on demand). */
  migrate: z.boolean().default(true),
});

const providerSchema = z.strictObject({
  /** Where usage goes unless a route says otherwise. */
  default: providerId.default(PROVIDER_IDS[0]),
  /** Per-customer routing: customer id → provider (e.g. customers still on a legacy provider). */
  routes: z.record(z.string().min(1), providerId).default({}),
  /** Providers that receive a copy of everything (migrations); their failures never block the primary. */
  mirror: z.array(providerId).default([]),
  /**
   * Create each new hub customer at its primary provider too, right after the hub customer is
   * written (providers that can create customers; others are passed by). A provider failure never
   * undoes the hub customer: `hub.customers.upsert` reports it, and the customer-creation route retries.
   */
  createCustomers: z.boolean().optional(),
});

/** Every provider some customer's usage goes to: the default, per-customer routes and mirrors. */
export function providersReceivingUsage(provider: z.output<typeof providerSchema>): Set<ProviderId> {
  return new Set([provider.default, ...Object.values(provider.routes), ...provider.mirror]);
}

/** Each provider's config section, keyed by its id: `stripe: stripeConfigSchema.optional()`, ... */
type ProviderSections = {
  [D in ProviderDefinitions[number] as D["configSchema"] extends z.ZodType ? D["id"] : never]: z.ZodOptional<Extract<D["configSchema"], z.ZodType>>;
};
const providerSections = Object.fromEntries(
  PROVIDERS.flatMap((definition) => (definition.configSchema === null ? [] : [[definition.id, definition.configSchema.optional()]])),
) as ProviderSections;

/** A provider's validated section of a config, or undefined when it is not configured (or has none). */
export function providerSection<D extends ProviderDefinitions[number]>(config: HubConfig, definition: D): ProviderConfigOf<D["configSchema"]> | undefined {
  return (config as unknown as Record<string, ProviderConfigOf<D["configSchema"]> | undefined>)[definition.id];
}

const apiKeySchema = z.strictObject({
  key: z.string().min(16, "must be at least 16 characters"),
  access: z.enum(["read", "write"]).default("write"),
  name: z.string().optional(),
});

const serverSchema = z.strictObject({
  port: z.number().int().min(0).max(65535).default(8787),
  host: z.string().min(1).default("127.0.0.1"),
  apiKeys: z.array(apiKeySchema).default([]),
  bodyLimitBytes: z.number().int().positive().default(1024 * 1024),
  /**
   * Longest a request may take to arrive, headers and body (Node's own default is 5 minutes): a
   * client trickling a body ties up a connection and memory until then.
   */
  requestTimeoutMs: z.number().int().min(1_000).max(600_000).default(30_000),
  /** Longest the request headers may take to arrive. */
  headersTimeoutMs: z.number().int().min(1_000).max(600_000).default(10_000),
  /** The operators' web dashboard at /dashboard (sign-in with an API key). */
  dashboard: z
    .strictObject({
      enabled: z.boolean().default(true),
      /** How long a dashboard sign-in lasts. */
      sessionTtlMinutes: z.number().int().min(1).max(7 * 24 * 60).default(480),
    })
    .default({ enabled: true, sessionTtlMinutes: 480 }),
});

const cacheSchema = z.strictObject({
  /** How long resolved entitlements stay cached per customer; 0 disables the cache. */
  ttlMs: z.number().int().min(0).default(5000),
  /** Most customers kept at once; the least recently used go first. */
  maxEntries: z.number().int().positive().default(10_000),
});

const forwarderSchema = z
  .strictObject({
    /** Run the forwarder inside `billhub serve` (turn off when forwarders run as their own processes). */
    enabled: z.boolean().default(true),
    /** Outbox rows one claim takes (grouped per provider into its own batch size). */
    batchSize: z.number().int().min(1, "must be at least 1").max(5000, "must be at most 5000").default(1000),
    /**
     * Claims in flight per process. More than one lets the forwarder overlap database work
     * (claiming, settling) with the wait for a provider's answer.
     */
    concurrency: z.number().int().min(1, "must be at least 1").max(64, "must be at most 64").default(4),
    /** Claims of a row before it is dead (each claim is one attempt, its quick retries included). */
    maxAttempts: z.number().int().min(1).max(1000).default(20),
    /** Extra tries inside one claim for events the provider answered retryable, before rescheduling them. */
    quickRetries: z.number().int().min(0).max(10).default(2),
    /** First backoff step; each attempt doubles it up to backoffCapMs, with jitter. */
    backoffBaseMs: z.number().int().min(0).default(1000),
    backoffCapMs: z.number().int().min(0).default(30 * 60_000),
    /**
     * How long a claim holds its rows. The heartbeat renews it every third of it while the push
     * runs, so a crashed forwarder's rows are due again within this time.
     */
    leaseMs: z.number().int().min(1000, "must be at least 1000 (milliseconds)").default(10_000),
    /** How often an idle forwarder looks for due rows. */
    pollIntervalMs: z.number().int().min(10).default(1000),
  })
  .refine((forwarder) => forwarder.backoffCapMs >= forwarder.backoffBaseMs, { message: "must be at least backoffBaseMs", path: ["backoffCapMs"] });

export const configSchema = z
  .strictObject({
    store: storeSchema.default(() => storeSchema.parse({})),
    provider: providerSchema.default(() => providerSchema.parse({})),
    ...providerSections,
    /** A catalog file path (JSON), or the catalog itself (kept as given: defineCatalog validates it). */
    catalog: z
      .union([z.string().min(1), z.custom<object>((v) => typeof v === "object" && v !== null && !Array.isArray(v), "must be a file path or a catalog object")])
      .optional(),
    server: serverSchema.default(() => serverSchema.parse({})),
    cache: cacheSchema.default(() => cacheSchema.parse({})),
    forwarder: forwarderSchema.default(() => forwarderSchema.parse({})),
    /** Threshold alerts' webhook endpoints and their delivery. */
    alerts: alertsConfigSchema.default(() => alertsConfigSchema.parse({})),
  })
  .superRefine((config, ctx) => {
    const used = providersReceivingUsage(config.provider);
    for (const definition of PROVIDERS) {
      if (definition.configSchema === null || !used.has(definition.id) || providerSection(config as HubConfig, definition) !== undefined) continue;
      const secret = Object.entries(definition.env).find(([, variable]) => variable.option === "secretKey")?.[0];
      ctx.addIssue({ code: "custom", path: [definition.id, "secretKey"], message: `is required when a customer's usage goes to ${definition.id}${secret === undefined ? "" : ` (set ${secret})`}` });
    }
    if (config.provider.mirror.includes(config.provider.default)) {
      ctx.addIssue({ code: "custom", path: ["provider", "mirror"], message: `must not include the default provider "${config.provider.default}"` });
    }
    if (new Set(config.provider.mirror).size !== config.provider.mirror.length) {
      ctx.addIssue({ code: "custom", path: ["provider", "mirror"], message: "lists a provider twice" });
    }
    const keys = config.server.apiKeys.map((k) => k.key);
    if (new Set(keys).size !== keys.length) {
      ctx.addIssue({ code: "custom", path: ["server", "apiKeys"], message: "lists the same key twice" });
    }
  });

/** What `createHub` and `billhub serve` take, before defaults. */
export type HubConfigInput = z.input<typeof configSchema>;
/** The validated config with every default filled in. */
export type HubConfig = z.output<typeof configSchema>;
