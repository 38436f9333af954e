import { defineProvider, type ProviderDeps } from "../define-provider.ts";
import { createOpenMeterClient, type OpenMeterClient } from "./client.ts";
import { openmeterConfigSchema } from "./config.ts";
import { createOpenMeterProvider } from "./provider.ts";

/** OpenMeter: usage as CloudEvents deduplicated on id + source, meter totals for reconciliation. */
export const openmeter = defineProvider({
  id: "openmeter",
  displayName: "OpenMeter",
  configSchema: openmeterConfigSchema,
  env: {
    OPENMETER_API_KEY: { option: "secretKey", type: "string" },
    OPENMETER_BASE_URL: { option: "baseUrl", type: "string" },
    OPENMETER_SOURCE: { option: "source", type: "string" },
    OPENMETER_MAX_REQUESTS_PER_SECOND: { option: "maxRequestsPerSecond", type: "decimal" },
    OPENMETER_MAX_IN_FLIGHT: { option: "maxInFlight", type: "integer" },
  },
  capabilities: { pushUsage: true, webhooks: false, readObjects: false, pullCatalog: false, invoiceItems: false, reconcile: true, createCustomers: false, checkout: false, portal: false },
  meterMapping: (config) => ({
    meters: config.meters,
    mappingExample: `{ "eventType": "<OpenMeter meter eventType>" }`,
    billedUnmapped: () => ({ billed: false, hint: "(OpenMeter bills usage only through its meters)" }),
  }),
  help: {
    reconcile: `OpenMeter: the provider's total is the meter's aggregate over the window (GET
/api/v1/meters/{slug}/query, no window size) for the customer's subject (provider_ids.openmeter,
else the customer id); set openmeter.meters.<meter>.meterSlug for each meter to reconcile.`,
  },
  create: (config, deps: ProviderDeps<OpenMeterClient>) => createOpenMeterProvider({ client: deps.client ?? createOpenMeterClient(config), config, now: deps.now, limiterClock: deps.limiterClock }),
});
