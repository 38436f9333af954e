import { BillingError } from "../../core/errors.ts";
import { createRequestLimiter, type LimiterClock, type RequestLimiter } from "../request-limiter.ts";
import type { BillingProvider, ProviderObjects, ProviderObjectType, ProviderProduct } from "../types.ts";
import type { LagoClient } from "./client.ts";
import type { LagoSettings } from "./config.ts";
import { customerSubscriptionsFromLago, productFromLagoPlan } from "./customer-subscriptions.ts";
import { lagoErrorToBillingError } from "./errors.ts";
import { LAGO_READ_LIMITS, lagoSendLimits } from "./send-limits.ts";
import { LAGO_BATCH_SIZE, sendLagoUsage } from "./send-usage.ts";
import { createSubscriptionCache } from "./subscription-cache.ts";
import { createLagoUsageTotals } from "./usage-totals.ts";
import { lagoPublicKey } from "./webhook-signature.ts";
import { parseLagoWebhook } from "./webhooks.ts";

export type { LagoSettings };

export interface LagoProviderOptions {
  /** Build it with `createLagoClient` so the SDK does not retry on its own. */
  client: LagoClient;
  config: LagoSettings;
  now?: () => Date;
  /** Paces POST /events; defaults to lagoSendLimits (send-limits.ts). */
  limiter?: RequestLimiter;
  /** The clock the default limiters pace by. */
  limiterClock?: LimiterClock | undefined;
}

const DEFAULT_BASE_URL = "https://api.getlago.com/api/v1";

/**
 * Lago: usage goes to the batch events endpoint with billhub's transactionId as `transaction_id`,
 * attached to the customer's active subscription (`external_subscription_id`, looked up by
 * external customer id: `provider_ids.lago`, else billhub's customer id). Subscription webhooks set
 * the customer's plan from their current Lago subscriptions; plan webhooks keep the synced
 * products (one per plan code). Webhooks are verified by JWT (RS256, Lago's public key) or HMAC.
 * Totals are read back for reconciliation from Lago's usage per billing period, where the window
 * is made of whole periods.
 *
 * No resend window is declared: in the classic pipeline Lago keeps `transaction_id` unique per
 * subscription for good (a unique index), and on the ClickHouse pipeline a resend replaces the
 * event with the same transaction_id and timestamp.
 *
 * @example
 * const lago = createLagoProvider({ client: createLagoClient(hubConfig.lago!), config: hubConfig.lago! });
 * await lago.pushUsage([event]); // [{ transactionId: "tx_1", status: "delivered" }]
 */
export function createLagoProvider(options: LagoProviderOptions) {
  const { client, config } = options;
  const now = options.now ?? (() => new Date());
  const limiter = options.limiter ?? createRequestLimiter({ ...lagoSendLimits(config), clock: options.limiterClock });
  const reads = createRequestLimiter({ ...LAGO_READ_LIMITS, clock: options.limiterClock });
  const publicKey = config.webhookPublicKey === undefined ? undefined : lagoPublicKey(config.webhookPublicKey);
  const issuer = config.webhookIssuer ?? new URL(config.baseUrl ?? DEFAULT_BASE_URL).origin;
  const subscriptions = createSubscriptionCache((customer) => reads.run(() => client.subscriptionsOf(customer, ["active", "pending"])), config.subscriptionCacheTtlMs, now);

  const readPlan = async (code: string): Promise<ProviderProduct | null> => {
    try {
      return productFromLagoPlan(await reads.run(() => client.plan(code)));
    } catch (error) {
      const failure = lagoErrorToBillingError(error, now());
      if (failure.code === "PROVIDER_NOT_FOUND") return null;
      throw failure;
    }
  };

  return {
    id: "lago",
    remote: true,
    maxBatchSize: LAGO_BATCH_SIZE,

    pushUsage(batch) {
      return sendLagoUsage(batch, { client, limiter, meters: config.meters, subscriptions, now });
    },

    customerIdFor(customer) {
      return customer.providerIds.lago ?? customer.id;
    },

    parseWebhook(delivery) {
      return parseLagoWebhook(delivery, { hmacKey: config.webhookHmacKey, publicKey, issuer, now, readPlan });
    },

    /** Re-reads a customer's current subscriptions (by external customer id), or a plan as a product (by code). */
    async readObject<T extends ProviderObjectType>(type: T, id: string): Promise<ProviderObjects[T] | null> {
      if (type === "product") return (await readPlan(id)) as ProviderObjects[T] | null;
      if (type !== "customer_subscriptions") {
        throw new BillingError("PROVIDER_UNSUPPORTED", `Lago objects are re-read as a customer's subscriptions or a plan, not as ${type}`, { provider: "lago" });
      }
      try {
        const current = await reads.run(() => client.subscriptionsOf(id, ["active", "pending"]));
        subscriptions.put(id, current);
        return customerSubscriptionsFromLago(current) as ProviderObjects[T];
      } catch (error) {
        throw lagoErrorToBillingError(error, now());
      }
    },

    readUsageTotal: createLagoUsageTotals({ client, meters: config.meters, reads, now }),
  } satisfies BillingProvider;
}

export type LagoProvider = ReturnType<typeof createLagoProvider>;
