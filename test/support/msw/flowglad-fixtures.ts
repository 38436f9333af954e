/**
 * Flowglad response bodies shaped like @flowglad/node's types (PricingModelDetailsRecord,
 * CustomerRetrieveBillingResponse), with values that make sense for tests.
 */

const CREATED = Date.parse("2026-01-01T00:00:00.000Z");

export interface MeterSpec {
  id: string;
  slug: string;
  /** Slug of the meter's usage price. */
  priceSlug?: string;
  aggregationType?: "sum" | "count_distinct_properties";
}

/** A product sold by a one-time (single_payment) price, such as a pack of credits. */
export interface OneTimeProductSpec {
  id: string;
  slug: string;
  priceId: string;
  priceSlug: string;
  currency?: string;
  unitPrice?: number;
}

export interface PricingModelSpec {
  id?: string;
  meters?: MeterSpec[];
  oneTimeProducts?: OneTimeProductSpec[];
}

const base = (pricingModelId: string) => ({ livemode: false, organizationId: "org_billhub", pricingModelId, createdAt: CREATED, updatedAt: CREATED });

function usagePrice(meter: MeterSpec, pricingModelId: string) {
  return {
    ...base(pricingModelId),
    id: `price_${meter.id}`,
    active: true,
    currency: "USD",
    intervalCount: 1,
    intervalUnit: "month",
    isDefault: true,
    name: `${meter.slug} usage`,
    productId: null,
    slug: meter.priceSlug ?? `${meter.slug}_usage`,
    trialPeriodDays: null,
    type: "usage",
    unitPrice: 1,
    usageEventsPerUnit: 100,
    usageMeterId: meter.id,
  };
}

/** A pricing model with a Pro plan and the given usage meters (default: `api_calls`). */
export function flowgladPricingModel(spec: PricingModelSpec = {}) {
  const id = spec.id ?? "pm_default";
  const meters = spec.meters ?? [{ id: "um_api_calls", slug: "api_calls" }];
  const proPrice = {
    ...base(id),
    id: "price_pro_monthly",
    active: true,
    currency: "USD",
    intervalCount: 1,
    intervalUnit: "month",
    isDefault: true,
    name: "Pro monthly",
    productId: "prod_pro",
    slug: "pro_monthly",
    type: "subscription",
    unitPrice: 2900,
    usageEventsPerUnit: null,
    usageMeterId: null,
  };
  const oneTime = (spec.oneTimeProducts ?? []).map((product) => {
    const price = {
      ...base(id),
      id: product.priceId,
      active: true,
      currency: product.currency ?? "USD",
      intervalCount: null,
      intervalUnit: null,
      isDefault: true,
      name: product.priceSlug,
      productId: product.id,
      slug: product.priceSlug,
      type: "single_payment",
      unitPrice: product.unitPrice ?? 1000,
      usageEventsPerUnit: null,
      usageMeterId: null,
    };
    return { ...base(id), id: product.id, active: true, default: false, defaultPrice: price, description: null, features: [], imageURL: null, name: product.slug, pluralQuantityLabel: null, prices: [price], singularQuantityLabel: null, slug: product.slug };
  });
  return {
    ...base(id),
    id,
    isDefault: true,
    name: "Default pricing model",
    products: [
      ...oneTime,
      {
        ...base(id),
        id: "prod_pro",
        active: true,
        default: false,
        defaultPrice: proPrice,
        description: "For teams",
        features: [
          {
            ...base(id),
            id: "feat_api_credits",
            active: true,
            amount: 10_000,
            description: "Monthly API call credits",
            name: "API credits",
            renewalFrequency: "every_billing_period",
            slug: "api_credits",
            type: "usage_credit_grant",
            usageMeterId: meters[0]?.id ?? null,
          },
        ],
        imageURL: null,
        name: "Pro",
        pluralQuantityLabel: null,
        prices: [proPrice],
        singularQuantityLabel: null,
        slug: "pro",
      },
    ],
    usageMeters: meters.map((meter) => ({
      ...base(id),
      id: meter.id,
      aggregationType: meter.aggregationType ?? "sum",
      name: meter.slug.replace(/_/g, " "),
      prices: [usagePrice(meter, id)],
      slug: meter.slug,
      defaultPrice: usagePrice(meter, id),
    })),
  };
}

export interface SubscriptionSpec {
  id: string;
  status?: string;
  /** Usage meter ids whose prices are items of this subscription. */
  meterIds?: string[];
  /** Usage meter slugs with a balance on this subscription. */
  balances?: string[];
}

/** A subscription as Flowglad's billing endpoint returns it. */
export function flowgladSubscription(spec: SubscriptionSpec, customerId: string, pricingModelId: string) {
  return {
    ...base(pricingModelId),
    id: spec.id,
    backupPaymentMethodId: null,
    cancellationReason: null,
    current: true,
    customerId,
    defaultPaymentMethodId: null,
    doNotCharge: false,
    interval: "month",
    intervalCount: 1,
    isFreePlan: false,
    name: "Pro",
    priceId: "price_pro_monthly",
    renews: true,
    replacedBySubscriptionId: null,
    runBillingAtPeriodStart: true,
    startDate: CREATED,
    status: spec.status ?? "active",
    currentBillingPeriodStart: Date.parse("2026-03-01T00:00:00.000Z"),
    currentBillingPeriodEnd: Date.parse("2026-04-01T00:00:00.000Z"),
    subscriptionItems: [
      { id: `si_${spec.id}_pro`, addedDate: CREATED, createdAt: CREATED, externalId: null, livemode: false, manuallyCreated: false, name: "Pro", priceId: "price_pro_monthly", price: { id: "price_pro_monthly", slug: "pro_monthly", type: "subscription", usageMeterId: null }, pricingModelId, quantity: 1, subscriptionId: spec.id, type: "static", unitPrice: 2900, updatedAt: CREATED },
      ...(spec.meterIds ?? []).map((meterId) => ({
        id: `si_${spec.id}_${meterId}`,
        addedDate: CREATED,
        createdAt: CREATED,
        externalId: null,
        livemode: false,
        manuallyCreated: false,
        name: null,
        priceId: `price_${meterId}`,
        price: { id: `price_${meterId}`, slug: null, type: "usage", usageMeterId: meterId },
        pricingModelId,
        quantity: 1,
        subscriptionId: spec.id,
        type: "static",
        unitPrice: 1,
        updatedAt: CREATED,
      })),
    ],
    experimental: { featureItems: [], usageMeterBalances: (spec.balances ?? []).map((slug) => ({ slug, availableBalance: 10_000 })) },
  };
}

export interface PurchaseSpec {
  id: string;
  priceId: string;
  quantity?: number;
  /** open | pending | failed | paid | refunded | partial_refund | fraudulent; default paid. */
  status?: string;
}

/** A one-time purchase as Flowglad's billing endpoint lists it (SinglePaymentPurchaseClientSelectSchema of @flowglad/node 0.29.0). */
export function flowgladPurchase(spec: PurchaseSpec, customerId: string, pricingModelId: string) {
  return {
    ...base(pricingModelId),
    id: spec.id,
    archived: false,
    bankPaymentOnly: false,
    customerId,
    firstInvoiceValue: 1000,
    intervalCount: null,
    intervalUnit: null,
    name: spec.priceId,
    position: 0,
    priceId: spec.priceId,
    pricePerBillingCycle: null,
    priceType: "single_payment",
    proposal: null,
    quantity: spec.quantity ?? 1,
    status: spec.status ?? "paid",
    totalPurchaseValue: 1000 * (spec.quantity ?? 1),
    trialPeriodDays: null,
  };
}
