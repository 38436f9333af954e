import { parseConfig } from "./config/load.ts";
import type { HubConfig, HubConfigInput } from "./config/schema.ts";
import type { HubContext } from "./hub/context.ts";
import { createActivityApi, type ActivityApi } from "./hub/activity.ts";
import { createAlertFirer } from "./hub/alerts/fire-alerts.ts";
import { createAlertsApi, type AlertSenderOptions, type AlertsApi } from "./hub/alerts/index.ts";
import { createCreditsApi, type CreditsApi } from "./hub/credits/credits-api.ts";
import { createCustomersApi } from "./hub/customers.ts";
import { createEntitlementCache } from "./hub/entitlement-cache.ts";
import type { EntitlementHooks } from "./hub/entitlement-hooks.ts";
import { createEntitlementResolver } from "./hub/entitlement-resolver.ts";
import { createEntitlementsApi, type EntitlementsApi } from "./hub/entitlements.ts";
import { createInvoicesApi } from "./hub/invoices.ts";
import { createInvoiceItemsBilling, invoiceItemSettings } from "./hub/invoicing/invoice-items.ts";
import { createLedger, type LedgerApi } from "./hub/ledger.ts";
import { createLimitAdjustmentsApi } from "./hub/limit-adjustments.ts";
import { resolveCatalog } from "./config/catalog-source.ts";
import { checkMeterMappings } from "./config/meter-mappings.ts";
import { checkAlertEndpoints } from "./config/alert-endpoints.ts";
import type { Catalog } from "./core/catalog/index.ts";
import { createMetrics, type Metrics } from "./hub/metrics.ts";
import { createOutboxApi, type ForwarderOptions, type OutboxApi } from "./hub/outbox.ts";
import { createReconcileApi, type ReconcileApi } from "./hub/reconcile.ts";
import { traceHub } from "./hub/traced-hub.ts";
import { groupAreaMethods, type DeprecatedHubMembers, type HubNamespaces } from "./hub/namespaces.ts";
import { attachStore } from "./hub/hub-internals.ts";
import { createHostedPagesApi, upsertCreatingAtProvider } from "./hub/hosted-pages.ts";
import { createWebhooksApi, type WebhooksApi } from "./hub/webhooks.ts";
import { createProviderRegistry, type ProviderRegistry, type ProviderRegistryOptions } from "./providers/registry.ts";
import type { InvoiceCreatedHandler } from "./webhooks/index.ts";
import { migrate, pendingMigrations, type MigrationReport } from "./store/migrate.ts";
import { ensureLedgerPartitions } from "./store/ledger/partitions.ts";
import { openStore } from "./store/open.ts";
import type { Store } from "./store/types.ts";

export interface HubOptions {
  /** An already-open store to use instead of opening one from config; the hub will not close it. */
  store?: Store;
  /** The clock (tests pin it); defaults to the system clock. */
  now?: () => Date;
  /** Your own rules around entitlements: an authorize rule, before- and after-consume hooks. */
  hooks?: EntitlementHooks;
  /** Provider SDK clients to use instead of building them from config (e.g. with a custom HTTP client). */
  clients?: ProviderRegistryOptions["clients"];
  /**
   * Receives each Stripe `invoice.created` event (a draft invoice) for invoice-items billing of
   * your own; with `stripe.invoiceItems.enabled` it runs after billhub's. Must be idempotent by
   * invoice id; without any handler the events are logged `unhandled`.
   */
  onInvoiceCreated?: InvoiceCreatedHandler;
  /** How this hub's forwarder names itself in the outbox (`claimed_by`), waits and reports problems. */
  forwarder?: ForwarderOptions;
  /** How this hub's alert sender names itself, signs (its wall clock) and sends (its fetch). */
  alertSender?: AlertSenderOptions;
  /** The clock the providers' request limiters pace by (rate and Retry-After waits); tests pass one that skips them. */
  limiterClock?: ProviderRegistryOptions["limiterClock"];
}

/**
 * The hub. Namespaced: `hub.customers`, `hub.invoices`, `hub.ledger`, `hub.prices`, `hub.credits`,
 * `hub.alerts`, `hub.outbox`, `hub.webhooks`; what a request handler calls stays flat (`record`,
 * `recordBatch`, `adjust`, `usage`, `check`, `can`, `consume`, `limit`, `entitlements`), with
 * `reconcile` and `activity`. The flat members of earlier versions (`upsertCustomer`,
 * `previewInvoice`, ...) remain as deprecated aliases of the namespaced ones for one minor version.
 */
export interface Hub
  extends Pick<LedgerApi, "record" | "recordBatch" | "adjust" | "usage">,
    EntitlementsApi,
    ReconcileApi,
    ActivityApi,
    HubNamespaces,
    OutboxApi,
    AlertsApi,
    DeprecatedHubMembers {
  /**
   * The webhook routes as Web-standard handlers, one per provider that sends webhooks, and the webhook log.
   * @example export const POST = hub.webhooks.stripe; // a Next.js route handler
   */
  readonly webhooks: WebhooksApi["webhooks"];
  readonly config: HubConfig;
  readonly catalog: Catalog;
  readonly now: () => Date;
  readonly metrics: Metrics;
  /** Prepaid credit: grants of money or feature units, balances, history and upcoming expiries. */
  readonly credits: CreditsApi;
  /** The configured providers (manual always; stripe and flowglad when configured). */
  readonly providers: ProviderRegistry;
  /** Applies pending migrations (start-up does this unless `store.migrate` is false). */
  migrate(): Promise<MigrationReport>;
  /**
   * Store reachable and schema current: what `/readyz` reports. Answers within `deadlineMs`
   * (default 2 s) whatever the database does: a store that has not answered by then is not ready.
   */
  ready(deadlineMs?: number): Promise<{ ok: boolean; pendingMigrations: string[]; error?: string }>;
  close(): Promise<void>;
}

