import { defineProvider, type ProviderDeps } from "../define-provider.ts";
import { createOrbClient, type OrbClient } from "./client.ts";
import { orbConfigSchema } from "./config.ts";
import { createOrbProvider } from "./provider.ts";

/** Orb: usage through its ingest endpoint, subscription webhooks that set customers' plans, usage totals per billable metric for reconcile. */
export const orb = defineProvider({
  id: "orb",
  displayName: "Orb",
  configSchema: orbConfigSchema,
  env: {
    ORB_API_KEY: { option: "secretKey", type: "string" },
    ORB_BASE_URL: { option: "baseUrl", type: "string" },
    ORB_WEBHOOK_SECRET: { option: "webhookSecret", type: "string" },
    ORB_GRACE_PERIOD_HOURS: { option: "gracePeriodHours", type: "decimal" },
    ORB_MAX_REQUESTS_PER_SECOND: { option: "maxRequestsPerSecond", type: "decimal" },
    ORB_MAX_IN_FLIGHT: { option: "maxInFlight", type: "integer" },
  },
  capabilities: { pushUsage: true, webhooks: true, readObjects: true, pullCatalog: false, invoiceItems: false, reconcile: true, createCustomers: false, checkout: false, portal: false },
  meterMapping: (config) => ({
    meters: config.meters,
    mappingExample: `{ "eventName": "<Orb event_name>" }`,
    billedUnmapped: () => ({ billed: false, hint: "(Orb bills usage only through its billable metrics)" }),
  }),
  help: {
    reconcile: `Orb: the provider's total is the billable metric's usage on the customer's subscriptions
active in the window (GET /v1/subscriptions/{id}/usage, each for the part of the window it covers),
found by external_customer_id (provider_ids.orb, else the customer id); set
orb.meters.<meter>.billableMetricId for each meter to reconcile.`,
  },
  create: (config, deps: ProviderDeps<OrbClient>) => createOrbProvider({ client: deps.client ?? createOrbClient(config), config, now: deps.now, limiterClock: deps.limiterClock }),
});
