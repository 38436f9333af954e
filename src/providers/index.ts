import { z } from "zod";
import type { AnyProviderDefinition, ProviderCapabilities } from "./define-provider.ts";
import { flowglad } from "./flowglad/index.ts";
import { lago } from "./lago/index.ts";
import { manual } from "./manual/index.ts";
import { metronome } from "./metronome/index.ts";
import { openmeter } from "./openmeter/index.ts";
import { orb } from "./orb/index.ts";
import { polar } from "./polar/index.ts";
import { stripe } from "./stripe/index.ts";

/**
 * The providers billhub ships, one definition each. Adding a provider is adding its folder and
 * one entry here: config sections, environment variables, webhook routes, outbox provider ids
 * and CLI targets are all built from this list. The first is the default provider.
 */
export const PROVIDERS = [manual, stripe, flowglad, metronome, orb, lago, openmeter, polar] as const;

export type ProviderDefinitions = typeof PROVIDERS;
/** A shipped provider's id. */
export type ProviderId = ProviderDefinitions[number]["id"];
export type { AnyProviderDefinition, ProviderCapabilities, ProviderDefinition } from "./define-provider.ts";

/**
 * The ids of the shipped providers that can do something, in list order.
 *
 * @example providerIdsWith("webhooks") // ["stripe", "flowglad", "metronome", "orb", "lago", "polar"]
 */
export function providerIdsWith(capability: keyof ProviderCapabilities): ProviderId[] {
  return PROVIDERS.filter((definition) => definition.capabilities[capability]).map((definition) => definition.id);
}

/** The environment variable that sets a provider's option (`secretKey` → `STRIPE_SECRET_KEY`), if one does. */
export function providerEnvName(definition: AnyProviderDefinition, option: string): string | undefined {
  return Object.entries(definition.env).find(([, variable]) => variable.option === option)?.[0];
}

/** A shipped provider's definition by id, or undefined for an id no provider has. */
export function providerDefinition(id: string): AnyProviderDefinition | undefined {
  return (PROVIDERS as readonly AnyProviderDefinition[]).find((definition) => definition.id === id);
}

/**
 * A zod enum of the ids of the providers that can do something, for request fields that name one.
 *
 * @example providerIdEnum("pushUsage").parse("stripe") // "stripe"
 */
export function providerIdEnum(capability: keyof ProviderCapabilities, params?: Parameters<typeof z.enum>[1]) {
  return z.enum(providerIdsWith(capability) as [ProviderId, ...ProviderId[]], params);
}

/** The ids of the shipped providers whose definition declares a capability, as a type. */
export type ProviderIdWith<Capability extends keyof ProviderCapabilities> = Extract<ProviderDefinitions[number], { capabilities: { readonly [K in Capability]: true } }>["id"];
