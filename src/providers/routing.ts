import type { HubConfig, ProviderId } from "../config/schema.ts";

/** Where one customer's usage goes: the provider that bills it and the ones that get a copy. */
export interface Route {
  primary: ProviderId;
  mirrors: ProviderId[];
}

/**
 * The providers a customer's usage is sent to: their route if one is configured, otherwise the
 * default, plus every mirror that is not already the primary (a customer routed to a provider
 * that is also a mirror gets one delivery there, as primary).
 *
 * @example
 * routeFor({ default: "stripe", routes: { cus_legacy: "flowglad" }, mirror: ["flowglad"] }, "cus_1")
 * // { primary: "stripe", mirrors: ["flowglad"] }
 * routeFor({ default: "stripe", routes: { cus_legacy: "flowglad" }, mirror: ["flowglad"] }, "cus_legacy")
 * // { primary: "flowglad", mirrors: [] }
 */
export function routeFor(providerConfig: HubConfig["provider"], customerId: string): Route {
  // hasOwn: a customer id such as "constructor" must not pick up an inherited property.
  const primary = Object.hasOwn(providerConfig.routes, customerId) ? providerConfig.routes[customerId]! : providerConfig.default;
  return { primary, mirrors: providerConfig.mirror.filter((provider) => provider !== primary) };
}
