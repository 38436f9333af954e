import type { Store } from "../store/types.ts";
import type { HubContext } from "./context.ts";

// The hub's store is no part of its public type: the server and the CLI's maintenance commands
// reach it through this key, which the package does not export.
const STORE = Symbol("billhub.store");

/** Attaches the store to the hub object, not enumerable and under a key only this module knows. */
export function attachStore<T extends object>(hub: T, store: Store): T {
  Object.defineProperty(hub, STORE, { value: store, enumerable: false, writable: false });
  return hub;
}

/** The store a hub built by `createHub` works on (for billhub's own maintenance commands and tests). */
export function storeOf(hub: object): Store {
  const store = (hub as { [STORE]?: Store })[STORE];
  if (store === undefined) throw new TypeError("Not a hub built by createHub: it has no store");
  return store;
}

/** The context a hub's areas were built from (tests build an area of their own from a hub). */
export function contextOf(hub: { config: HubContext["config"]; catalog: HubContext["catalog"]; now: HubContext["now"]; metrics: HubContext["metrics"]; providers: HubContext["providers"] }): HubContext {
  return { config: hub.config, store: storeOf(hub), catalog: hub.catalog, now: hub.now, metrics: hub.metrics, providers: hub.providers };
}
