import type { FlowgladCustomerBilling, FlowgladPricingModel, ProviderChange } from "../providers/types.ts";
import { findCustomer, findCustomerByProviderId, lockCustomer, type CustomerRecord } from "../store/customer-repository.ts";
import type { Sql } from "../store/types.ts";
import { subscriptionsOfProviderCustomer, upsertSubscription, type SubscriptionRecord } from "../store/webhooks/provider-subscriptions.ts";
import type { Applied, ObjectChange } from "./apply-event.ts";
import type { WebhookDeps } from "./deps.ts";
import { applyToCustomer, recordSubscription } from "./record-subscription.ts";
import { reread } from "./reread.ts";
import { stateHash } from "./state-hash.ts";

type BillingEvent = Extract<ProviderChange, { kind: "customer_billing_stale" }>;

/** Billhub's word for a Flowglad subscription that is no longer among the customer's current ones. */
const ENDED = "ended";

/**
 * A Flowglad event as a change to one customer's subscriptions. Flowglad's events are thin, and
 * their timestamp is the delivery attempt's, not the change's: so every event re-reads the
 * customer's billing (the newest truth) and the version is the time of that re-read. Events
 * arriving in any order therefore converge on Flowglad's current state.
 */
export function customerBillingChange(deps: WebhookDeps, change: BillingEvent): ObjectChange<FlowgladCustomerBilling> {
  const { externalId } = change.customer;
  return {
    key: { provider: "flowglad", type: "customer", id: externalId },
    at: deps.now(),
    state: null,
    incomplete: true,
    reread: () => reread(deps, "flowglad", "customer_billing", externalId),
    hash: (billing) => stateHash(billing === null ? "deleted" : { customer: billing.customer, subscriptions: billing.currentSubscriptions.map(({ usageMeterBalances: _, ...rest }) => rest) }),
    apply: (tx, billing, at) => applyBilling(tx, deps, externalId, billing, at),
  };
}

async function applyBilling(tx: Sql, deps: WebhookDeps, externalId: string, billing: FlowgladCustomerBilling | null, at: Date): Promise<Applied> {
  const customer = await findFlowgladCustomer(tx, externalId);
  // Row-lock first, as for Stripe subscriptions (the subscription rows reference the customer).
  if (customer !== undefined) await lockCustomer(tx, customer.id);
  const slugs = priceSlugs(billing?.pricingModel);
  const records: SubscriptionRecord[] = [];
  for (const subscription of billing?.currentSubscriptions ?? []) {
    const priceIds = [...new Set([subscription.priceId, ...subscription.items.flatMap((item) => (item.priceId === null ? [] : [item.priceId]))])];
    records.push(
      await recordSubscription(
        tx,
        deps.catalog,
        {
          provider: "flowglad",
          subscriptionId: subscription.id,
          providerCustomerId: externalId,
          status: subscription.status,
          deleted: false,
          prices: priceIds.map((priceId) => ({ priceId, lookupKey: slugs.get(priceId) ?? null })),
          currentPeriodStart: subscription.currentBillingPeriodStart,
          currentPeriodEnd: subscription.currentBillingPeriodEnd,
          cancelAtPeriodEnd: subscription.status === "cancellation_scheduled",
        },
        customer?.id ?? null,
        at,
      ),
    );
  }
  const current = new Set(records.map((record) => record.subscriptionId));
  for (const stored of await subscriptionsOfProviderCustomer(tx, "flowglad", externalId)) {
    if (current.has(stored.subscriptionId) || (stored.status === ENDED && stored.customerId === (customer?.id ?? null))) continue;
    await upsertSubscription(tx, { ...stored, customerId: customer?.id ?? null, status: ENDED, entitled: false, pending: false, versionAt: at });
  }
  return applyToCustomer(tx, deps.catalog, records, customer, "flowglad", externalId);
}

/** Flowglad names customers by external id: `provider_ids.flowglad`, else billhub's own id (when it has no other Flowglad id). */
async function findFlowgladCustomer(tx: Sql, externalId: string): Promise<CustomerRecord | undefined> {
  const linked = await findCustomerByProviderId(tx, "flowglad", externalId);
  if (linked !== undefined) return linked;
  const same = await findCustomer(tx, externalId);
  return same !== undefined && same.providerIds.flowglad === undefined ? same : undefined;
}

function priceSlugs(model: FlowgladPricingModel | undefined): Map<string, string> {
  const slugs = new Map<string, string>();
  const prices = [...(model?.products.flatMap((product) => product.prices) ?? []), ...(model?.usageMeters.flatMap((meter) => meter.prices) ?? [])];
  for (const price of prices) if (price.slug !== null) slugs.set(price.id, price.slug);
  return slugs;
}
