import { defineProvider, type ProviderDeps } from "../define-provider.ts";
import { createMetronomeClient, type MetronomeClient } from "./client.ts";
import { metronomeConfigSchema } from "./config.ts";
import { createMetronomeProvider } from "./provider.ts";

/** Metronome: usage through its ingest endpoint, verified webhooks (logged), totals for reconciliation. */
export const metronome = defineProvider({
  id: "metronome",
  displayName: "Metronome",
  configSchema: metronomeConfigSchema,
  env: {
    METRONOME_BEARER_TOKEN: { option: "secretKey", type: "string" },
    METRONOME_BASE_URL: { option: "baseUrl", type: "string" },
    METRONOME_WEBHOOK_SECRET: { option: "webhookSecret", type: "string" },
    METRONOME_MAX_REQUESTS_PER_SECOND: { option: "maxRequestsPerSecond", type: "decimal" },
    METRONOME_MAX_IN_FLIGHT: { option: "maxInFlight", type: "integer" },
  },
  capabilities: { pushUsage: true, webhooks: true, readObjects: false, pullCatalog: false, invoiceItems: false, reconcile: true, createCustomers: false, checkout: false, portal: false },
  meterMapping: (config) => ({
    meters: config.meters,
    mappingExample: `{ "eventType": "<Metronome event_type>" }`,
    billedUnmapped: () => ({ billed: false, hint: "(Metronome bills usage only through its billable metrics)" }),
  }),
  help: {
    reconcile: `Metronome: the provider's total is the billable metric's usage over the window (POST /v1/usage,
window_size NONE) for customers whose provider_ids.metronome is their Metronome customer id; set
metronome.meters.<meter>.billableMetricId for each meter to reconcile.`,
  },
  create: (config, deps: ProviderDeps<MetronomeClient>) => createMetronomeProvider({ client: deps.client ?? createMetronomeClient(config), config, now: deps.now, limiterClock: deps.limiterClock }),
});
