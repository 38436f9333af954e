import type { TrialOnEnd } from "./schema.ts";

const DAY_MS = 86_400_000;

/** A customer's plan as stored: the plan assigned and, when it came with a trial, when and how that trial ends. */
export interface AssignedPlan {
  /** null = the catalog's default plan. */
  readonly planKey: string | null;
  readonly planVariant: string | null;
  readonly trialEndsAt: Date | null;
  readonly trialOnEnd: TrialOnEnd | null;
}

/** The plan in force at an instant, and whether it is still in its trial then. */
export interface PlanInForce {
  readonly planKey: string | null;
  readonly planVariant: string | null;
  readonly trialing: boolean;
}

/**
 * The plan a customer holds at `at`. During a trial (before `trialEndsAt`) that is the plan
 * assigned, on trial; once the trial has ended, the plan assigned (`convert`) or the catalog's
 * default plan (`default`), as the trial said when it started.
 *
 * @example
 * planInForce({ planKey: "pro", planVariant: null, trialEndsAt: new Date("2026-10-15T00:00:00Z"), trialOnEnd: "default" }, new Date("2026-10-20T00:00:00Z"))
 * // { planKey: null, planVariant: null, trialing: false }
 */
export function planInForce(assigned: AssignedPlan, at: Date): PlanInForce {
  if (assigned.trialEndsAt === null) return { planKey: assigned.planKey, planVariant: assigned.planVariant, trialing: false };
  if (at < assigned.trialEndsAt) return { planKey: assigned.planKey, planVariant: assigned.planVariant, trialing: true };
  if (assigned.trialOnEnd === "default") return { planKey: null, planVariant: null, trialing: false };
  return { planKey: assigned.planKey, planVariant: assigned.planVariant, trialing: false };
}

/**
 * When a trial of `days` whole days started at `start` ends: exactly `days` × 24 hours later (UTC
 * has no daylight saving, so a day is always 86,400 seconds), as Stripe's `trial_period_days`.
 *
 * @example
 * trialEnd(new Date("2026-10-10T09:30:00Z"), 14) // 2026-10-24T09:30:00.000Z
 */
export function trialEnd(start: Date, days: number): Date {
  return new Date(start.getTime() + days * DAY_MS);
}
