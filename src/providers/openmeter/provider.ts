import { createRequestLimiter, type LimiterClock, type RequestLimiter } from "../request-limiter.ts";
import type { BillingProvider } from "../types.ts";
import type { OpenMeterClient } from "./client.ts";
import type { OpenMeterSettings } from "./config.ts";
import { openmeterSendLimits } from "./send-limits.ts";
import { OPENMETER_BATCH_SIZE, sendOpenMeterUsage } from "./send-usage.ts";
import { createOpenMeterUsageTotals } from "./usage-totals.ts";

export type { OpenMeterSettings };

export interface OpenMeterProviderOptions {
  /** Build it with `createOpenMeterClient` so each request has a timeout. */
  client: OpenMeterClient;
  config: OpenMeterSettings;
  now?: () => Date;
  /** Paces OpenMeter requests; defaults to openmeterSendLimits (send-limits.ts). */
  limiter?: RequestLimiter;
  /** The clock the default limiter paces by. */
  limiterClock?: LimiterClock | undefined;
}

const HOUR_MS = 3_600_000;

/**
 * OpenMeter: usage goes out as CloudEvents with billhub's transactionId as the event `id` and a
 * fixed `source`, the pair OpenMeter deduplicates on, under the event type configured per meter
 * key, for the customer's subject (`provider_ids.openmeter`, else billhub's customer id). Totals
 * are read back for reconciliation from meters that name their slug. No webhooks: OpenMeter's
 * notifications (entitlement balance thresholds and resets, invoices) carry nothing billhub applies.
 *
 * @example
 * const openmeter = createOpenMeterProvider({ client: createOpenMeterClient(hubConfig.openmeter!), config: hubConfig.openmeter! });
 * await openmeter.pushUsage([event]); // [{ transactionId: "tx_1", status: "delivered" }]
 */
export function createOpenMeterProvider(options: OpenMeterProviderOptions) {
  const { client, config } = options;
  const now = options.now ?? (() => new Date());
  const limiter = options.limiter ?? createRequestLimiter({ ...openmeterSendLimits(config), clock: options.limiterClock });

  return {
    id: "openmeter",
    remote: true,
    maxBatchSize: OPENMETER_BATCH_SIZE,
    resendWindowMs: config.dedupeWindowHours * HOUR_MS,

    pushUsage(batch) {
      return sendOpenMeterUsage(batch, { client, limiter, meters: config.meters, source: config.source, now });
    },

    customerIdFor(customer) {
      return customer.providerIds.openmeter ?? customer.id;
    },

    readUsageTotal: createOpenMeterUsageTotals(client, config.meters, now),
  } satisfies BillingProvider;
}

export type OpenMeterProvider = ReturnType<typeof createOpenMeterProvider>;
