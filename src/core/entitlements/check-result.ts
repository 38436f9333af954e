import { add, cmp, max, sign, sub, toDecimalString, ZERO, type Decimal } from "../decimal.ts";
import type { EffectiveLimit } from "./effective-limit.ts";
import { BLOCK_OVERAGE } from "../catalog/index.ts";
import { overageBarrier, overageState, type OverageRule, type OverageState } from "./overage.ts";

/** Why a check or consume said no; the codes are BillingError codes, so a service answers with them as they are. */
export type RefusalCode = "FEATURE_NOT_GRANTED" | "LIMIT_EXCEEDED" | "FORBIDDEN" | "HOOK_REFUSED";

export interface Refusal {
  readonly code: RefusalCode;
  /** A sentence for the caller: the limit's numbers, or the reason an authorize rule or hook gave. */
  readonly reason: string;
}

/**
 * The answer to "may this customer use `amount` more of this feature now?".
 *
 * The numbers are for display and are JS numbers for convenience; every decision is taken on
 * exact decimals, which `exact` carries as strings. For a flag, `limit` is null when it is on
 * (unlimited) and 0 when it is off; `used` is always 0. For a static feature (seats) billhub
 * keeps no count: `used` is 0, so `amount` is the total being asked about ("may they have 6
 * seats?") and `remaining` is the limit.
 */
export interface CheckResult {
  readonly feature: string;
  readonly allowed: boolean;
  readonly unlimited: boolean;
  readonly limit: number | null;
  readonly used: number;
  /** limit − used, never below 0, plus the unit credits left; null when unlimited. */
  readonly remaining: number | null;
  /** End of the current reset window; null for lifetime windows, static features and flags. */
  readonly resetsAt: Date | null;
  readonly exact: {
    readonly limit: string | null;
    readonly used: string;
    readonly remaining: string | null;
    readonly amount: string;
    /** Unit credits of the feature left (after this consume, for a consume), when the check counted credits. */
    readonly credits?: string;
  };
  /** Set exactly when `allowed` is false. */
  readonly refusal: Refusal | null;
  /**
   * Usage against the limit of a metered feature with a limit: whether it is past the limit, by
   * how much, and the plan's overage policy; null for flags, static features and unlimited limits.
   */
  readonly overage: OverageState | null;
}

export interface DecideInput {
  limit: EffectiveLimit;
  /** Usage in the current reset window (0 for flags and static features). */
  used: Decimal;
  /** What the caller wants to use on top of `used`. */
  amount: Decimal;
  resetsAt: Date | null;
  /** Unit credits of a metered feature: usage past the limit draws on them. */
  credits?: Decimal;
}

/** A decimal as a JS number, for display only: decisions never read these numbers back. */
export function displayNumber(value: Decimal): number {
  return Number(toDecimalString(value));
}

/**
 * Decides a check from the effective limit, the usage and the amount, exactly:
 * allowed = flag on | unlimited | used + amount ≤ limit.
 *
 * @example
 * decideCheck({ limit: { limit: parseDecimal("10"), type: "metered", ... }, used: parseDecimal("9.5"), amount: ONE, resetsAt })
 * // { allowed: false, limit: 10, used: 9.5, remaining: 0.5, refusal: { code: "LIMIT_EXCEEDED", ... }, ... }
 */
export function decideCheck(input: DecideInput): CheckResult {
  const { limit: effective, amount, resetsAt } = input;
  const used = effective.type === "metered" ? input.used : ZERO;
  const credits = effective.type === "metered" && input.credits !== undefined ? input.credits : ZERO;
  const unlimited = effective.limit === null;
  const planLeft = effective.limit === null ? null : max(sub(effective.limit, used), ZERO);
  const remaining = planLeft === null ? null : add(planLeft, credits);
  // Static features take no overage (the catalog refuses one), so only metered usage reads the rule.
  const rule: OverageRule = effective.type === "metered" ? (effective.overage ?? BLOCKED) : BLOCKED;
  let refusal: Refusal | null = null;
  if (effective.type === "boolean") {
    if (!effective.granted) refusal = { code: "FEATURE_NOT_GRANTED", reason: `Feature "${effective.feature}" is not included in this customer's plan` };
  } else if (effective.limit !== null && cmp(add(used, amount), effective.limit) > 0 && !(sign(credits) > 0 && cmp(amount, remaining!) <= 0)) {
    const limitText = toDecimalString(effective.limit);
    const creditText = sign(credits) > 0 ? ` and ${toDecimalString(credits)} credits left` : "";
    const barrier = overageBarrier(rule, effective.limit, add(used, amount));
    if (barrier !== null) {
      refusal = {
        code: "LIMIT_EXCEEDED",
        reason:
          effective.type === "static"
            ? `Feature "${effective.feature}" is limited to ${limitText}; ${toDecimalString(amount)} is over the limit`
            : `Feature "${effective.feature}" has ${toDecimalString(used)} of ${limitText} used${creditText}; ${toDecimalString(amount)} more would exceed ${barrier}`,
      };
    }
  }
  return {
    feature: effective.feature,
    allowed: refusal === null,
    unlimited,
    limit: effective.limit === null ? null : displayNumber(effective.limit),
    used: displayNumber(used),
    remaining: remaining === null ? null : displayNumber(remaining),
    resetsAt,
    exact: {
      limit: effective.limit === null ? null : toDecimalString(effective.limit),
      used: toDecimalString(used),
      remaining: remaining === null ? null : toDecimalString(remaining),
      amount: toDecimalString(amount),
      ...(input.credits === undefined || effective.type !== "metered" ? {} : { credits: toDecimalString(input.credits) }),
    },
    refusal,
    overage: effective.type === "metered" && effective.limit !== null ? overageState(rule, effective.limit, used) : null,
  };
}

const BLOCKED: OverageRule = Object.freeze({ policy: BLOCK_OVERAGE });

/**
 * How much of `amount` a granted consume takes from unit credits: what the limit left does not
 * cover (all of it when usage is already past the limit); nothing when unlimited.
 *
 * @example
 * creditsNeeded({ limit: 100, used: 98, amount: 5 }) // 3
 */
export function creditsNeeded(limit: Decimal | null, used: Decimal, amount: Decimal): Decimal {
  if (limit === null) return ZERO;
  return max(sub(amount, max(sub(limit, used), ZERO)), ZERO);
}

/** The same result, refused for another reason (an authorize rule, a before-consume hook). */
export function refuse(result: CheckResult, refusal: Refusal): CheckResult {
  return { ...result, allowed: false, refusal };
}

/**
 * The result of a granted consume: `used` already includes what was consumed (`input.used` is
 * the usage after it), `exact.amount` is the amount consumed, and it is allowed whatever the
 * limit says now (a retried consume returns what the first one decided).
 *
 * @example
 * grantedResult({ limit, used: parseDecimal("10"), amount: ONE, resetsAt }) // { allowed: true, used: 10, remaining: 0, ... }
 */
export function grantedResult(input: DecideInput): CheckResult {
  const after = decideCheck({ ...input, amount: ZERO });
  return { ...after, allowed: true, refusal: null, exact: { ...after.exact, amount: toDecimalString(input.amount) } };
}
