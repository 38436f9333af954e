import { z } from "zod";
import type { LimiterClock } from "./request-limiter.ts";
import type { BillingProvider } from "./types.ts";

/**
 * What a provider can do, declared once in its definition. The rest of billhub asks these
 * questions ("does this provider take usage? send webhooks?") instead of comparing ids.
 */
export interface ProviderCapabilities {
  /** Usage leaves billhub for this provider: the ledger queues outbox rows and the forwarder pushes them. */
  pushUsage: boolean;
  /** Verifies and parses webhooks (`parseWebhook`); billhub mounts `/webhooks/<id>`. */
  webhooks: boolean;
  /** Re-reads objects (`readObject`) when a webhook cannot be trusted to carry them. */
  readObjects: boolean;
  /** Keeps a catalog billhub pulls (`pullCatalog`; `billhub sync <id>`). */
  pullCatalog: boolean;
  /** Takes items on its invoices (`invoiceItems`) for charges its meters cannot bill. */
  invoiceItems: boolean;
  /** Reports its own usage totals (`readUsageTotal`; `billhub reconcile --provider <id>`). */
  reconcile: boolean;
  /** Creates the customer at the provider (`createCustomer`; `POST /v1/customers/:id/provider-customer`). */
  createCustomers: boolean;
  /** Starts a hosted checkout for a plan (`startCheckout`; `POST /v1/customers/:id/checkout`). */
  checkout: boolean;
  /** Opens the provider's customer portal (`openPortal`; `POST /v1/customers/:id/portal`). */
  portal: boolean;
}

/** How one environment variable sets one option of a provider's config section. */
export interface ProviderEnvVariable {
  /** The option inside the provider's section, e.g. `secretKey`. */
  option: string;
  type: "string" | "integer" | "decimal";
}

/** What the registry hands a provider's `create`. */
export interface ProviderDeps<Client> {
  /** The clock usage windows and webhook ages are checked against. */
  now: () => Date;
  /** The clock request limiters pace by (tests pass one that skips the waits). */
  limiterClock?: LimiterClock | undefined;
  /** An SDK client to use instead of one built from config (e.g. with a custom HTTP client). */
  client?: Client | undefined;
}

/** How a provider's config section maps the catalog's meters, for the start-up check. */
export interface ProviderMeterMapping {
  /** Catalog meter key → the provider's meter. */
  meters: Readonly<Record<string, unknown>>;
  /** How to add a mapping, for the error message. */
  mappingExample: string;
  /**
   * Whether usage of a charge on a meter this provider is not sent is still billed, and how to
   * make it so when not.
   */
  billedUnmapped(chargeKey: string, options: { ownInvoiceHandler: boolean }): { billed: true } | { billed: false; hint: string };
}

/** A provider's validated config section: what its schema outputs (undefined for a provider without one). */
export type ProviderConfigOf<Schema> = Schema extends z.ZodType ? z.output<Schema> : undefined;

/** Invoice-items billing as a provider's section configures it (see `invoiceItems` capability). */
export interface ProviderInvoiceItemSettings {
  /** Charge keys billed as items; undefined = every charge on a meter the provider is not sent, and the true-up. */
  charges: readonly string[] | undefined;
  /** The option that lists them, for messages (`stripe.invoiceItems.charges`). */
  chargesOption: string;
  /**
   * Also bill usage of metered charges the provider refused as too old (outbox rows dead with
   * `errorCode`); `description` ends such a line ("units older than 35 days that ...").
   */
  tooOldUsage: { errorCode: string; description: string } | null;
}

/**
 * One provider: its id, config section, environment variables, capabilities and factory.
 * Everything billhub builds per provider (config schema, environment, webhook routes, outbox
 * provider ids, CLI targets) is built from the list of these in `src/providers/index.ts`.
 */
export interface ProviderDefinition<Id extends string = string, Schema extends z.ZodType | null = z.ZodType | null, Client = unknown, Capabilities extends ProviderCapabilities = ProviderCapabilities> {
  readonly id: Id;
  /** How people write the provider's name in messages and docs ("Stripe"). */
  readonly displayName: string;
  /** The provider's config section (`config[id]`); null for a provider that needs no settings. */
  readonly configSchema: Schema;
  /** Environment variables that set options of the section, by name. */
  readonly env: Readonly<Record<string, ProviderEnvVariable>>;
  readonly capabilities: Readonly<Capabilities>;
  /** The section's catalog meter mapping, for providers whose sections map meters. */
  meterMapping?(config: ProviderConfigOf<Schema>): ProviderMeterMapping;
  /** How often `billhub serve` pulls the provider's catalog (0 = never), for providers that keep one. */
  catalogSyncIntervalMs?(config: ProviderConfigOf<Schema>): number;
  /** Invoice-items billing settings of the provider's section, when it enables it (providers that declare `invoiceItems`). */
  invoiceItemSettings?(config: ProviderConfigOf<Schema>): ProviderInvoiceItemSettings | undefined;
  /** Paragraphs of the CLI's help about what this provider does for a command. */
  readonly help?: { readonly sync?: string; readonly reconcile?: string };
  /** Builds the provider from its validated section (undefined when it has none). */
  create(config: ProviderConfigOf<Schema>, deps: ProviderDeps<Client>): BillingProvider;
}

/** Any provider definition, as the registry and the config builder handle them. */
export type AnyProviderDefinition = ProviderDefinition<string, z.ZodType | null, never>;

/**
 * Declares a provider. The id and capabilities are kept as literal types, so config sections,
 * routes and `hub.webhooks.<id>` are typed by them.
 *
 * @example
 * export const manual = defineProvider({ id: "manual", displayName: "Manual", configSchema: null, env: {},
 *   capabilities: { pushUsage: false, webhooks: false, readObjects: false, pullCatalog: false, invoiceItems: false, reconcile: false,
 *     createCustomers: false, checkout: false, portal: false },
 *   create: () => createManualProvider() });
 */
export function defineProvider<const Id extends string, Schema extends z.ZodType | null, Client = never, const Capabilities extends ProviderCapabilities = ProviderCapabilities>(
  definition: ProviderDefinition<Id, Schema, Client, Capabilities>,
): ProviderDefinition<Id, Schema, Client, Capabilities> {
  return definition;
}

/**
 * How fast billhub may send to one provider, as config options. Both are optional: when left out,
 * the provider adapter applies the provider's documented limit.
 */
export const sendLimitsSchema = {
  /** Requests per second to the provider at most (fractions allowed, e.g. 0.5 = one every 2 s). */
  maxRequestsPerSecond: z.number().positive("must be a number above 0").optional(),
  /** Requests to the provider in flight at once, at most. */
  maxInFlight: z.number().int("must be a whole number").min(1, "must be at least 1").max(1024, "must be at most 1024").optional(),
};

/** Meter keys are the catalog's; each provider section maps them to its own meters. */
export const meterKeySchema = z.string().min(1);
