import { defineProvider, type ProviderDeps } from "../define-provider.ts";
import { createLagoClient, type LagoClient } from "./client.ts";
import { lagoConfigSchema } from "./config.ts";
import { createLagoProvider } from "./provider.ts";

/** Lago: usage through its batch events endpoint, subscription and plan webhooks into the catalog, usage per billing period for reconcile. */
export const lago = defineProvider({
  id: "lago",
  displayName: "Lago",
  configSchema: lagoConfigSchema,
  env: {
    LAGO_API_KEY: { option: "secretKey", type: "string" },
    LAGO_API_URL: { option: "baseUrl", type: "string" },
    LAGO_WEBHOOK_HMAC_KEY: { option: "webhookHmacKey", type: "string" },
    LAGO_WEBHOOK_PUBLIC_KEY: { option: "webhookPublicKey", type: "string" },
    LAGO_MAX_REQUESTS_PER_SECOND: { option: "maxRequestsPerSecond", type: "decimal" },
    LAGO_MAX_IN_FLIGHT: { option: "maxInFlight", type: "integer" },
  },
  capabilities: { pushUsage: true, webhooks: true, readObjects: true, pullCatalog: false, invoiceItems: false, reconcile: true, createCustomers: false, checkout: false, portal: false },
  meterMapping: (config) => ({
    meters: config.meters,
    mappingExample: `{ "code": "<Lago billable metric code>" }`,
    billedUnmapped: () => ({ billed: false, hint: "(Lago bills usage only through its billable metrics)" }),
  }),
  help: {
    reconcile: `Lago: the provider's total is the metric's units in Lago's usage per billing period
(current_usage, past_usage) of the customer's subscriptions; it exists only for a window made of
whole Lago periods (e.g. a calendar month when the subscriptions bill on calendar months, in UTC).
Any other window is reported "not comparable", naming Lago's periods.`,
  },
  create: (config, deps: ProviderDeps<LagoClient>) => createLagoProvider({ client: deps.client ?? createLagoClient(config), config, now: deps.now, limiterClock: deps.limiterClock }),
});
