export { createHub, type Hub, type HubOptions } from "./hub.ts";
export { BillingError, ERROR_CODES, isBillingError, type BillingErrorCode } from "./core/errors.ts";
export { loadConfig, parseConfig, configFromEnv, ENV_OPTIONS } from "./config/load.ts";
export { type HubConfig, type HubConfigInput, PROVIDER_IDS, type ProviderId } from "./config/schema.ts";
export { currencyExponent, toMinorUnits, formatMinorUnits } from "./core/money.ts";
export type { Store, Sql } from "./store/types.ts";
export { defineCatalog, type Catalog, type CatalogInput, type Plan, type Feature, type Meter, type Grant } from "./core/catalog/index.ts";
export { createProviderRegistry, type ProviderRegistry, type ProviderRegistryOptions, type ProviderRoute } from "./providers/registry.ts";
export { createStripeProvider, type StripeProvider, type StripeProviderOptions } from "./providers/stripe/provider.ts";
export { createStripeClient } from "./providers/stripe/client.ts";
export { createFlowgladProvider, type FlowgladProvider, type FlowgladProviderOptions } from "./providers/flowglad/provider.ts";
export { createFlowgladClient, type FlowgladAdminClient } from "./providers/flowglad/client.ts";
export { createManualProvider } from "./providers/manual/provider.ts";
export type {
  BillingProvider,
  ProviderUsageEvent,
  PushOutcome,
  CustomerRef,
  WebhookDelivery,
  ProviderChange,
  ProviderCatalog,
  FlowgladCustomerBilling,
  FlowgladPricingModel,
} from "./providers/types.ts";
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
export { stripePriceToResolvedPrice, type StripePriceLike } from "./core/pricing/stripe-price.ts";
