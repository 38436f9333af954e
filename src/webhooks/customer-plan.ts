import { planInForce, type Catalog } from "../core/catalog/index.ts";
import { findCustomer, lockCustomer, setCustomerPlan, type CustomerRecord } from "../store/customer-repository.ts";
import type { Sql } from "../store/types.ts";
import { subscriptionsOfCustomer } from "../store/webhooks/provider-subscriptions.ts";

/**
 * Sets a customer's plan and billing period from all of their provider subscriptions, inside the
 * transaction that changed one of them (the customer row is locked first, so two subscriptions
 * of one customer changing at once are applied one after the other; `locked` is that row when
 * the caller locked it with FOR UPDATE and read it in the same statement):
 * - the most recently changed entitled subscription with a plan wins: the customer is assigned
 *   that plan (keeping their variant if the plan stays the same) and its current period;
 * - an entitled subscription whose prices map to no plan, or a pending one, leaves the plan as it is;
 * - otherwise (every subscription ended) the customer returns to the catalog's default plan.
 * A customer with provider subscriptions has the plan they pay for: an `assign` made by hand is
 * replaced at the next subscription change. A plan change is dated `at`, the provider's time of
 * the change being applied (see `recordPlanChange` for when that instant is moved forward).
 */
export async function applyCustomerPlan(tx: Sql, catalog: Catalog, customerId: string, at: Date, locked?: CustomerRecord): Promise<void> {
  // A row this transaction already locked FOR UPDATE is current: no second lock, no second read.
  if (locked === undefined) await lockCustomer(tx, customerId);
  const customer = locked ?? (await findCustomer(tx, customerId));
  if (customer === undefined) return;
  const subscriptions = await subscriptionsOfCustomer(tx, customerId);
  const held = planInForce(customer, at);
  const chosen = subscriptions.find((subscription) => subscription.entitled && subscription.planKey !== null && Object.hasOwn(catalog.plans, subscription.planKey));
  if (chosen !== undefined && chosen.planKey !== null) {
    const variant = held.planKey === chosen.planKey ? held.planVariant : null;
    const period =
      chosen.currentPeriodStart !== null && chosen.currentPeriodEnd !== null && chosen.currentPeriodStart < chosen.currentPeriodEnd
        ? { start: chosen.currentPeriodStart, end: chosen.currentPeriodEnd }
        : undefined;
    // A trialing subscription's trial is the provider's: it converts (the provider says otherwise by changing the subscription).
    const trial = chosen.trialEndsAt !== null && chosen.trialEndsAt > at ? { endsAt: chosen.trialEndsAt, onEnd: "convert" as const } : undefined;
    const trialChanged = (held.trialing ? customer.trialEndsAt!.getTime() : null) !== (trial?.endsAt.getTime() ?? null);
    if (held.planKey !== chosen.planKey || held.planVariant !== variant || period !== undefined || trialChanged) {
      await setCustomerPlan(tx, customerId, chosen.planKey, variant, { period, trial, currency: catalog.plans[chosen.planKey]!.currency, change: { effectiveAt: at, source: "subscription", reference: `${chosen.provider}:${chosen.subscriptionId}` } });
    }
    return;
  }
  if (subscriptions.some((subscription) => subscription.entitled || subscription.pending)) return;
  const last = subscriptions[0];
  const reference = last === undefined ? null : `${last.provider}:${last.subscriptionId}`;
  if (customer.planKey !== null || customer.trialEndsAt !== null) await setCustomerPlan(tx, customerId, null, null, { change: { effectiveAt: at, source: "subscription", reference } });
}
