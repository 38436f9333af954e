import { defineProvider, type ProviderDeps } from "../define-provider.ts";
import { createFlowgladClient, type FlowgladAdminClient } from "./client.ts";
import { flowgladConfigSchema } from "./config.ts";
import { createFlowgladProvider } from "./provider.ts";

/** Flowglad: usage events, thin webhooks re-read as a customer's billing, a pricing model billhub pulls, customers and checkout sessions. */
export const flowglad = defineProvider({
  id: "flowglad",
  displayName: "Flowglad",
  configSchema: flowgladConfigSchema,
  env: {
    FLOWGLAD_SECRET_KEY: { option: "secretKey", type: "string" },
    FLOWGLAD_BASE_URL: { option: "baseUrl", type: "string" },
    FLOWGLAD_WEBHOOK_SECRET: { option: "webhookSecret", type: "string" },
    FLOWGLAD_CATALOG_SYNC_INTERVAL_MS: { option: "catalogSyncIntervalMs", type: "integer" },
    FLOWGLAD_MAX_REQUESTS_PER_SECOND: { option: "maxRequestsPerSecond", type: "decimal" },
    FLOWGLAD_MAX_IN_FLIGHT: { option: "maxInFlight", type: "integer" },
  },
  capabilities: { pushUsage: true, webhooks: true, readObjects: true, pullCatalog: true, invoiceItems: false, reconcile: false, createCustomers: true, checkout: true, portal: false },
  meterMapping: (config) => ({
    meters: config.meters,
    mappingExample: `{ "usageMeterSlug": "<Flowglad usage meter slug>" } or { "priceSlug": "<Flowglad usage price slug>" }`,
    billedUnmapped: () => ({ billed: false, hint: "(Flowglad bills usage only through its meters)" }),
  }),
  catalogSyncIntervalMs: (config) => config.catalogSyncIntervalMs,
  help: {
    sync: `Pulls Flowglad's default pricing model (GET /api/v1/pricing-models/default) into billhub's
price history: each price under its slug, a changed price as a new version from now on, a price
no longer in the model ended. Flowglad sends no price events, so run this after changing prices
in Flowglad (or set flowglad.catalogSyncIntervalMs / FLOWGLAD_CATALOG_SYNC_INTERVAL_MS and let
billhub serve do it). Needs FLOWGLAD_SECRET_KEY (and FLOWGLAD_BASE_URL for a non-hosted Flowglad).`,
  },
  create: (config, deps: ProviderDeps<FlowgladAdminClient>) => createFlowgladProvider({ client: deps.client ?? createFlowgladClient(config), config, now: deps.now, limiterClock: deps.limiterClock }),
});
