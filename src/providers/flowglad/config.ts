import { z } from "zod";
import { creditProductsSchema } from "../credit-products.ts";
import { meterKeySchema, sendLimitsSchema } from "../define-provider.ts";

const flowgladMeterSchema = z.union([
  z.strictObject({ usageMeterSlug: z.string().min(1) }),
  z.strictObject({ priceSlug: z.string().min(1) }),
]);

/** The `flowglad` config section. */
export const flowgladConfigSchema = z.strictObject({
  secretKey: z.string().min(1),
  baseUrl: z.url().optional(),
  webhookSecret: z.string().min(1).optional(),
  /** Catalog meter key → the Flowglad usage meter slug or usage price slug that bills it. */
  meters: z.record(meterKeySchema, flowgladMeterSchema).default({}),
  /** How long a customer's billing (subscription, pricing model) is reused when sending usage. */
  billingCacheTtlMs: z.number().int().min(0).default(60_000),
  /** `billhub serve` pulls Flowglad's pricing model this often (Flowglad sends no price events); 0 = never. */
  catalogSyncIntervalMs: z.number().int().min(0).default(0),
  /**
   * Flowglad price slugs (or product slugs) sold as prepaid credit → what one item bought grants,
   * granted once per paid purchase (purchase.completed, payment.succeeded).
   */
  creditProducts: creditProductsSchema.optional(),
  ...sendLimitsSchema,
});

export type FlowgladSettings = z.output<typeof flowgladConfigSchema>;
export type FlowgladMeters = FlowgladSettings["meters"];
export type FlowgladCreditProducts = NonNullable<FlowgladSettings["creditProducts"]>;
