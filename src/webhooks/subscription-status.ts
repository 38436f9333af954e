/**
 * What a subscription's status means for its customer's plan, for every provider's statuses
 * alike (Stripe's and Flowglad's; Orb's `upcoming`, Lago's `pending`):
 * - entitled: the plan is granted. `past_due` stays entitled while the provider retries the
 *   payment (its dunning decides when the subscription ends, not billhub); a cancellation
 *   scheduled for the period's end keeps the plan until then.
 * - pending: `incomplete`, the first payment has not gone through yet; `upcoming` / `pending`, a
 *   subscription whose start date is still ahead. The plan is not granted, and a plan the
 *   customer already has is not taken away either.
 * - ended: anything else (`canceled`, `incomplete_expired`, `unpaid`, `paused`, a deleted
 *   subscription): the subscription no longer grants its plan.
 */
const ENTITLED = new Set(["active", "trialing", "past_due", "cancellation_scheduled", "credit_trial"]);
const PENDING = new Set(["incomplete", "upcoming", "pending"]);

export interface StatusMeaning {
  entitled: boolean;
  pending: boolean;
}

/**
 * @example
 * subscriptionStatusMeaning("past_due") // { entitled: true, pending: false }
 */
export function subscriptionStatusMeaning(status: string, deleted = false): StatusMeaning {
  if (deleted) return { entitled: false, pending: false };
  return { entitled: ENTITLED.has(status), pending: PENDING.has(status) };
}
