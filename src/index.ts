/**
 * `billhub`: the hub (`createHub`), its config, errors and the types of what it takes and
 * answers. Functions that work inside a store transaction and the store's own rows are not part
 * of it. Other entry points: `billhub/pricing` (catalog and line items, no database),
 * `billhub/server` (the REST API to mount), `billhub/client` (a typed client of that API) and
 * `billhub/webhooks`.
 */
export { createHub, type Hub, type HubOptions } from "./hub.ts";
export type { HubCustomers, HubInvoices, HubLedger, HubPrices } from "./hub/namespaces.ts";
export { BillingError, ERROR_CODES, isBillingError, type BillingErrorCode } from "./core/errors.ts";
export { loadConfig, parseConfig, configFromEnv, ENV_OPTIONS } from "./config/load.ts";
export { type HubConfig, type HubConfigInput, PROVIDER_IDS, type ProviderId } from "./config/schema.ts";
export { currencyExponent, toMinorUnits, formatMinorUnits } from "./core/money.ts";
export type { Store } from "./store/types.ts";
export { defineCatalog, type Catalog, type CatalogInput, type Plan, type Feature, type Meter, type Grant } from "./core/catalog/index.ts";
export { createProviderRegistry, type ProviderRegistry, type ProviderRegistryOptions, type ProviderRoute } from "./providers/registry.ts";
export { createStripeProvider, type StripeProvider, type StripeProviderOptions } from "./providers/stripe/provider.ts";
export { createStripeClient } from "./providers/stripe/client.ts";
export { createFlowgladProvider, type FlowgladProvider, type FlowgladProviderOptions } from "./providers/flowglad/provider.ts";
export { createFlowgladClient, type FlowgladAdminClient } from "./providers/flowglad/client.ts";
export { createManualProvider } from "./providers/manual/provider.ts";
export { createMetronomeProvider, type MetronomeProvider, type MetronomeProviderOptions } from "./providers/metronome/provider.ts";
export { createMetronomeClient, type MetronomeClient } from "./providers/metronome/client.ts";
export { createOpenMeterProvider, type OpenMeterProvider, type OpenMeterProviderOptions } from "./providers/openmeter/provider.ts";
export { createOpenMeterClient, type OpenMeterClient } from "./providers/openmeter/client.ts";
export { createPolarProvider, type PolarProvider, type PolarProviderOptions } from "./providers/polar/provider.ts";
export { createPolarClient, type PolarClient } from "./providers/polar/client.ts";
export type {
  BillingProvider,
  ProviderUsageEvent,
  PushOutcome,
  CustomerRef,
  WebhookDelivery,
  ProviderChange,
  ProviderCatalog,
} from "./providers/types.ts";
export type { FlowgladCustomerBilling, FlowgladPricingModel } from "./providers/flowglad/types.ts";
export { mapUsageToLineItems, LINE_ROUNDING_MODES, type MapUsageOptions, type LineRoundingMode } from "./core/pricing/map-usage-to-line-items.ts";
export { preparePlan, pricingPlanSchema, type PreparedPlan, type PricingPlanInput } from "./core/pricing/prepare-plan.ts";
export {
  chargeSchema, minimumCommitmentSchema, priceRefSchema, CHARGE_MODELS,
  type Charge, type ChargeInput, type ChargeModel, type MinimumCommitment, type PriceRef,
} from "./core/pricing/charge-schema.ts";
export type { LineItem, LineItemTier, PricedUsage } from "./core/pricing/line-item.ts";
export type { UsageInput, MeterUsageInput } from "./core/pricing/usage-input.ts";
export type { ResolvePrice } from "./core/pricing/charge-pricing.ts";
export { resolvedPriceSchema, type ResolvedPrice, type ResolvedPriceInput } from "./core/pricing/resolved-price.ts";
export { stripePriceToResolvedPrice, type StripePriceLike } from "./providers/stripe/price.ts";
export { MAX_BATCH, type LedgerApi, type ClosePeriodInput } from "./hub/ledger.ts";
export type {
  UsageEventInput,
  AdjustmentInput,
  UsageEvent,
  UsageKind,
  RecordResult,
  UsageQuery,
  UsageResult,
  UsageReset,
  WindowInput,
  Stats,
  StatsBucket,
  StatsQuery,
  StatsGroupBy,
  BatchStatsQuery,
  ListEventsQuery,
  EventPage,
} from "./hub/ledger.ts";
export { routeFor, type Route } from "./providers/routing.ts";
export type { Customer, OverrideValue, PlanChange, PlanChangeOptions } from "./hub/customers.ts";
export type { CustomerInput } from "./hub/customer-input.ts";
export type { LimitAdjustmentInput } from "./hub/limit-adjustments.ts";
export type { CheckOptions, ConsumeOptions } from "./hub/entitlements.ts";
export type { CustomerEntitlementsView, FeatureEntitlement, QueryOptions } from "./hub/entitlement-resolver.ts";
export type { AuthorizeRequest, ConsumeEvent, ConsumeRequest, ConsumeResult, EntitlementHooks, Verdict } from "./hub/entitlement-hooks.ts";
export { RECURRENCES, type CheckResult, type LimitAdjustment, type LimitOverride, type LimitSource, type Recurrence, type Refusal, type RefusalCode } from "./core/entitlements/index.ts";
export { createWebhookHandler, toNodeHandler, resolvePriceAt, resolvePriceForPeriod, syncCatalog, WEBHOOK_PROVIDERS } from "./webhooks/index.ts";
export type { WebhookHandler, WebhookProvider, DeliveryResult, InvoiceCreated, InvoiceCreatedHandler, WebhookDeps, PriceResolverOptions, CatalogSyncReport } from "./webhooks/index.ts";
export type { WebhooksApi } from "./hub/webhooks.ts";
export { planForSubscription, PLAN_METADATA_KEY, type PlanResolution, type SubscribedPrice } from "./core/catalog/index.ts";
export type { ProviderObjects, ProviderObjectType } from "./providers/types.ts";
export type { InvoicesApi, PreviewOptions, RunInvoicesInput, RunInvoicesResult } from "./hub/invoices.ts";
export type { Invoice, InvoiceLine, InvoicePeriod, InvoiceSummary, PricedInvoice } from "./core/invoicing/invoice.ts";
export { invoicesToCsv, INVOICE_CSV_COLUMNS } from "./core/invoicing/invoice-csv.ts";
export { parseBillingMonth, billingPeriodEndingIn, type BillingMonth } from "./core/invoicing/billing-month.ts";
export { parseRunPeriod, type RunPeriod } from "./core/invoicing/run-period.ts";
export type { BillingInterval } from "./core/periods.ts";
export type { InvoiceItemsApi, NewInvoiceItem, ProviderInvoiceItem } from "./providers/types.ts";
export type {
  OutboxApi,
  OutboxStatus,
  OutboxListInput,
  OutboxRecord,
  OutboxStatusName,
  ProviderOutboxCounts,
  ReplayResult,
  ReplayTarget,
  DrainOptions,
  ForwardReport,
  ForwarderOptions,
} from "./hub/outbox.ts";
export { parsePeriod, type ReconcileApi, type ReconcileInput, type ReconcileReport, type ReconcileRow } from "./hub/reconcile.ts";
export type { UsageTotalQuery, ProviderUsageTotal } from "./providers/types.ts";
