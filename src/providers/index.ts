import { flowglad } from "./flowglad/index.ts";
import { manual } from "./manual/index.ts";
import { stripe } from "./stripe/index.ts";

/**
 * The providers billhub ships, one definition each. Adding a provider is adding its folder and
 * one entry here: config sections, environment variables, webhook routes, outbox provider ids
 * and CLI targets are all built from this list. The first is the default provider.
 */
export const PROVIDERS = [manual, stripe, flowglad] as const;

export type ProviderDefinitions = typeof PROVIDERS;
/** A shipped provider's id. */
export type ProviderId = ProviderDefinitions[number]["id"];
export type { ProviderCapabilities, ProviderDefinition } from "./define-provider.ts";
