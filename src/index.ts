export { createHub, type Hub, type HubOptions } from "./hub.ts";
export { BillingError, ERROR_CODES, isBillingError, type BillingErrorCode } from "./core/errors.ts";
export { loadConfig, parseConfig, configFromEnv, ENV_OPTIONS } from "./config/load.ts";
export { type HubConfig, type HubConfigInput, PROVIDER_IDS, type ProviderId } from "./config/schema.ts";
export { currencyExponent, toMinorUnits, formatMinorUnits } from "./core/money.ts";
export type { Store, Sql } from "./store/types.ts";
export { defineCatalog, type Catalog, type CatalogInput, type Plan, type Feature, type Meter, type Grant } from "./core/catalog/index.ts";
export { recordUsage, featureUsage, meterUsage, closePeriod, MAX_BATCH, type LedgerApi, type ClosePeriodInput } from "./hub/ledger.ts";
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
