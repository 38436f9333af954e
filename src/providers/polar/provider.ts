import { createRequestLimiter, type LimiterClock, type RequestLimiter } from "../request-limiter.ts";
import type { BillingProvider } from "../types.ts";
import type { PolarClient } from "./client.ts";
import type { PolarSettings } from "./config.ts";
import { createPolarObjectReader } from "./read-objects.ts";
import { polarSendLimits } from "./send-limits.ts";
import { POLAR_BATCH_SIZE, sendPolarUsage } from "./send-usage.ts";
import { createPolarHostedPages } from "./hosted-pages.ts";
import { createPolarUsageTotals } from "./usage-totals.ts";
import { parsePolarWebhook } from "./webhooks.ts";

export type { PolarSettings };

export interface PolarProviderOptions {
  /** Build it with `createPolarClient`. */
  client: PolarClient;
  config: PolarSettings;
  now?: () => Date;
  /** Paces Polar requests; defaults to polarSendLimits (send-limits.ts). */
  limiter?: RequestLimiter;
  /** The clock the default limiter paces by. */
  limiterClock?: LimiterClock | undefined;
}

const HOUR_MS = 3_600_000;

/**
 * Polar: usage goes out through event ingestion with billhub's transactionId as the event's
 * `external_id`, which Polar deduplicates on, for the customer's external id
 * (`provider_ids.polar`, else billhub's customer id). Verified webhooks bring subscriptions (and
 * with them customers' plans) and products; subscriptions and products are re-read for ties.
 * Meter totals are read back for reconciliation from meters that name their id. Customers are
 * created by external id, checkouts started for a product, customer portal sessions opened.
 *
 * @example
 * const polar = createPolarProvider({ client: createPolarClient(hubConfig.polar!), config: hubConfig.polar! });
 * await polar.pushUsage([event]); // [{ transactionId: "tx_1", status: "delivered" }]
 */
export function createPolarProvider(options: PolarProviderOptions) {
  const { client, config } = options;
  const now = options.now ?? (() => new Date());
  const limiter = options.limiter ?? createRequestLimiter({ ...polarSendLimits(config), clock: options.limiterClock });
  const hostedPages = createPolarHostedPages(client);

  return {
    id: "polar",
    remote: true,
    maxBatchSize: POLAR_BATCH_SIZE,
    resendWindowMs: config.dedupeWindowHours * HOUR_MS,

    pushUsage(batch) {
      return sendPolarUsage(batch, { client, limiter, meters: config.meters, now });
    },

    customerIdFor(customer) {
      return customer.providerIds.polar ?? customer.id;
    },

    async parseWebhook(delivery) {
      return parsePolarWebhook(delivery, { secret: config.webhookSecret, now });
    },

    readObject: createPolarObjectReader(client),
    readUsageTotal: createPolarUsageTotals(client, config.meters),

    createCustomer: hostedPages.createCustomer,
    startCheckout: hostedPages.startCheckout,
    openPortal: hostedPages.openPortal,
  } satisfies BillingProvider;
}

export type PolarProvider = ReturnType<typeof createPolarProvider>;
