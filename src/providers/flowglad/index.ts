import { defineProvider } from "../define-provider.ts";
import { createFlowgladClient, type FlowgladAdminClient } from "./client.ts";
import { flowgladConfigSchema } from "./config.ts";
import { createFlowgladProvider } from "./provider.ts";

/** Flowglad: usage events, thin webhooks re-read as a customer's billing, a pricing model billhub pulls. */
export const flowglad = defineProvider<"flowglad", typeof flowgladConfigSchema, FlowgladAdminClient>({
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
  capabilities: { pushUsage: true, webhooks: true, readObjects: true, pullCatalog: true, invoiceItems: false, reconcile: false },
  meterMapping: (config) => ({
    meters: config.meters,
    mappingExample: `{ "usageMeterSlug": "<Flowglad usage meter slug>" } or { "priceSlug": "<Flowglad usage price slug>" }`,
    billedUnmapped: () => ({ billed: false, hint: "(Flowglad bills usage only through its meters)" }),
  }),
  catalogSyncIntervalMs: (config) => config.catalogSyncIntervalMs,
  create: (config, deps) => createFlowgladProvider({ client: deps.client ?? createFlowgladClient(config), config, now: deps.now, limiterClock: deps.limiterClock }),
});
