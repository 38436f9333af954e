import { createRequestLimiter, type LimiterClock, type RequestLimiter } from "../request-limiter.ts";
import type { BillingProvider } from "../types.ts";
import type { MetronomeClient } from "./client.ts";
import type { MetronomeSettings } from "./config.ts";
import { metronomeSendLimits } from "./send-limits.ts";
import { METRONOME_BATCH_SIZE, METRONOME_DEDUPE_WINDOW_MS, sendMetronomeUsage } from "./send-usage.ts";
import { createMetronomeUsageTotals } from "./usage-totals.ts";
import { parseMetronomeWebhook } from "./webhooks.ts";

export type { MetronomeSettings };

export interface MetronomeProviderOptions {
  /** Build it with `createMetronomeClient` so the SDK does not retry on its own. */
  client: MetronomeClient;
  config: MetronomeSettings;
  now?: () => Date;
  /** Paces Metronome requests; defaults to metronomeSendLimits (send-limits.ts). */
  limiter?: RequestLimiter;
  /** The clock the default limiter paces by. */
  limiterClock?: LimiterClock | undefined;
}

/**
 * Metronome: usage goes out through its ingest endpoint, with billhub's transactionId as the
 * `transaction_id` Metronome deduplicates on for 34 days, under the event type configured per
 * meter key. Metronome names customers by its customer id or by an ingest alias: billhub sends
 * `provider_ids.metronome` when set, else billhub's customer id (for customers whose Metronome
 * record has it as an ingest alias). Webhooks are verified and logged; totals are read back for
 * reconciliation from meters that name their billable metric.
 *
 * @example
 * const metronome = createMetronomeProvider({ client: createMetronomeClient(hubConfig.metronome!), config: hubConfig.metronome! });
 * await metronome.pushUsage([event]); // [{ transactionId: "tx_1", status: "delivered" }]
 */
export function createMetronomeProvider(options: MetronomeProviderOptions) {
  const { client, config } = options;
  const now = options.now ?? (() => new Date());
  const limiter = options.limiter ?? createRequestLimiter({ ...metronomeSendLimits(config), clock: options.limiterClock });

  return {
    id: "metronome",
    remote: true,
    maxBatchSize: METRONOME_BATCH_SIZE,
    resendWindowMs: METRONOME_DEDUPE_WINDOW_MS,

    pushUsage(batch) {
      return sendMetronomeUsage(batch, { client, limiter, meters: config.meters, now });
    },

    customerIdFor(customer) {
      return customer.providerIds.metronome ?? customer.id;
    },

    async parseWebhook(delivery) {
      return parseMetronomeWebhook(delivery, { secret: config.webhookSecret, now });
    },

    readUsageTotal: createMetronomeUsageTotals(client, config.meters, now),
  } satisfies BillingProvider;
}

export type MetronomeProvider = ReturnType<typeof createMetronomeProvider>;
