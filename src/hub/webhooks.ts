import { z } from "zod";
import { grantPurchase } from "./credits/purchases.ts";
import type { ResolvePrice } from "../core/pricing/charge-pricing.ts";
import { parseWith } from "../core/validation.ts";
import { listPriceVersions, type PriceVersion } from "../store/webhooks/price-versions.ts";
import { subscriptionsOfCustomer, type SubscriptionRecord } from "../store/webhooks/provider-subscriptions.ts";
import { listWebhookEvents, WEBHOOK_OUTCOMES, type WebhookEventRecord, type WebhookOutcome } from "../store/webhooks/webhook-log.ts";
import { createWebhookHandler, WEBHOOK_PROVIDERS, type WebhookHandler, type WebhookProvider } from "../webhooks/handler.ts";
import type { InvoiceCreatedHandler, WebhookDeps } from "../webhooks/deps.ts";
import { resolvePriceAt, resolvePriceForPeriod, type PriceResolverOptions } from "../webhooks/price-resolver.ts";
import { syncCatalog, type CatalogSyncReport } from "../webhooks/sync-catalog.ts";
import { providerIdsWith, type ProviderIdWith } from "../providers/index.ts";
import type { HubContext } from "./context.ts";
import { parseCustomerId } from "./customer-input.ts";
import { traced } from "./tracing.ts";

export interface WebhooksApi {
  /**
   * The webhook routes as Web-standard handlers, `(request) => Promise<Response>`: what
   * `billhub serve` mounts at /webhooks/<provider>, one per provider that sends webhooks.
   * @example export const POST = hub.webhooks.stripe; // a Next.js route handler
   */
  readonly webhooks: { readonly [P in WebhookProvider]: WebhookHandler } & {
    /** The webhook log, newest first. @example await hub.webhooks.events({ outcome: "failed" }) */
    events(filter?: { provider?: string; outcome?: WebhookOutcome; limit?: number }): Promise<WebhookEventRecord[]>;
  };
  /**
   * Pulls a provider's catalog into the price history, for providers that keep one (`pullCatalog`).
   * @example await hub.prices.sync("flowglad")
   */
  syncCatalog(provider: CatalogProvider): Promise<CatalogSyncReport>;
  /**
   * The synced prices in effect at an instant, as `mapUsageToLineItems`'s `resolvePrice`.
   * @example mapUsageToLineItems(plan, usage, { resolvePrice: await hub.prices.resolverAt(new Date()) })
   */
  priceResolverAt(at: Date, options?: PriceResolverOptions): Promise<ResolvePrice>;
  /** The prices that bill a period: those in effect at its last instant. @example await hub.prices.resolverForPeriod({ start, end }) */
  priceResolverForPeriod(period: { start: Date; end: Date }, options?: PriceResolverOptions): Promise<ResolvePrice>;
  /** Versions of synced prices, oldest first. @example await hub.prices.history({ lookupKey: "api_calls" }) */
  priceHistory(filter: { provider?: string; priceId?: string; lookupKey?: string }): Promise<PriceVersion[]>;
  /** The customer's provider subscriptions as last synced. @example await hub.customers.subscriptions("org_42") */
  providerSubscriptions(customerId: string): Promise<SubscriptionRecord[]>;
}

const eventsFilterSchema = z
  .strictObject({
    provider: z.string().min(1).optional(),
    outcome: z.enum(WEBHOOK_OUTCOMES).optional(),
    limit: z.number().int().min(1).max(1000).optional(),
  })
  .default({});

export interface WebhooksOptions {
  /** Drops a customer's cached entitlements after a webhook changed their plan. */
  onCustomerChanged: (customerId: string) => void;
  onInvoiceCreated: InvoiceCreatedHandler | undefined;
}

/** A provider whose catalog billhub pulls. */
export type CatalogProvider = ProviderIdWith<"pullCatalog">;

/**
 * `sync<Provider>Catalog()` for each provider that keeps a catalog (`hub.syncFlowgladCatalog()`),
 * the same as `hub.prices.sync(<provider>)`.
 * @deprecated Use `hub.prices.sync("<provider>")`.
 */
export type CatalogSyncMethods = { readonly [P in CatalogProvider as `sync${Capitalize<P>}Catalog`]: () => Promise<CatalogSyncReport> };

/** The webhook routes, the catalog syncs and the price history, built from the hub's context. */
export function createWebhooksApi(ctx: HubContext, options: WebhooksOptions): WebhooksApi & CatalogSyncMethods {
  const outcomes = ctx.metrics.counter("billhub_webhook_events_total", "Webhook deliveries by provider and outcome");
  const deps: WebhookDeps = {
    store: ctx.store,
    catalog: ctx.catalog,
    now: ctx.now,
    providers: ctx.providers,
    onCustomerChanged: options.onCustomerChanged,
    countOutcome: (provider, outcome) => outcomes.inc({ provider, outcome }),
    onInvoiceCreated: options.onInvoiceCreated,
    onCreditPurchase: (event) => grantPurchase(ctx, event),
  };
  return {
    webhooks: {
      ...(Object.fromEntries(WEBHOOK_PROVIDERS.map((provider) => [provider, tracedWebhookHandler(provider, createWebhookHandler(deps, provider))])) as { [P in WebhookProvider]: WebhookHandler }),
      events: async (filter) => listWebhookEvents(ctx.store, parseWith(eventsFilterSchema, filter, "VALIDATION_FAILED", "filter")),
    },
    syncCatalog: (provider) => syncCatalog(deps, provider),
    ...(Object.fromEntries(providerIdsWith("pullCatalog").map((provider) => [`sync${provider[0]!.toUpperCase()}${provider.slice(1)}Catalog`, () => syncCatalog(deps, provider)])) as CatalogSyncMethods),
    priceResolverAt: (at, resolverOptions) => resolvePriceAt(ctx.store, at, resolverOptions),
    priceResolverForPeriod: (period, resolverOptions) => resolvePriceForPeriod(ctx.store, period, resolverOptions),
    priceHistory: (filter) => listPriceVersions(ctx.store, filter),
    providerSubscriptions: async (customerId) => subscriptionsOfCustomer(ctx.store, parseCustomerId(customerId)),
  };
}

/** A provider's webhook handler inside a `billhub.webhook` span carrying the provider and the status answered. */
function tracedWebhookHandler(provider: string, handler: WebhookHandler): WebhookHandler {
  return (request) => traced("billhub.webhook", { "billhub.provider": provider }, () => handler(request), (response) => ({ "http.response.status_code": response.status }));
}
