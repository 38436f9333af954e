import { cmp, min, parseDecimal, sign, sub, toDecimalString, ZERO, type Decimal } from "../decimal.ts";
import type { CreditGrant } from "./types.ts";

/**
 * The order credits are drawn in: lower priority number first, then the grant that expires
 * soonest (a grant that never expires last), then the oldest (effective first), then by id, so
 * two grants never tie.
 *
 * @example
 * grants.sort(compareForDraw) // [{ priority: 0, expiresAt: May 1 }, { priority: 0, expiresAt: null }, { priority: 5, ... }]
 */
export function compareForDraw(a: CreditGrant, b: CreditGrant): number {
  if (a.priority !== b.priority) return a.priority - b.priority;
  const aExpiry = a.expiresAt?.getTime() ?? Number.POSITIVE_INFINITY;
  const bExpiry = b.expiresAt?.getTime() ?? Number.POSITIVE_INFINITY;
  if (aExpiry !== bExpiry) return aExpiry < bExpiry ? -1 : 1;
  const aStart = a.effectiveAt.getTime();
  const bStart = b.effectiveAt.getTime();
  if (aStart !== bStart) return aStart < bStart ? -1 : 1;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

/** A grant usable at `at`: in effect, not expired, something left. */
export function usableAt(grant: CreditGrant, at: Date): boolean {
  return grant.effectiveAt <= at && (grant.expiresAt === null || at < grant.expiresAt) && sign(parseDecimal(grant.remaining)) > 0;
}

export interface Draw {
  readonly grantId: string;
  readonly amount: string;
}

/**
 * Takes `need` from the grants in draw order, as much as each has left; what the grants could
 * not cover is the shortfall. Exact: no rounding happens here.
 *
 * @example
 * drawDown([{ id: "a", remaining: "3", ... }, { id: "b", remaining: "10", ... }], parseDecimal("5"))
 * // { draws: [{ grantId: "a", amount: "3" }, { grantId: "b", amount: "2" }], shortfall: "0" }
 */
export function drawDown(grants: readonly CreditGrant[], need: Decimal): { draws: Draw[]; shortfall: string } {
  const draws: Draw[] = [];
  let left = need;
  for (const grant of [...grants].sort(compareForDraw)) {
    if (sign(left) <= 0) break;
    const take = min(parseDecimal(grant.remaining), left);
    if (sign(take) <= 0) continue;
    draws.push({ grantId: grant.id, amount: toDecimalString(take) });
    left = sub(left, take);
  }
  return { draws, shortfall: toDecimalString(cmp(left, ZERO) > 0 ? left : ZERO) };
}
