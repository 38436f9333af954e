export { createWebhookHandler, WEBHOOK_PROVIDERS, type WebhookHandler, type WebhookProvider } from "./handler.ts";
export { toNodeHandler } from "./node-handler.ts";
export type { DeliveryResult } from "./apply-event.ts";
export type { InvoiceCreated, InvoiceCreatedHandler, WebhookDeps } from "./deps.ts";
export { resolvePriceAt, resolvePriceForPeriod, type PriceResolverOptions } from "./price-resolver.ts";
export { syncCatalog, type CatalogSyncReport } from "./sync-catalog.ts";
