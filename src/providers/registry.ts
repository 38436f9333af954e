import { PROVIDER_IDS, providerSection, type HubConfig, type ProviderId } from "../config/schema.ts";
import { BillingError, listKeys } from "../core/errors.ts";
import type { AnyProviderDefinition, ProviderCapabilities } from "./define-provider.ts";
import { PROVIDERS, providerDefinition, type ProviderDefinitions } from "./index.ts";
import type { LimiterClock } from "./request-limiter.ts";
import { routeFor } from "./routing.ts";
import type { BillingProvider } from "./types.ts";

/** A provider the registry built, known by one of the shipped ids. */
export type RegisteredProvider = BillingProvider & { readonly id: ProviderId };

/** SDK clients by provider id, each of the type its definition's `create` takes. */
export type ProviderClients = {
  [D in ProviderDefinitions[number] as D["id"]]?: D extends { create(config: never, deps: { client?: infer Client }): unknown } ? Exclude<Client, undefined> : never;
};

export interface ProviderRegistryOptions {
  /** The clock providers check usage windows and webhook ages against. */
  now?: () => Date;
  /** SDK clients to use instead of building them from config (e.g. with a custom HTTP client). */
  clients?: ProviderClients;
  /** The clock the providers' request limiters pace by (tests pass one that skips the waits). */
  limiterClock?: LimiterClock;
  /** Providers built elsewhere; each replaces the built-in provider with the same id. */
  providers?: readonly BillingProvider[];
}

/** Where one customer's usage goes. */
export interface ProviderRoute {
  /** The provider that bills the customer. */
  primary: RegisteredProvider;
  /**
   * Providers that receive a copy during a migration. Each gets its own delivery (its own outbox
   * row), so a mirror that fails or lags never holds back the primary.
   */
  mirrors: RegisteredProvider[];
}

export interface ProviderRegistry {
  /** Every configured provider, by id: those without a config section always, the others when their section is set. */
  readonly providers: ReadonlyMap<ProviderId, RegisteredProvider>;
  /** One provider by id; an id that is not configured throws UNKNOWN_PROVIDER naming the configured ones. */
  get(id: string): RegisteredProvider;
  /** The configured providers that can do something, in the order of the list of definitions. */
  withCapability(capability: keyof ProviderCapabilities): RegisteredProvider[];
  /** The customer's primary provider (their route, else the default) and the mirrors. */
  routeFor(customerId: string): ProviderRoute;
}

/**
 * Builds the providers from config and answers where each customer's usage goes. Everything is
 * checked here, at start-up: an unknown or duplicate provider id, or a routed provider without
 * its config section, fails before any usage is accepted.
 *
 * @example
 * const registry = createProviderRegistry(parseConfig({ provider: { default: "stripe", routes: { legacy_co: "flowglad" } }, stripe, flowglad }));
 * registry.routeFor("legacy_co").primary.id // "flowglad"
 */
export function createProviderRegistry(config: HubConfig, options: ProviderRegistryOptions = {}): ProviderRegistry {
  const now = options.now ?? (() => new Date());
  const providers = new Map<ProviderId, RegisteredProvider>();
  for (const definition of PROVIDERS as readonly AnyProviderDefinition[]) {
    const section = definition.configSchema === null ? undefined : providerSection(config, definition as ProviderDefinitions[number]);
    if (definition.configSchema !== null && section === undefined) continue;
    const client = (options.clients as Readonly<Record<string, never>> | undefined)?.[definition.id];
    const provider = definition.create(section as never, { now, limiterClock: options.limiterClock, client });
    providers.set(definition.id as ProviderId, provider as RegisteredProvider);
  }

  const injected = new Set<string>();
  for (const provider of options.providers ?? []) {
    if (!isProviderId(provider.id)) {
      throw new BillingError("CONFIG_INVALID", `Invalid configuration: unknown provider id ${JSON.stringify(provider.id)}; valid: ${listKeys(PROVIDER_IDS)}`, { field: "providers" });
    }
    if (injected.has(provider.id)) {
      throw new BillingError("CONFIG_INVALID", `Invalid configuration: two providers registered with id ${JSON.stringify(provider.id)}`, { field: "providers" });
    }
    injected.add(provider.id);
    providers.set(provider.id, provider as RegisteredProvider);
  }

  const resolve = (id: string, field: string): RegisteredProvider => {
    if (!isProviderId(id)) {
      throw new BillingError("CONFIG_INVALID", `Invalid configuration: ${field} names unknown provider ${JSON.stringify(id)}; valid: ${listKeys(PROVIDER_IDS)}`, { field });
    }
    const provider = providers.get(id);
    if (provider === undefined) {
      throw new BillingError("CONFIG_INVALID", `Invalid configuration: ${field} routes usage to ${id}, but the ${id} section (${id}.secretKey) is not configured`, { field: `${id}.secretKey` });
    }
    return provider;
  };

  // Every routed provider must be configured: checked here, at start-up, not at first use.
  resolve(config.provider.default, "provider.default");
  for (const [customerId, id] of Object.entries(config.provider.routes)) resolve(id, `provider.routes.${customerId}`);
  config.provider.mirror.forEach((id, index) => resolve(id, `provider.mirror.${index}`));

  return {
    providers,
    get(id) {
      const provider = isProviderId(id) ? providers.get(id) : undefined;
      if (provider === undefined) {
        throw new BillingError("UNKNOWN_PROVIDER", `Unknown provider ${JSON.stringify(id)}; configured: ${listKeys(providers.keys())}`, { field: "provider", details: { configured: [...providers.keys()].sort() } });
      }
      return provider;
    },
    withCapability(capability) {
      return PROVIDER_IDS.flatMap((id) => {
        const provider = providers.get(id);
        return provider !== undefined && providerDefinition(id)!.capabilities[capability] ? [provider] : [];
      });
    },
    routeFor(customerId) {
      const route = routeFor(config.provider, customerId);
      return { primary: providers.get(route.primary)!, mirrors: route.mirrors.map((id) => providers.get(id)!) };
    },
  };
}

function isProviderId(id: string): id is ProviderId {
  return (PROVIDER_IDS as readonly string[]).includes(id);
}
