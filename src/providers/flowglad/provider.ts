import { BillingError } from "../../core/errors.ts";
import type { BillingProvider, ChangeMeta, ProviderChange, ProviderObjects, ProviderObjectType, ProviderPriceState } from "../types.ts";
import type { FlowgladCustomerBilling, FlowgladPricingModel } from "./types.ts";
import { readCustomerBilling, readPricingModel } from "./billing.ts";
import { createBillingCache } from "./billing-cache.ts";
import type { FlowgladAdminClient } from "./client.ts";
import { createRequestLimiter, type LimiterClock, type RequestLimiter } from "../request-limiter.ts";
import { flowgladErrorToBillingError } from "./errors.ts";
import { flowgladSendLimits } from "./send-limits.ts";
import { FLOWGLAD_BATCH_SIZE, sendFlowgladUsage } from "./send-usage.ts";
import { parseFlowgladWebhook } from "./webhooks.ts";
import { flowgladCreditPurchase, PURCHASE_OBJECTS } from "./credit-purchases.ts";
import { flowgladPriceState } from "./price-state.ts";
import { customerSubscriptions } from "./customer-subscriptions.ts";
import { createFlowgladHostedPages } from "./hosted-pages.ts";
import type { FlowgladSettings } from "./config.ts";

export type { FlowgladSettings };

export interface FlowgladProviderOptions {
  /** The admin client; build it with `createFlowgladClient` so the SDK does not retry on its own. */
  client: FlowgladAdminClient;
  config: FlowgladSettings;
  now?: () => Date;
  /** Paces Flowglad requests; defaults to flowgladSendLimits (send-limits.ts). */
  limiter?: RequestLimiter;
  /** The clock the default limiter paces by. */
  limiterClock?: LimiterClock | undefined;
}

/**
 * Flowglad: usage goes out as usage events (bulk) whose `transactionId` is billhub's, attached to
 * the customer's current subscription and the meter or price configured per meter key. Flowglad
 * names customers by external id, which is billhub's customer id unless `provider_ids.flowglad`
 * says otherwise.
 *
 * @example
 * const flowglad = createFlowgladProvider({ client: createFlowgladClient({ secretKey }), config: hubConfig.flowglad! });
 * const { pricingModel } = await flowglad.pullCatalog();
 */
export function createFlowgladProvider(options: FlowgladProviderOptions) {
  const { client, config } = options;
  const now = options.now ?? (() => new Date());
  const limiter = options.limiter ?? createRequestLimiter({ ...flowgladSendLimits(config), clock: options.limiterClock });

  async function fetchBilling(externalId: string): Promise<FlowgladCustomerBilling> {
    let response: unknown;
    try {
      response = await limiter.run(() => client.getCustomerBilling(externalId));
    } catch (error) {
      throw flowgladErrorToBillingError(error, now());
    }
    return readCustomerBilling(response);
  }

  const cache = createBillingCache(fetchBilling, config.billingCacheTtlMs, now);
  const hostedPages = createFlowgladHostedPages(client, now);

  const provider = {
    id: "flowglad",
    remote: true,
    maxBatchSize: FLOWGLAD_BATCH_SIZE,

    pushUsage(batch) {
      return sendFlowgladUsage(batch, { client, limiter, meters: config.meters, cache, now });
    },

    customerIdFor(customer) {
      return customer.providerIds.flowglad ?? customer.id;
    },

    createCustomer: hostedPages.createCustomer,
    startCheckout: hostedPages.startCheckout,

    async parseWebhook(delivery) {
      const change = parseFlowgladWebhook(delivery, { secret: config.webhookSecret, now });
      const products = config.creditProducts;
      if (change.kind !== "customer_billing_stale" || products === undefined || Object.keys(products).length === 0 || !PURCHASE_OBJECTS.has(change.object.type)) return change;
      // What a purchase or payment bought is in the customer's billing, not in the event.
      let billing: FlowgladCustomerBilling;
      try {
        billing = await fetchBilling(change.customer.externalId);
      } catch (error) {
        if (error instanceof BillingError && error.code === "PROVIDER_NOT_FOUND") return { ...metaOf(change), kind: "ignored", reason: `Flowglad has no customer ${change.customer.externalId}` };
        throw error;
      }
      cache.put(change.customer.externalId, billing);
      return flowgladCreditPurchase(billing, products, change.object, metaOf(change)) ?? change;
    },

    /** The default pricing model (`GET /api/v1/pricing-models/default`), as plain data. */
    async pullCatalog() {
      let response: unknown;
      try {
        response = await client.getDefaultPricingModel();
      } catch (error) {
        throw flowgladErrorToBillingError(error, now());
      }
      const pricingModel = readPricingModel(response);
      return { provider: "flowglad" as const, pricingModelId: pricingModel.id, prices: catalogPrices(pricingModel), pricingModel };
    },

    /**
     * Flowglad's webhooks are thin: a customer's billing (by external id) is what gets re-read,
     * as Flowglad's own object or as the customer's current subscriptions.
     */
    async readObject<T extends ProviderObjectType>(type: T, id: string): Promise<ProviderObjects[T] | null> {
      if (type !== "customer_billing" && type !== "customer_subscriptions") {
        throw new BillingError("PROVIDER_UNSUPPORTED", `Flowglad objects are re-read as a customer's billing, not as ${type}`, { provider: "flowglad" });
      }
      try {
        const billing = await fetchBilling(id);
        cache.put(id, billing);
        return (type === "customer_billing" ? billing : customerSubscriptions(billing)) as ProviderObjects[T];
      } catch (error) {
        if (error instanceof BillingError && error.code === "PROVIDER_NOT_FOUND") return null;
        throw error;
      }
    },
  } satisfies BillingProvider;

  return {
    ...provider,
    /** A customer's billing, fetched now (and kept for sending usage); throws BillingErrors. */
    async getCustomerBilling(externalId: string): Promise<FlowgladCustomerBilling> {
      const billing = await fetchBilling(externalId);
      cache.put(externalId, billing);
      return billing;
    },

    /** Drops cached billing (one customer, or all), e.g. when a webhook says it changed. */
    invalidateCustomer(externalId?: string): void {
      cache.invalidate(externalId);
    },
  };
}

export type FlowgladProvider = ReturnType<typeof createFlowgladProvider>;

/** Every price of the pricing model (its products' and its usage meters'), as the price history stores it. */
function catalogPrices(pricingModel: FlowgladPricingModel): Map<string, ProviderPriceState> {
  const prices = new Map<string, ProviderPriceState>();
  for (const price of [...pricingModel.products.flatMap((product) => product.prices), ...pricingModel.usageMeters.flatMap((meter) => meter.prices)]) prices.set(price.id, flowgladPriceState(price));
  return prices;
}

function metaOf(change: ProviderChange): ChangeMeta {
  return { provider: change.provider, eventId: change.eventId, eventType: change.eventType, created: change.created, livemode: change.livemode };
}
