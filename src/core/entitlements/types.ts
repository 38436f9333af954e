import type { BillingCycle } from "../periods.ts";

/** How often a limit adjustment applies: in the reset window it starts in, or in every window while active. */
export const RECURRENCES = ["once", "each_period"] as const;
export type Recurrence = (typeof RECURRENCES)[number];

/**
 * A customer's own grant for one feature. It replaces the plan's grant (and its variants);
 * adjustments still apply on top of it.
 */
export interface LimitOverride {
  readonly feature: string;
  /** Flags: on or off. Metered and static features: always true (the limit says how much). */
  readonly granted: boolean;
  /** Canonical decimal string; null = unlimited. */
  readonly limit: string | null;
}

/**
 * A time-bounded grant (positive amount) or deduction (negative amount) on top of a customer's
 * limit: bonuses, promotions, grandfathered limits.
 */
export interface LimitAdjustment {
  /** The caller's idempotency key for this adjustment, unique per customer. */
  readonly id: string;
  readonly feature: string;
  /** Signed canonical decimal string, never zero. */
  readonly amount: string;
  readonly recurrence: Recurrence;
  readonly startsAt: Date;
  /** Exclusive; null = no end. */
  readonly endsAt: Date | null;
  readonly reason: string | null;
  readonly metadata: Readonly<Record<string, unknown>>;
  readonly createdAt: Date;
}

/**
 * Everything that decides a customer's limits apart from the clock and usage: what the
 * entitlement cache holds per customer.
 */
export interface EntitlementState {
  readonly customerId: string;
  /** The assigned plan; null = the catalog's default plan (whatever it is when asked). */
  readonly assignedPlan: string | null;
  /** The customer's chosen variant; a call may name another. */
  readonly variant: string | null;
  readonly cycle: BillingCycle;
  readonly overrides: Readonly<Record<string, LimitOverride>>;
  readonly adjustments: readonly LimitAdjustment[];
}
