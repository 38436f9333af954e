import { BillingError, listKeys } from "../../core/errors.ts";
import type { FlowgladCustomerBilling, FlowgladSubscription } from "./types.ts";
import type { FlowgladMeters } from "./config.ts";

export type { FlowgladMeters };
export type FlowgladMeterMapping = FlowgladMeters[string];

/** Where one usage event goes at Flowglad: the subscription, and exactly one price/meter identifier. */
export interface UsageTarget {
  subscriptionId: string;
  identifier: { usageMeterSlug: string } | { priceSlug: string };
  usageMeterId: string;
}

/**
 * Resolves the subscription and usage meter for a meter mapping from the customer's billing.
 * Flowglad attaches usage to a subscription; when a customer has several current ones, the one
 * whose items or balances carry the meter is used, and an ambiguous choice is an error rather
 * than a guess (a guess would bill the wrong subscription).
 *
 * @example
 * resolveUsageTarget(billing, { usageMeterSlug: "api_calls" }, "api_calls")
 * // { subscriptionId: "sub_1", identifier: { usageMeterSlug: "api_calls" }, usageMeterId: "um_1" }
 */
export function resolveUsageTarget(billing: FlowgladCustomerBilling, mapping: FlowgladMeterMapping, meterKey: string): UsageTarget | BillingError {
  const model = billing.pricingModel;
  const who = `Flowglad customer ${JSON.stringify(billing.customer.externalId)}`;
  let usageMeterId: string;
  let slug: string;
  if ("usageMeterSlug" in mapping) {
    slug = mapping.usageMeterSlug;
    const meter = model.usageMeters.find((candidate) => candidate.slug === slug);
    if (meter === undefined) {
      return notFound(`${who}'s pricing model ${model.id} has no usage meter ${JSON.stringify(slug)} (meters: ${listKeys(model.usageMeters.map((m) => m.slug))}); fix flowglad.meters.${meterKey}`, meterKey);
    }
    usageMeterId = meter.id;
  } else {
    slug = mapping.priceSlug;
    const prices = [...model.usageMeters.flatMap((meter) => meter.prices), ...model.products.flatMap((product) => product.prices)];
    const price = prices.find((candidate) => candidate.slug === slug && candidate.type === "usage" && candidate.usageMeterId !== null);
    if (price === undefined || price.usageMeterId === null) {
      const usageSlugs = prices.filter((p) => p.type === "usage" && p.slug !== null).map((p) => p.slug!);
      return notFound(`${who}'s pricing model ${model.id} has no usage price ${JSON.stringify(slug)} (usage prices: ${listKeys(new Set(usageSlugs))}); fix flowglad.meters.${meterKey}`, meterKey);
    }
    usageMeterId = price.usageMeterId;
  }

  const subscriptions = billing.currentSubscriptions;
  if (subscriptions.length === 0) {
    return new BillingError("PROVIDER_NOT_FOUND", `${who} has no current subscription, and Flowglad attaches usage to one; subscribe the customer, then replay`, {
      provider: "flowglad",
      details: { externalId: billing.customer.externalId },
    });
  }
  const subscription = subscriptions.length === 1 ? subscriptions[0]! : pick(subscriptions, usageMeterId, model.usageMeters.find((m) => m.id === usageMeterId)?.slug);
  if (subscription === undefined) {
    return new BillingError(
      "PROVIDER_CONFLICT",
      `${who} has ${subscriptions.length} current subscriptions (${subscriptions.map((s) => s.id).join(", ")}) and billhub cannot tell which one meter ${JSON.stringify(slug)} belongs to`,
      { provider: "flowglad", details: { subscriptions: subscriptions.map((s) => s.id) } },
    );
  }
  return { subscriptionId: subscription.id, identifier: "usageMeterSlug" in mapping ? { usageMeterSlug: slug } : { priceSlug: slug }, usageMeterId };
}

function pick(subscriptions: readonly FlowgladSubscription[], usageMeterId: string, meterSlug: string | undefined): FlowgladSubscription | undefined {
  const carrying = subscriptions.filter(
    (subscription) =>
      subscription.items.some((item) => item.usageMeterId === usageMeterId) ||
      (meterSlug !== undefined && subscription.usageMeterBalances.some((balance) => balance.slug === meterSlug)),
  );
  return carrying.length === 1 ? carrying[0] : undefined;
}

function notFound(message: string, meterKey: string): BillingError {
  return new BillingError("PROVIDER_NOT_FOUND", message, { provider: "flowglad", field: `flowglad.meters.${meterKey}` });
}
