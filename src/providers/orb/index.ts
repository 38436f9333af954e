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
  create: (config, deps: ProviderDeps<OrbClient>) => createOrbProvider({ client: deps.client ?? createOrbClient(config), config, now: deps.now, limiterClock: deps.limiterClock }),
});
