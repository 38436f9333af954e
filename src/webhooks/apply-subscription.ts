import type { ProviderChange, ProviderSubscription } from "../providers/types.ts";
import { findCustomerByProviderId } from "../store/customer-repository.ts";
import type { Sql } from "../store/types.ts";
import { findProducts } from "../store/webhooks/provider-products.ts";
import type { Applied, ObjectChange } from "./apply-event.ts";
import type { WebhookDeps } from "./deps.ts";
import { applyToCustomer, recordSubscription } from "./record-subscription.ts";
import { reread } from "./reread.ts";
import { stateHash } from "./state-hash.ts";

type SubscriptionEvent = Extract<ProviderChange, { kind: "subscription_changed" }>;

interface SubscriptionState {
  subscription: ProviderSubscription;
  /** The provider deleted it (a deletion event, or a re-read answered `canceled`). */
  deleted: boolean;
}

/**
 * A subscription event as an ordered change to the subscription and its customer's plan.
 * The plan comes from the subscription's prices (see `planForSubscription`): `billhub_plan`
 * metadata on the price or its synced product, else the catalog's `providerPrices[provider]`.
 */
export function subscriptionChange(deps: WebhookDeps, change: SubscriptionEvent): ObjectChange<SubscriptionState> {
  const { subscription, provider } = change;
  // A subscription the provider no longer knows is as good as deleted.
  const gone: SubscriptionState = { subscription, deleted: true };
  return {
    key: { provider, type: "subscription", id: subscription.id },
    at: change.created,
    state: { subscription, deleted: change.deleted },
    incomplete: false,
    async reread() {
      const current = await reread(deps, provider, "subscription", subscription.id);
      return current && { subscription: current, deleted: current.status === "canceled" };
    },
    hash: (state) => stateHash(state ?? gone),
    apply: (tx, state, at) => applySubscription(tx, deps, provider, state ?? gone, at),
  };
}

async function applySubscription(tx: Sql, deps: WebhookDeps, provider: string, state: SubscriptionState, at: Date): Promise<Applied> {
  const { subscription } = state;
  // Row-lock the customer (found and locked in one statement) before writing a subscription row
  // that references it: that write takes a key-share lock on the customer, and two transactions
  // each holding one while asking for the row lock (to set the plan) would deadlock.
  const customer = await findCustomerByProviderId(tx, provider, subscription.providerCustomerId, { forUpdate: true });
  const productIds = [...new Set(subscription.items.map((item) => item.productId))];
  const products = new Map((await findProducts(tx, provider, productIds)).map((product) => [product.productId, product.metadata]));
  const period = subscription.items.find((item) => item.currentPeriodStart !== null && item.currentPeriodEnd !== null);
  const record = await recordSubscription(
    tx,
    deps.catalog,
    {
      provider,
      subscriptionId: subscription.id,
      providerCustomerId: subscription.providerCustomerId,
      status: subscription.status,
      deleted: state.deleted,
      prices: subscription.items.map((item) => ({ priceId: item.priceId, lookupKey: item.lookupKey, priceMetadata: item.priceMetadata, productMetadata: products.get(item.productId) ?? {} })),
      currentPeriodStart: period?.currentPeriodStart ?? null,
      currentPeriodEnd: period?.currentPeriodEnd ?? null,
      cancelAtPeriodEnd: subscription.cancelAtPeriodEnd,
      trialEndsAt: subscription.trialEndsAt ?? null,
    },
    customer?.id ?? null,
    at,
  );
  return applyToCustomer(tx, deps.catalog, [record], customer, provider, subscription.providerCustomerId, at, customer);
}
