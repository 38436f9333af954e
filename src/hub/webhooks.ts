import { z } from "zod";
import type { ResolvePrice } from "../core/pricing/charge-pricing.ts";
import { parseWith } from "../core/validation.ts";
import { listPriceVersions, type PriceVersion } from "../store/webhooks/price-versions.ts";
import { subscriptionsOfCustomer, type SubscriptionRecord } from "../store/webhooks/provider-subscriptions.ts";
import { listWebhookEvents, WEBHOOK_OUTCOMES, type WebhookEventRecord, type WebhookOutcome } from "../store/webhooks/webhook-log.ts";
import {
  createWebhookHandler,
  resolvePriceAt,
  resolvePriceForPeriod,
  syncFlowgladCatalog,
  type CatalogSyncReport,
  type InvoiceCreatedHandler,
  type PriceResolverOptions,
  type WebhookDeps,
  type WebhookHandler,
} from "../webhooks/index.ts";
import type { HubContext } from "./context.ts";
import { parseCustomerId } from "./customer-input.ts";

export interface WebhooksApi {
  /**
   * The webhook routes as Web-standard handlers, `(request) => Promise<Response>`: what
   * `billhub serve` mounts at /webhooks/stripe and /webhooks/flowglad.
   * @example export const POST = hub.webhooks.stripe; // a Next.js route handler
   */
  readonly webhooks: {
    readonly stripe: WebhookHandler;
    readonly flowglad: WebhookHandler;
    /** The webhook log, newest first. @example await hub.webhooks.events({ outcome: "failed" }) */
    events(filter?: { provider?: string; outcome?: WebhookOutcome; limit?: number }): Promise<WebhookEventRecord[]>;
  };
  /** Pulls Flowglad's pricing model into the price history. @example await hub.syncFlowgladCatalog() */
  syncFlowgladCatalog(): Promise<CatalogSyncReport>;
  /**
   * The synced prices in effect at an instant, as `mapUsageToLineItems`'s `resolvePrice`.
   * @example mapUsageToLineItems(plan, usage, { resolvePrice: await hub.priceResolverAt(new Date()) })
   */
  priceResolverAt(at: Date, options?: PriceResolverOptions): Promise<ResolvePrice>;
  /** The prices that bill a period: those in effect at its last instant. @example await hub.priceResolverForPeriod({ start, end }) */
  priceResolverForPeriod(period: { start: Date; end: Date }, options?: PriceResolverOptions): Promise<ResolvePrice>;
  /** Versions of synced prices, oldest first. @example await hub.priceHistory({ lookupKey: "api_calls" }) */
  priceHistory(filter: { provider?: string; priceId?: string; lookupKey?: string }): Promise<PriceVersion[]>;
  /** The customer's provider subscriptions as last synced. @example await hub.providerSubscriptions("org_42") */
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

/** The webhook routes, the Flowglad catalog sync and the price history, built from the hub's context. */
export function createWebhooksApi(ctx: HubContext, options: WebhooksOptions): WebhooksApi {
  const outcomes = ctx.metrics.counter("billhub_webhook_events_total", "Webhook deliveries by provider and outcome");
  const deps: WebhookDeps = {
    store: ctx.store,
    catalog: ctx.catalog,
    now: ctx.now,
    providers: ctx.providers,
    onCustomerChanged: options.onCustomerChanged,
    countOutcome: (provider, outcome) => outcomes.inc({ provider, outcome }),
    onInvoiceCreated: options.onInvoiceCreated,
  };
  return {
    webhooks: {
      stripe: createWebhookHandler(deps, "stripe"),
      flowglad: createWebhookHandler(deps, "flowglad"),
      events: async (filter) => listWebhookEvents(ctx.store, parseWith(eventsFilterSchema, filter, "VALIDATION_FAILED", "filter")),
    },
    syncFlowgladCatalog: () => syncFlowgladCatalog(deps),
    priceResolverAt: (at, resolverOptions) => resolvePriceAt(ctx.store, at, resolverOptions),
    priceResolverForPeriod: (period, resolverOptions) => resolvePriceForPeriod(ctx.store, period, resolverOptions),
    priceHistory: (filter) => listPriceVersions(ctx.store, filter),
    providerSubscriptions: async (customerId) => subscriptionsOfCustomer(ctx.store, parseCustomerId(customerId)),
  };
}
