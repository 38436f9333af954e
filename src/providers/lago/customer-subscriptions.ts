import type { ProviderCurrentSubscription, ProviderCustomerSubscriptions, ProviderProduct } from "../types.ts";
import type { LagoPlan, LagoSubscription } from "./client.ts";

/**
 * A customer's current Lago subscriptions in billhub's terms. billhub reads the `active` and
 * `pending` ones (`status[]` of GET /api/v1/subscriptions); a subscription not among them has
 * been terminated or canceled. Pending (starting later, or a scheduled downgrade) grants nothing
 * yet. Each subscription has one plan: it stands as the subscription's one price, keyed by its
 * `plan_code` (what the catalog's `providerPrices.lago` lists). `ending_at` set on an active
 * subscription is a scheduled end. Fields: `SubscriptionObject` in `esm/openapi/client.d.ts`.
 *
 * @example
 * customerSubscriptionsFromLago([{ external_id: "sub_acme", status: "active", plan_code: "pro", ... }])
 * // { subscriptions: [{ id: "sub_acme", status: "active", prices: [{ priceId: "pro", lookupKey: "pro" }], ... }] }
 */
export function customerSubscriptionsFromLago(subscriptions: readonly LagoSubscription[]): ProviderCustomerSubscriptions {
  return {
    subscriptions: subscriptions
      .filter((subscription) => subscription.status === "active" || subscription.status === "pending")
      .map(
        (subscription): ProviderCurrentSubscription => ({
          id: subscription.external_id,
          status: subscription.status,
          prices: [{ priceId: subscription.plan_code, lookupKey: subscription.plan_code }],
          currentPeriodStart: dateOrNull(subscription.current_billing_period_started_at),
          currentPeriodEnd: dateOrNull(subscription.current_billing_period_ending_at),
          cancelAtPeriodEnd: subscription.ending_at !== null && subscription.ending_at !== undefined,
        }),
      ),
  };
}

/**
 * A Lago plan as the catalog's synced products keep it: by its `code` (the key subscriptions and
 * `providerPrices.lago` name it by), with its name and when Lago created it (`PlanObject`).
 */
export function productFromLagoPlan(plan: LagoPlan): ProviderProduct {
  return { id: plan.code, name: plan.name, active: true, defaultPriceId: null, metadata: { lago_id: plan.lago_id, interval: plan.interval }, updated: dateOrNull(plan.created_at) };
}

function dateOrNull(value: string | null | undefined): Date | null {
  if (value === null || value === undefined) return null;
  const at = Date.parse(value);
  return Number.isNaN(at) ? null : new Date(at);
}
