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