/** Invoice-items billing first (when configured), then the caller's own handler. */
function bothHandlers(first: InvoiceCreatedHandler | undefined, second: InvoiceCreatedHandler | undefined): InvoiceCreatedHandler | undefined {
  if (first === undefined || second === undefined) return first ?? second;
  return async (event) => {
    await first(event);
    await second(event);
  };
}

/**
 * Builds a hub from config: opens the store (PostgreSQL when `store.url` is set, embedded PGlite
 * otherwise), applies migrations and wires the areas together.
 *
 * @example
 * const hub = await createHub({ store: { dataDir: "memory://" } });
 * await hub.close();
 */
export async function createHub(input: HubConfigInput = {}, options: HubOptions = {}): Promise<Hub> {
  const config = parseConfig(input);
  const catalog = resolveCatalog(config.catalog);
  const now = options.now ?? (() => new Date());
  const invoiceItems = invoiceItemSettings(config, catalog);
  checkMeterMappings(config, catalog, { ownInvoiceHandler: options.onInvoiceCreated !== undefined });
  checkAlertEndpoints(config, catalog);
  const providers = createProviderRegistry(config, { now, ...(options.clients === undefined ? {} : { clients: options.clients }), ...(options.limiterClock === undefined ? {} : { limiterClock: options.limiterClock }) });
  const store = options.store ?? (await openStore(config.store));
  const ownsStore = options.store === undefined;
  try {
    if (config.store.migrate) {
      await migrate(store);
      await ensureLedgerPartitions(store);
    }
  } catch (error) {
    if (ownsStore) await store.close();
    throw error;
  }
  const ctx: HubContext = { config, store, catalog, now, metrics: createMetrics(), providers };
  const cache = createEntitlementCache({ ttlMs: config.cache.ttlMs, maxEntries: config.cache.maxEntries, now: ctx.now });
  const resolver = createEntitlementResolver(ctx, cache);
  const onInvoiceCreated = bothHandlers(invoiceItems && createInvoiceItemsBilling(ctx, invoiceItems), options.onInvoiceCreated);
  const outbox = createOutboxApi(ctx, options.forwarder);
  const alertFirer = createAlertFirer(ctx, resolver);
  const alerts = createAlertsApi(ctx, alertFirer, options.alertSender);
  const customers = createCustomersApi(ctx, cache);
  const hostedPages = createHostedPagesApi(ctx);
  if (config.provider.createCustomers === true) customers.upsertCustomer = upsertCreatingAtProvider(ctx, customers.upsertCustomer, hostedPages.createProviderCustomer);
  let closed = false;
  // Traced once here; the namespaces and the deprecated flat names share these functions.
  const traced = traceHub({
    ...createLedger(ctx, alertFirer),
    ...customers,
    ...createLimitAdjustmentsApi(ctx, cache),
    ...createEntitlementsApi(ctx, resolver, options.hooks ?? {}, alertFirer),
    ...createInvoicesApi(ctx, alertFirer),
    ...createWebhooksApi(ctx, { onCustomerChanged: (customerId) => cache.invalidate(customerId), onInvoiceCreated }),
    ...createReconcileApi(ctx),
    ...createActivityApi(ctx),
    ...hostedPages,
  });
  const hub: Hub = {
    record: traced.record,
    recordBatch: traced.recordBatch,
    adjust: traced.adjust,
    usage: traced.usage,
    check: traced.check,
    can: traced.can,
    consume: traced.consume,
    limit: traced.limit,
    entitlements: traced.entitlements,
    reconcile: traced.reconcile,
    activity: traced.activity,
    ...groupAreaMethods(traced),
    webhooks: traced.webhooks,
    outbox: outbox.outbox,
    alerts: alerts.alerts,
    credits: createCreditsApi(ctx, resolver),
    config: ctx.config,
    catalog: ctx.catalog,
    now: ctx.now,
    metrics: ctx.metrics,
    providers: ctx.providers,
    migrate: () => migrate(store),
    async ready(deadlineMs = 2_000) {
      let timer: NodeJS.Timeout | undefined;
      const deadline = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`The store did not answer within ${deadlineMs} ms`)), deadlineMs);
      });
      try {
        const pending = await Promise.race([pendingMigrations(store), deadline]);
        return { ok: pending.length === 0, pendingMigrations: pending };
      } catch (error) {
        return { ok: false, pendingMigrations: [], error: (error as Error).message };
      } finally {
        clearTimeout(timer);
      }
    },
    async close() {
      if (closed) return;
      closed = true;
      // Running drains finish and settle their current claim before the store goes away.
      await outbox.stop();
      await alerts.stop();
      if (ownsStore) await store.close();
    },
  };
  return attachStore(hub, store);
}
