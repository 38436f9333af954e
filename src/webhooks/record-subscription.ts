import { planForSubscription, type Catalog, type SubscribedPrice } from "../core/catalog/index.ts";
import type { CustomerRecord } from "../store/customer-repository.ts";
import type { Sql } from "../store/types.ts";
import { upsertSubscription, type SubscriptionRecord } from "../store/webhooks/provider-subscriptions.ts";
import type { Applied } from "./apply-event.ts";
import { applyCustomerPlan } from "./customer-plan.ts";
import { subscriptionStatusMeaning } from "./subscription-status.ts";

/** A provider subscription in the terms every provider shares. */
export interface SubscriptionFacts {
  provider: string;
  subscriptionId: string;
  /** The provider's customer id (Stripe `cus_...`, Flowglad's external id). */
  providerCustomerId: string;
  status: string;
  deleted: boolean;
  prices: SubscribedPrice[];
  currentPeriodStart: Date | null;
  currentPeriodEnd: Date | null;
  cancelAtPeriodEnd: boolean;
  /** While trialing: when the trial ends. */
  trialEndsAt?: Date | null;
}

/** Stores a subscription with the plan its prices map to and what its status means. */
export async function recordSubscription(tx: Sql, catalog: Catalog, facts: SubscriptionFacts, customerId: string | null, at: Date): Promise<SubscriptionRecord> {
  const resolution = planForSubscription(catalog, facts.provider, facts.prices);
  const record: SubscriptionRecord = {
    provider: facts.provider,
    subscriptionId: facts.subscriptionId,
    providerCustomerId: facts.providerCustomerId,
    customerId,
    status: facts.deleted ? "canceled" : facts.status,
    ...subscriptionStatusMeaning(facts.status, facts.deleted),
    planKey: resolution.plan,
    planError: resolution.error,
    priceIds: facts.prices.map((price) => price.priceId),
    lookupKeys: facts.prices.flatMap((price) => (price.lookupKey === null ? [] : [price.lookupKey])),
    currentPeriodStart: facts.currentPeriodStart,
    currentPeriodEnd: facts.currentPeriodEnd,
    cancelAtPeriodEnd: facts.cancelAtPeriodEnd,
    trialEndsAt: facts.deleted ? null : (facts.trialEndsAt ?? null),
    versionAt: at,
  };
  await upsertSubscription(tx, record);
  return record;
}

/**
 * Applies recorded subscriptions to their customer's plan and says how it went: an unknown
 * customer keeps the subscriptions for later (outcome `unknown_customer`, processed again when
 * the event is resent); an entitled subscription that maps to no plan is `unmapped_plan`.
 * `at` dates the plan change, if any; `locked` is the customer's row as this transaction locked
 * it FOR UPDATE, when it did.
 */
export async function applyToCustomer(
  tx: Sql,
  catalog: Catalog,
  records: readonly SubscriptionRecord[],
  customer: { id: string } | undefined,
  provider: string,
  providerCustomerId: string,
  at: Date,
  locked?: CustomerRecord,
): Promise<Applied> {
  if (customer === undefined) {
    return {
      outcome: "unknown_customer",
      error: `No billhub customer has provider_ids.${provider} = ${JSON.stringify(providerCustomerId)}; the subscription is kept. Set it with upsertCustomer, then resend this event`,
      customers: [],
    };
  }
  await applyCustomerPlan(tx, catalog, customer.id, at, locked);
  const unmapped = records.find((record) => record.entitled && record.planError !== null);
  if (unmapped !== undefined) return { outcome: "unmapped_plan", error: unmapped.planError, customers: [customer.id] };
  return { outcome: "applied", error: null, customers: [customer.id] };
}
