import { z } from "zod";
import { BillingError } from "../../core/errors.ts";
import { zodToBillingError } from "../../core/validation.ts";
import type { FlowgladCustomerBilling, FlowgladPrice, FlowgladPricingModel, FlowgladSubscription } from "./types.ts";

/**
 * zod schemas for what billhub reads from Flowglad's billing and pricing-model responses
 * (untrusted input; @flowglad/node types them but does not check them), and their conversion to
 * billhub's plain types. Unknown fields are dropped. billhub's own zod is used, never Flowglad's.
 */

const epochMs = z.number().transform((value) => new Date(value));
const interval = z.enum(["day", "week", "month", "year"]);

const priceSchema = z.object({
  id: z.string().min(1),
  slug: z.string().nullish(),
  name: z.string().nullish(),
  type: z.enum(["subscription", "single_payment", "usage"]),
  active: z.boolean(),
  isDefault: z.boolean(),
  currency: z.string().min(3),
  unitPrice: z.number().int(),
  intervalUnit: interval.nullish(),
  intervalCount: z.number().int().nullish(),
  usageEventsPerUnit: z.number().int().nullish(),
  usageMeterId: z.string().nullish(),
  productId: z.string().nullish(),
});

const featureSchema = z.object({
  id: z.string().min(1),
  slug: z.string(),
  name: z.string(),
  type: z.enum(["toggle", "usage_credit_grant", "resource"]),
  amount: z.number().nullish(),
  usageMeterId: z.string().nullish(),
  renewalFrequency: z.string().nullish(),
});

const pricingModelSchema = z.object({
  id: z.string().min(1),
  name: z.string(),
  isDefault: z.boolean(),
  livemode: z.boolean(),
  updatedAt: epochMs,
  products: z.array(
    z.object({
      id: z.string().min(1),
      slug: z.string().nullish(),
      name: z.string(),
      active: z.boolean(),
      default: z.boolean(),
      prices: z.array(priceSchema),
      features: z.array(featureSchema).default([]),
    }),
  ),
  usageMeters: z.array(
    z.object({
      id: z.string().min(1),
      slug: z.string().min(1),
      name: z.string(),
      aggregationType: z.enum(["sum", "count_distinct_properties"]),
      prices: z.array(priceSchema).default([]),
    }),
  ),
});

const subscriptionSchema = z.object({
  id: z.string().min(1),
  status: z.string().min(1),
  priceId: z.string(),
  current: z.boolean(),
  currentBillingPeriodStart: epochMs.nullish(),
  currentBillingPeriodEnd: epochMs.nullish(),
  trialEnd: epochMs.nullish(),
  subscriptionItems: z
    .array(
      z.object({
        id: z.string().min(1),
        priceId: z.string().nullish(),
        quantity: z.number(),
        price: z.object({ slug: z.string().nullish(), usageMeterId: z.string().nullish() }).nullish(),
      }),
    )
    .default([]),
  experimental: z.object({ usageMeterBalances: z.array(z.object({ slug: z.string(), availableBalance: z.number() })).default([]) }).nullish(),
});

// `purchases` of GET /api/v1/customers/{externalId}/billing, typed in @flowglad/node 0.29.0
// (resources/customers.d.ts: CustomerRetrieveBillingResponse.*PurchaseClientSelectSchema).
const purchaseSchema = z.object({
  id: z.string().min(1),
  priceId: z.string().min(1),
  quantity: z.number().int().min(0),
  status: z.string().min(1),
  priceType: z.string().nullish(),
});

const billingSchema = z.object({
  customer: z.object({ id: z.string().min(1), externalId: z.string().min(1), email: z.string().nullish(), name: z.string().nullish() }),
  pricingModel: pricingModelSchema,
  currentSubscriptions: z.array(subscriptionSchema).nullish(),
  currentSubscription: subscriptionSchema.nullish(),
  purchases: z.array(purchaseSchema).default([]),
});

export const pricingModelResponseSchema = z.object({ pricingModel: pricingModelSchema });

