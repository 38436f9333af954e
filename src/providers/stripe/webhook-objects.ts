import { z } from "zod";
import { canonicalDecimal } from "../../core/decimal.ts";
import type { PriceTier, ProviderInvoice, ProviderPrice, ProviderProduct, ProviderSubscription } from "../types.ts";

/**
 * zod schemas for the Stripe objects billhub reads from webhook events (untrusted input), and
 * their conversion to billhub's plain types. Unknown fields are dropped; the fields billhub relies
 * on are required, so a malformed event fails with the path of the field.
 */

/** Stripe's `*_decimal` fields: strings on the wire, `Stripe.Decimal` objects from the SDK. */
const stripeDecimal = z.custom<object>((value) => typeof value === "object" && value !== null && !Array.isArray(value));
const decimal = z.union([z.string(), z.number(), stripeDecimal]).transform((value, ctx) => {
  try {
    return canonicalDecimal(typeof value === "object" ? String(value) : value);
  } catch {
    ctx.addIssue({ code: "custom", message: `must be a decimal amount, got ${JSON.stringify(String(value)).slice(0, 40)}` });
    return z.NEVER;
  }
});

/** An id field that Stripe may send expanded (`{ id, ... }`) or as a bare id. */
const ref = z.union([z.string().min(1), z.object({ id: z.string().min(1) })]).transform((value) => (typeof value === "string" ? value : value.id));
const seconds = z.number().int().nonnegative().transform((value) => new Date(value * 1000));
const metadata = z.record(z.string(), z.string()).nullish().transform((value) => value ?? {});

const tierSchema = z.object({
  up_to: z.union([z.number().int().positive(), z.literal("inf"), z.null()]),
  unit_amount: z.number().int().nullish(),
  unit_amount_decimal: decimal.nullish(),
  flat_amount: z.number().int().nullish(),
  flat_amount_decimal: decimal.nullish(),
});

export const priceSchema = z.object({
  id: z.string().min(1),
  object: z.literal("price"),
  active: z.boolean(),
  currency: z.string().min(3),
  product: ref,
  lookup_key: z.string().nullish(),
  nickname: z.string().nullish(),
  type: z.enum(["one_time", "recurring"]),
  billing_scheme: z.enum(["per_unit", "tiered"]),
  unit_amount: z.number().int().nullish(),
  unit_amount_decimal: decimal.nullish(),
  tiers_mode: z.enum(["graduated", "volume"]).nullish(),
  tiers: z.array(tierSchema).nullish(),
  transform_quantity: z.object({ divide_by: z.number().int().positive(), round: z.enum(["up", "down"]) }).nullish(),
  recurring: z
    .object({
      interval: z.enum(["day", "week", "month", "year"]),
      interval_count: z.number().int().positive(),
      usage_type: z.enum(["licensed", "metered"]),
      meter: z.string().nullish(),
    })
    .nullish(),
  metadata,
  created: seconds,
});

export const productSchema = z.object({
  id: z.string().min(1),
  object: z.literal("product"),
  name: z.string(),
  active: z.boolean(),
  default_price: ref.nullish(),
  metadata,
  updated: seconds.nullish(),
});

export const deletedPriceSchema = z.object({ id: z.string().min(1), lookup_key: z.string().nullish() });
export const deletedProductSchema = z.object({ id: z.string().min(1) });

export const subscriptionSchema = z.object({
  id: z.string().min(1),
  object: z.literal("subscription"),
  customer: ref,
  status: z.string().min(1),
  cancel_at_period_end: z.boolean().nullish(),
  trial_end: seconds.nullish(),
  // Before API version 2025-03-31 the period lived on the subscription; since, on each item.
  current_period_start: seconds.nullish(),
  current_period_end: seconds.nullish(),
  items: z.object({
    data: z.array(
      z.object({
        id: z.string().min(1),
        price: priceSchema,
        quantity: z.number().int().nullish(),
        current_period_start: seconds.nullish(),
        current_period_end: seconds.nullish(),
      }),
    ),
  }),
});

export const invoiceSchema = z.object({
  id: z.string().min(1),
  object: z.literal("invoice"),
  customer: ref,
  status: z.string().nullish(),
  currency: z.string().min(3),
  period_start: seconds,
  period_end: seconds,
  // Older API versions name the subscription here; newer ones under parent.subscription_details.
  subscription: ref.nullish(),
  parent: z.object({ subscription_details: z.object({ subscription: ref }).nullish() }).nullish(),
});

export function toPrice(price: z.output<typeof priceSchema>): ProviderPrice {
  return {
    id: price.id,
    productId: price.product,
    active: price.active,
    currency: price.currency.toLowerCase(),
    lookupKey: price.lookup_key ?? null,
    nickname: price.nickname ?? null,
    type: price.type,
    billingScheme: price.billing_scheme,
    unitAmountDecimal: price.unit_amount_decimal ?? integerAmount(price.unit_amount),
    tiersMode: price.tiers_mode ?? null,
    tiers: price.tiers ? price.tiers.map(toTier) : null,
    transformQuantity: price.transform_quantity ? { divideBy: price.transform_quantity.divide_by, round: price.transform_quantity.round } : null,
    recurring: price.recurring
      ? { interval: price.recurring.interval, intervalCount: price.recurring.interval_count, usageType: price.recurring.usage_type, meter: price.recurring.meter ?? null }
      : null,
    metadata: price.metadata,
    created: price.created,
  };
}

function toTier(tier: z.output<typeof tierSchema>): PriceTier {
  return {
    upTo: tier.up_to === "inf" ? null : tier.up_to,
    unitAmountDecimal: tier.unit_amount_decimal ?? integerAmount(tier.unit_amount),
    flatAmountDecimal: tier.flat_amount_decimal ?? integerAmount(tier.flat_amount),
  };
}

function integerAmount(value: number | null | undefined): string | null {
  return value === null || value === undefined ? null : String(value);
}

export function toProduct(product: z.output<typeof productSchema>): ProviderProduct {
  return {
    id: product.id,
    name: product.name,
    active: product.active,
    defaultPriceId: product.default_price ?? null,
    metadata: product.metadata,
    updated: product.updated ?? null,
  };
}

export function toSubscription(subscription: z.output<typeof subscriptionSchema>): ProviderSubscription {
  return {
    id: subscription.id,
    providerCustomerId: subscription.customer,
    status: subscription.status,
    cancelAtPeriodEnd: subscription.cancel_at_period_end ?? false,
    // Stripe keeps trial_end after a trial; only a `trialing` subscription is in one.
    trialEndsAt: subscription.status === "trialing" ? (subscription.trial_end ?? null) : null,
    items: subscription.items.data.map((item) => ({
      id: item.id,
      priceId: item.price.id,
      lookupKey: item.price.lookup_key ?? null,
      productId: item.price.product,
      priceMetadata: item.price.metadata,
      quantity: item.quantity ?? null,
      currentPeriodStart: item.current_period_start ?? subscription.current_period_start ?? null,
      currentPeriodEnd: item.current_period_end ?? subscription.current_period_end ?? null,
    })),
  };
}

export function toInvoice(invoice: z.output<typeof invoiceSchema>): ProviderInvoice {
  return {
    id: invoice.id,
    providerCustomerId: invoice.customer,
    subscriptionId: invoice.parent?.subscription_details?.subscription ?? invoice.subscription ?? null,
    status: invoice.status ?? null,
    currency: invoice.currency.toLowerCase(),
    periodStart: invoice.period_start,
    periodEnd: invoice.period_end,
  };
}
