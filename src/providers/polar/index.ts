import { defineProvider, type ProviderDeps } from "../define-provider.ts";
import { createPolarClient, type PolarClient } from "./client.ts";
import { polarConfigSchema } from "./config.ts";
import { createPolarProvider } from "./provider.ts";

/** Polar: usage through event ingestion deduplicated on external_id, subscription and product webhooks, meter totals for reconciliation, customers, checkouts and customer portal sessions. */
export const polar = defineProvider({
  id: "polar",
  displayName: "Polar",
  configSchema: polarConfigSchema,
  env: {
    POLAR_ACCESS_TOKEN: { option: "secretKey", type: "string" },
    POLAR_ENVIRONMENT: { option: "environment", type: "string" },
    POLAR_BASE_URL: { option: "baseUrl", type: "string" },
    POLAR_WEBHOOK_SECRET: { option: "webhookSecret", type: "string" },
    POLAR_MAX_REQUESTS_PER_SECOND: { option: "maxRequestsPerSecond", type: "decimal" },
    POLAR_MAX_IN_FLIGHT: { option: "maxInFlight", type: "integer" },
  },
  capabilities: { pushUsage: true, webhooks: true, readObjects: true, pullCatalog: false, invoiceItems: false, reconcile: true, createCustomers: true, checkout: true, portal: true },
  meterMapping: (config) => ({
    meters: config.meters,
    mappingExample: `{ "eventName": "<Polar meter event name>" }`,
    billedUnmapped: () => ({ billed: false, hint: "(Polar bills usage only through its meters)" }),
  }),
  help: {
    reconcile: `Polar: the provider's total is the meter's total over the window (GET /v1/meters/{id}/quantities)
for the customer's external id (provider_ids.polar, else the customer id); set
polar.meters.<meter>.meterId for each meter to reconcile. Polar counts whole UTC hours and days, so
a window must start and end on a whole hour; a meter Polar aggregates otherwise than the catalog
(a sum against a count meter), or by avg or unique, is reported "not comparable".`,
  },
  create: (config, deps: ProviderDeps<PolarClient>) => createPolarProvider({ client: deps.client ?? createPolarClient(config), config, now: deps.now, limiterClock: deps.limiterClock }),
});