/** Reads Flowglad's `GET /api/v1/pricing-models/default` response into plain data. */
export function readPricingModel(response: unknown): FlowgladPricingModel {
  return toPricingModel(parseResponse(pricingModelResponseSchema, response, "pricing model").pricingModel);
}

/** Reads Flowglad's `GET /api/v1/customers/{externalId}/billing` response into plain data. */
export function readCustomerBilling(response: unknown): FlowgladCustomerBilling {
  const billing = parseResponse(billingSchema, response, "customer billing");
  const current = billing.currentSubscriptions ?? (billing.currentSubscription ? [billing.currentSubscription] : []);
  return {
    customer: { id: billing.customer.id, externalId: billing.customer.externalId, email: billing.customer.email ?? null, name: billing.customer.name ?? null },
    pricingModel: toPricingModel(billing.pricingModel),
    currentSubscriptions: current.map(toSubscription),
    purchases: billing.purchases.map((purchase) => ({ id: purchase.id, priceId: purchase.priceId, quantity: purchase.quantity, status: purchase.status, priceType: purchase.priceType ?? null })),
  };
}

function toPrice(price: z.output<typeof priceSchema>): FlowgladPrice {
  return {
    id: price.id,
    slug: price.slug ?? null,
    name: price.name ?? null,
    type: price.type,
    active: price.active,
    isDefault: price.isDefault,
    currency: price.currency,
    unitPrice: price.unitPrice,
    intervalUnit: price.intervalUnit ?? null,
    intervalCount: price.intervalCount ?? null,
    usageEventsPerUnit: price.usageEventsPerUnit ?? null,
    usageMeterId: price.usageMeterId ?? null,
    productId: price.productId ?? null,
  };
}

function toPricingModel(model: z.output<typeof pricingModelSchema>): FlowgladPricingModel {
  return {
    id: model.id,
    name: model.name,
    isDefault: model.isDefault,
    livemode: model.livemode,
    updatedAt: model.updatedAt,
    products: model.products.map((product) => ({
      id: product.id,
      slug: product.slug ?? null,
      name: product.name,
      active: product.active,
      isDefault: product.default,
      prices: product.prices.map(toPrice),
      features: product.features.map((feature) => ({
        id: feature.id,
        slug: feature.slug,
        name: feature.name,
        type: feature.type,
        amount: feature.amount ?? null,
        usageMeterId: feature.usageMeterId ?? null,
        renewalFrequency: feature.renewalFrequency ?? null,
      })),
    })),
    usageMeters: model.usageMeters.map((meter) => ({
      id: meter.id,
      slug: meter.slug,
      name: meter.name,
      aggregationType: meter.aggregationType,
      prices: meter.prices.map(toPrice),
    })),
  };
}

function toSubscription(subscription: z.output<typeof subscriptionSchema>): FlowgladSubscription {
  return {
    id: subscription.id,
    status: subscription.status,
    priceId: subscription.priceId,
    current: subscription.current,
    currentBillingPeriodStart: subscription.currentBillingPeriodStart ?? null,
    currentBillingPeriodEnd: subscription.currentBillingPeriodEnd ?? null,
    trialEnd: subscription.trialEnd ?? null,
    items: subscription.subscriptionItems.map((item) => ({
      id: item.id,
      priceId: item.priceId ?? null,
      priceSlug: item.price?.slug ?? null,
      usageMeterId: item.price?.usageMeterId ?? null,
      quantity: item.quantity,
    })),
    usageMeterBalances: subscription.experimental?.usageMeterBalances ?? [],
  };
}

function parseResponse<S extends z.ZodType>(schema: S, response: unknown, what: string): z.output<S> {
  const result = schema.safeParse(response);
  if (result.success) return result.data;
  const error = zodToBillingError(result.error, "PROVIDER_REJECTED");
  throw new BillingError("PROVIDER_REJECTED", `Flowglad's ${what} response is not what billhub reads: ${error.message}`, { provider: "flowglad", ...(error.details ? { details: error.details } : {}) });
}
