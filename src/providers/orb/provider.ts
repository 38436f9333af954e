import { BillingError } from "../../core/errors.ts";
import { createRequestLimiter, type LimiterClock, type RequestLimiter } from "../request-limiter.ts";
import type { BillingProvider, ProviderObjects, ProviderObjectType } from "../types.ts";
import type { OrbClient } from "./client.ts";
import type { OrbSettings } from "./config.ts";
import { customerSubscriptionsFromOrb } from "./customer-subscriptions.ts";
import { orbErrorToBillingError } from "./errors.ts";
import { orbSendLimits } from "./send-limits.ts";
import { ORB_BATCH_SIZE, sendOrbUsage } from "./send-usage.ts";
import { createOrbUsageTotals } from "./usage-totals.ts";
import { parseOrbWebhook } from "./webhooks.ts";

export type { OrbSettings };

export interface OrbProviderOptions {
  /** Build it with `createOrbClient` so the SDK does not retry on its own. */
  client: OrbClient;
  config: OrbSettings;
  now?: () => Date;
  /** Paces Orb requests; defaults to orbSendLimits (send-limits.ts). */
  limiter?: RequestLimiter;
  /** The clock the default limiter paces by. */
  limiterClock?: LimiterClock | undefined;
}

/**
 * Orb: usage goes out through its ingest endpoint with billhub's transactionId as the event's
 * `idempotency_key`, under the event name configured per meter key, naming the customer by
 * `external_customer_id` (`provider_ids.orb`, else billhub's customer id). Subscription webhooks
 * are verified and set the customer's plan from their current Orb subscriptions, re-read from Orb.
 * Totals are read back for reconciliation from the subscriptions' usage of meters that name their
 * billable metric.
 *
 * No resend window is declared: Orb states none for `idempotency_key` ("at most once"), and usage
 * old enough for a key to be forgotten is past the account's grace period, which Orb refuses.
 *
 * @example
 * const orb = createOrbProvider({ client: createOrbClient(hubConfig.orb!), config: hubConfig.orb! });
 * await orb.pushUsage([event]); // [{ transactionId: "tx_1", status: "delivered" }]
 */
export function createOrbProvider(options: OrbProviderOptions) {
  const { client, config } = options;
  const now = options.now ?? (() => new Date());
  const limiter = options.limiter ?? createRequestLimiter({ ...orbSendLimits(config), clock: options.limiterClock });

  return {
    id: "orb",
    remote: true,
    maxBatchSize: ORB_BATCH_SIZE,

    pushUsage(batch) {
      return sendOrbUsage(batch, { client, limiter, meters: config.meters, gracePeriodHours: config.gracePeriodHours, now });
    },

    customerIdFor(customer) {
      return customer.providerIds.orb ?? customer.id;
    },

    async parseWebhook(delivery) {
      return parseOrbWebhook(delivery, { secret: config.webhookSecret, now });
    },

    /** Re-reads a customer's current subscriptions (by external_customer_id), what subscription webhooks need. */
    async readObject<T extends ProviderObjectType>(type: T, id: string): Promise<ProviderObjects[T] | null> {
      if (type !== "customer_subscriptions") {
        throw new BillingError("PROVIDER_UNSUPPORTED", `Orb objects are re-read as a customer's subscriptions, not as ${type}`, { provider: "orb" });
      }
      try {
        return customerSubscriptionsFromOrb(await limiter.run(() => client.subscriptionsOf(id))) as ProviderObjects[T];
      } catch (error) {
        throw orbErrorToBillingError(error, now());
      }
    },

    readUsageTotal: createOrbUsageTotals(client, config.meters, now),
  } satisfies BillingProvider;
}

export type OrbProvider = ReturnType<typeof createOrbProvider>;
