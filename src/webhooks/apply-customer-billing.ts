import type { ProviderChange, ProviderCustomerSubscriptions } from "../providers/types.ts";
import { findCustomer, findCustomerByProviderId, lockCustomer, type CustomerRecord } from "../store/customer-repository.ts";
import type { Sql } from "../store/types.ts";
import { subscriptionsOfProviderCustomer, upsertSubscription, type SubscriptionRecord } from "../store/webhooks/provider-subscriptions.ts";
import type { Applied, ObjectChange } from "./apply-event.ts";
import type { WebhookDeps } from "./deps.ts";
import { applyToCustomer, recordSubscription } from "./record-subscription.ts";
import { reread } from "./reread.ts";
import { stateHash } from "./state-hash.ts";

type BillingEvent = Extract<ProviderChange, { kind: "customer_billing_stale" }>;

/** Billhub's word for a subscription that is no longer among the customer's current ones. */
const ENDED = "ended";

/**
 * A thin event (Flowglad's) as a change to one customer's subscriptions. Such events carry no
 * state, and their timestamp is the delivery attempt's, not the change's: so every event re-reads
 * the customer's current subscriptions (the newest truth) and the version is the time of that
 * re-read. Events arriving in any order therefore converge on the provider's current state.
 */
export function customerBillingChange(deps: WebhookDeps, change: BillingEvent): ObjectChange<ProviderCustomerSubscriptions> {
  const { provider } = change;
  const { externalId } = change.customer;
  return {
    key: { provider, type: "customer", id: externalId },
    at: deps.now(),
    state: null,
    incomplete: true,
    reread: () => reread(deps, provider, "customer_subscriptions", externalId),
    hash: (current) => stateHash(current === null ? "deleted" : current),
    apply: (tx, current, at) => applySubscriptions(tx, deps, provider, externalId, current, at),
  };
}

async function applySubscriptions(tx: Sql, deps: WebhookDeps, provider: string, externalId: string, current: ProviderCustomerSubscriptions | null, at: Date): Promise<Applied> {
  const customer = await findByExternalId(tx, provider, externalId);
  // Row-lock first, as for single subscriptions (the subscription rows reference the customer).
  if (customer !== undefined) await lockCustomer(tx, customer.id);
  const records: SubscriptionRecord[] = [];
  for (const subscription of current?.subscriptions ?? []) {
    records.push(
      await recordSubscription(
        tx,
        deps.catalog,
        {
          provider,
          subscriptionId: subscription.id,
          providerCustomerId: externalId,
          status: subscription.status,
          deleted: false,
          prices: subscription.prices,
          currentPeriodStart: subscription.currentPeriodStart,
          currentPeriodEnd: subscription.currentPeriodEnd,
          cancelAtPeriodEnd: subscription.cancelAtPeriodEnd,
          trialEndsAt: subscription.trialEndsAt ?? null,
        },
        customer?.id ?? null,
        at,
      ),
    );
  }
  const ids = new Set(records.map((record) => record.subscriptionId));
  for (const stored of await subscriptionsOfProviderCustomer(tx, provider, externalId)) {
    if (ids.has(stored.subscriptionId) || (stored.status === ENDED && stored.customerId === (customer?.id ?? null))) continue;
    await upsertSubscription(tx, { ...stored, customerId: customer?.id ?? null, status: ENDED, entitled: false, pending: false, versionAt: at });
  }
  return applyToCustomer(tx, deps.catalog, records, customer, provider, externalId, at);
}

/**
 * A thin event names the customer by external id: `provider_ids[provider]`, else billhub's own
 * id (when that customer has no other id at the provider).
 */
async function findByExternalId(tx: Sql, provider: string, externalId: string): Promise<CustomerRecord | undefined> {
  const linked = await findCustomerByProviderId(tx, provider, externalId);
  if (linked !== undefined) return linked;
  const same = await findCustomer(tx, externalId);
  return same !== undefined && !Object.hasOwn(same.providerIds, provider) ? same : undefined;
}
