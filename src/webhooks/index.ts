import { createWebhookHandler as createHandler } from "./handler.ts";
import { resolvePriceAt as priceAt, resolvePriceForPeriod as priceForPeriod } from "./price-resolver.ts";
import { syncCatalog as sync } from "./sync-catalog.ts";

export { WEBHOOK_PROVIDERS, type WebhookHandler, type WebhookProvider } from "./handler.ts";
export { toNodeHandler } from "./node-handler.ts";
export type { DeliveryResult } from "./apply-event.ts";
export type { InvoiceCreated, InvoiceCreatedHandler, WebhookDeps } from "./deps.ts";
export type { PriceResolverOptions } from "./price-resolver.ts";
export type { CatalogSyncReport } from "./sync-catalog.ts";

// These take the hub's store, which is no longer part of the public hub; the hub's own members
// do the same work. Kept, deprecated, for one minor version.

/** @deprecated Use `hub.webhooks.<provider>` (`hub.webhooks.stripe`): the same handler, built on the hub's store. */
export const createWebhookHandler = createHandler;
/** @deprecated Use `hub.prices.resolverAt(at, options?)`. */
export const resolvePriceAt = priceAt;
/** @deprecated Use `hub.prices.resolverForPeriod(period, options?)`. */
export const resolvePriceForPeriod = priceForPeriod;
/** @deprecated Use `hub.prices.sync(provider)`. */
export const syncCatalog = sync;
