import "../types.ts";

declare module "../types.ts" {
  /** Flowglad's own re-readable object: a customer's billing, by external id. */
  interface ProviderObjects {
    customer_billing: FlowgladCustomerBilling;
  }
}

export interface FlowgladPrice {
  id: string;
  slug: string | null;
  name: string | null;
  type: "subscription" | "single_payment" | "usage";
  active: boolean;
  isDefault: boolean;
  currency: string;
  /** Integer minor units (per `usageEventsPerUnit` events for usage prices). */
  unitPrice: number;
  intervalUnit: "day" | "week" | "month" | "year" | null;
  intervalCount: number | null;
  usageEventsPerUnit: number | null;
  usageMeterId: string | null;
  productId: string | null;
}

export interface FlowgladFeature {
  id: string;
  slug: string;
  name: string;
  type: "toggle" | "usage_credit_grant" | "resource";
  amount: number | null;
  usageMeterId: string | null;
  renewalFrequency: string | null;
}

export interface FlowgladProduct {
  id: string;
  slug: string | null;
  name: string;
  active: boolean;
  isDefault: boolean;
  prices: FlowgladPrice[];
  features: FlowgladFeature[];
}

export interface FlowgladUsageMeter {
  id: string;
  slug: string;
  name: string;
  aggregationType: "sum" | "count_distinct_properties";
  prices: FlowgladPrice[];
}

export interface FlowgladPricingModel {
  id: string;
  name: string;
  isDefault: boolean;
  livemode: boolean;
  updatedAt: Date;
  products: FlowgladProduct[];
  usageMeters: FlowgladUsageMeter[];
}

export interface FlowgladSubscription {
  id: string;
  status: string;
  priceId: string;
  current: boolean;
  currentBillingPeriodStart: Date | null;
  currentBillingPeriodEnd: Date | null;
  /** When the trial ends or ended (Flowglad keeps it after the trial); null without one. */
  trialEnd: Date | null;
  items: { id: string; priceId: string | null; priceSlug: string | null; usageMeterId: string | null; quantity: number }[];
  usageMeterBalances: { slug: string; availableBalance: number }[];
}

/** A purchase of one of the customer's prices (a one-time payment, a subscription, usage). */
export interface FlowgladPurchase {
  id: string;
  priceId: string;
  quantity: number;
  /** open, pending, failed, paid, refunded, partial_refund, fraudulent (@flowglad/node 0.29.0). */
  status: string;
  priceType: string | null;
}

/** A Flowglad customer's billing, as plain data. */
export interface FlowgladCustomerBilling {
  customer: { id: string; externalId: string; email: string | null; name: string | null };
  pricingModel: FlowgladPricingModel;
  currentSubscriptions: FlowgladSubscription[];
  purchases: FlowgladPurchase[];
}
