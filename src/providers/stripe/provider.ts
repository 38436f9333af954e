import type Stripe from "stripe";
import { BillingError } from "../../core/errors.ts";
import { failedOutcome } from "../errors.ts";
import type { BillingProvider, PushOutcome } from "../types.ts";
import { createRequestLimiter, type LimiterClock, type RequestLimiter } from "../request-limiter.ts";
import { createStripeInvoiceItems } from "./invoice-items.ts";
import { toMeterEvent } from "./meter-event.ts";
import { createStripeObjectReader } from "./read-objects.ts";
import { createMeterEventStream, STREAM_BATCH_SIZE } from "./send-meter-event-stream.ts";
import { sendMeterEvents, type ReadyMeterEvent } from "./send-meter-events.ts";
import { stripeSendLimits } from "./send-limits.ts";
import { createStripeHostedPages } from "./hosted-pages.ts";
import { createStripeUsageTotals } from "./usage-totals.ts";
import { stripeKeyLivemode, toChange, verifyStripeEvent } from "./webhooks.ts";
import { PURCHASE_EVENTS, stripeCreditPurchase } from "./credit-purchases.ts";
import { stripePriceState } from "./price-state.ts";
import type { StripeSettings } from "./config.ts";

export type { StripeSettings };

export interface StripeProviderOptions {
  /** The SDK client; build it with `createStripeClient` so the SDK does not retry on its own. */
  client: Stripe;
  config: StripeSettings;
  /** The clock for the 35-day / 5-minute window and webhook signature age. */
  now?: () => Date;
  /** Paces usage requests; defaults to Stripe's documented limits for the mode and key (see send-limits.ts). */
  limiter?: RequestLimiter;
  /** The clock the default limiter paces by. */
  limiterClock?: LimiterClock | undefined;
}

/**
 * v1 meter events go one call per event, concurrently; the forwarder settles each push of this
 * many as soon as it is answered, so one slow customer holds back only its own push.
 */
const METER_EVENTS_BATCH_SIZE = 50;
/**
 * The stream sends 100 events per request; one push takes up to ten requests on the same session,
 * so the forwarder settles a claim of 1000 rows in one statement instead of ten (the settlement,
 * not the request, was most of the time per event). A crash mid-push resends at most this many
 * events, which Stripe deduplicates by identifier.
 */
const STREAM_PUSH_SIZE = 10 * STREAM_BATCH_SIZE;
/** Stripe deduplicates meter events by `identifier` for a rolling window of at least 24 hours. */
const IDENTIFIER_WINDOW_MS = 24 * 3_600_000;

/**
 * Stripe Billing Meters: usage goes out as meter events whose `identifier` is the transactionId,
 * through v1 (`mode: "meter_events"`) or the v2 high-throughput stream (`"meter_event_stream"`).
 *
 * @example
 * const stripe = createStripeProvider({ client: createStripeClient({ secretKey }), config: hubConfig.stripe! });
 * await stripe.pushUsage([{ transactionId: "tx_1", customerId: "acme", providerCustomerId: "cus_1",
 *   meter: "api_calls", quantity: "3", timestamp: new Date(), properties: {} }]);
 * // [{ transactionId: "tx_1", status: "delivered" }]
 */
export function createStripeProvider(options: StripeProviderOptions) {
  const { client, config } = options;
  const now = options.now ?? (() => new Date());
  const livemode = stripeKeyLivemode(config.secretKey);
  const limiter = options.limiter ?? createRequestLimiter({ ...stripeSendLimits(config.mode, livemode, config), clock: options.limiterClock });
  const stream = config.mode === "meter_event_stream" ? createMeterEventStream(client, limiter, now) : undefined;
  const readObject = createStripeObjectReader(client, now);

  return {
    id: "stripe",
    remote: true,
    maxBatchSize: stream ? STREAM_PUSH_SIZE : METER_EVENTS_BATCH_SIZE,
    resendWindowMs: IDENTIFIER_WINDOW_MS,
    ...(livemode === undefined ? {} : { livemode }),

    async pushUsage(batch) {
      const at = now();
      const outcomes: (PushOutcome | undefined)[] = Array.from({ length: batch.length });
      const ready: ReadyMeterEvent[] = [];
      for (const [index, event] of batch.entries()) {
        const input = toMeterEvent(event, config.meters, at);
        if (input instanceof BillingError) outcomes[index] = failedOutcome(event, input);
        else ready.push({ index, transactionId: event.transactionId, input });
      }
      const sent = stream ? await stream.send(ready) : await sendMeterEvents(client, limiter, ready, now);
      for (const [index, outcome] of sent) outcomes[index] = outcome;
      return outcomes.map((outcome, index) => {
        if (outcome === undefined) throw new Error(`stripe provider produced no outcome for event ${index}`);
        return outcome;
      });
    },

    customerIdFor(customer) {
      return customer.providerIds.stripe;
    },

    async parseWebhook(delivery) {
      const { type, object, meta } = verifyStripeEvent(delivery, { secret: config.webhookSecret, tolerance: config.webhookTolerance, now });
      // Purchases of credit products need their line items, which a Checkout Session's event does not carry.
      const products = config.creditProducts;
      if (PURCHASE_EVENTS.has(type) && products !== undefined && Object.keys(products).length > 0) return stripeCreditPurchase(client, products, type, object, meta, now);
      return toChange(type, object, meta);
    },

    readObject,
    priceState: stripePriceState,

    invoiceItems: createStripeInvoiceItems(client, now),
    readUsageTotal: createStripeUsageTotals(client, config.meters, now),
    ...createStripeHostedPages(client, now),
  } satisfies BillingProvider;
}

export type StripeProvider = ReturnType<typeof createStripeProvider>;
