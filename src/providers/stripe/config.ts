import { z } from "zod";
import { creditProductsSchema } from "../credit-products.ts";
import { meterKeySchema, sendLimitsSchema } from "../define-provider.ts";

const stripeMeterSchema = z.strictObject({
  /** The Stripe meter's `event_name`. */
  eventName: z.string().min(1).max(100),
  /** The meter's `customer_mapping.event_payload_key`. */
  customerPayloadKey: z.string().min(1).max(100).default("stripe_customer_id"),
  /** The meter's `value_settings.event_payload_key`. */
  valuePayloadKey: z.string().min(1).max(100).default("value"),
  /**
   * Stripe meter event values are whole numbers unless Stripe has enabled decimal values on the
   * account; leave false unless it has, so fractional usage is refused before it is sent.
   */
  decimalValues: z.boolean().default(false),
}).refine((meter) => meter.customerPayloadKey !== meter.valuePayloadKey, { message: "customerPayloadKey and valuePayloadKey must differ", path: ["valuePayloadKey"] });

/**
 * Invoice-items billing: on `invoice.created` of a draft Stripe invoice, billhub adds the period's
 * line items that Stripe's meters do not bill as invoice items (README, "Stripe invoice items").
 */
const stripeInvoiceItemsSchema = z.strictObject({
  enabled: z.boolean().default(false),
  /**
   * Charge keys billed as invoice items (`minimum_commitment` names the commitment true-up).
   * Default: every charge whose meter is not in `stripe.meters`, and the true-up.
   */
  charges: z.array(z.string().min(1)).optional(),
  /** Also bill usage of meters in `stripe.meters` that Stripe refused as older than 35 days. */
  tooOldUsage: z.boolean().default(true),
});

/** The `stripe` config section. */
export const stripeConfigSchema = z.strictObject({
  secretKey: z.string().min(1),
  webhookSecret: z.string().min(1).optional(),
  /** A local Stripe stand-in, e.g. http://127.0.0.1:12111 (host, port and protocol are taken from it). */
  apiBase: z.url().optional(),
  /** How long one Stripe request may take before it is abandoned (and retried as unavailable). */
  timeoutMs: z.number().int().min(1).max(600_000).default(30_000),
  /** Seconds a webhook signature stays valid; 0 disables the age check. */
  webhookTolerance: z.number().int().min(0).default(300),
  /**
   * `meter_events`: one synchronous v1 call per event; `meter_event_stream`: v2 sessions, up to
   * 100 events per request.
   */
  mode: z.enum(["meter_events", "meter_event_stream"]).default("meter_events"),
  ...sendLimitsSchema,
  /** Catalog meter key → the Stripe meter that bills it. */
  meters: z.record(meterKeySchema, stripeMeterSchema).default({}),
  invoiceItems: stripeInvoiceItemsSchema.optional(),
  /** Products (`prod_...`) sold as prepaid credit, granted once per paid Checkout Session or invoice.paid. */
  creditProducts: creditProductsSchema.optional(),
});

export type StripeSettings = z.output<typeof stripeConfigSchema>;
export type StripeMeters = StripeSettings["meters"];
export type StripeCreditProducts = NonNullable<StripeSettings["creditProducts"]>;
