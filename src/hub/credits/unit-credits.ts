import { drawDown, usableAt } from "../../core/credits/draw-order.ts";
import { settle, type PeriodEnds } from "../../core/credits/settle.ts";
import type { CreditGrant } from "../../core/credits/types.ts";
import type { Catalog } from "../../core/catalog/index.ts";
import { add, parseDecimal, sign, sub, toDecimalString, ZERO, type Decimal } from "../../core/decimal.ts";
import type { BillingCycle } from "../../core/periods.ts";
import { liveUnitGrants, writeMovements, type CreditBalanceWrite, type CreditMovement } from "../../store/credits/credit-repository.ts";
import type { Sql } from "../../store/types.ts";
import { periodEndsFromHistory } from "./period-ends.ts";

/** A feature's unit credits at an instant, with expiries and rollovers up to it applied. */
export interface UnitCredits {
  readonly customerId: string;
  /** The grants as settled at `at`; only those usable at `at` count in `available`. */
  readonly grants: readonly CreditGrant[];
  readonly available: Decimal;
  readonly at: Date;
  /** Expiries and rollovers settled here that the ledger does not hold yet. */
  readonly forfeits: readonly CreditMovement[];
}

/** Settles grants to `at` in memory: the forfeits to write, and the grants as they stand after them. */
export function settleAll(grants: readonly CreditGrant[], periodEnds: PeriodEnds, at: Date): { grants: CreditGrant[]; forfeits: CreditMovement[] } {
  const settled: CreditGrant[] = [];
  const forfeits: CreditMovement[] = [];
  for (const grant of grants) {
    const result = settle(grant, periodEnds, at);
    settled.push({ ...grant, remaining: result.remaining, settledThrough: result.settledThrough });
    for (const forfeit of result.forfeits) forfeits.push({ grantId: grant.id, kind: "expire", amount: forfeit.amount, reference: forfeit.reference, at: forfeit.at });
  }
  return { grants: settled, forfeits };
}

/** Ends that settle nothing: what a settlement passes when no grant has a rollover to apply. */
const NO_ENDS: PeriodEnds = () => [];

/**
 * Settles a customer's grants to `at` in memory, with the period ends of its plan history over
 * the stretch settled (`periodEndsFromHistory`): read only when a grant has a rollover to apply
 * in it (something left, a policy other than "all", not settled to `at` yet).
 */
export async function settleFromHistory(
  sql: Sql,
  catalog: Catalog,
  customer: { customerId: string; cycle: BillingCycle },
  grants: readonly CreditGrant[],
  at: Date,
): Promise<{ grants: CreditGrant[]; forfeits: CreditMovement[] }> {
  let after: Date | undefined;
  for (const grant of grants) {
    const from = grant.settledThrough > grant.effectiveAt ? grant.settledThrough : grant.effectiveAt;
    if (grant.rollover.policy === "all" || sign(parseDecimal(grant.remaining)) <= 0 || !(from < at)) continue;
    if (after === undefined || from < after) after = from;
  }
  const periodEnds = after === undefined ? NO_ENDS : (await periodEndsFromHistory(sql, catalog, [{ ...customer, after, through: at }])).get(customer.customerId)!;
  return settleAll(grants, periodEnds, at);
}

/**
 * The customer's unit credits of a feature at `at`. With `lock`, the grants' rows are held until
 * the transaction ends (what a consume draws from); without, it is a read (what a check reports).
 */
export async function unitCredits(sql: Sql, catalog: Catalog, input: { customerId: string; cycle: BillingCycle; feature: string; at: Date; lock?: boolean }): Promise<UnitCredits> {
  const stored = await liveUnitGrants(sql, input.customerId, input.feature, { lock: input.lock ?? false });
  if (stored.length === 0) return { customerId: input.customerId, grants: [], available: ZERO, at: input.at, forfeits: [] };
  const { grants, forfeits } = await settleFromHistory(sql, catalog, input, stored, input.at);
  let available = ZERO;
  for (const grant of grants) if (usableAt(grant, input.at)) available = add(available, parseDecimal(grant.remaining));
  return { customerId: input.customerId, grants, available, at: input.at, forfeits };
}

/**
 * Writes what is due on locked unit credits: their settled expiries and rollovers, then a draw of
 * `need` in draw order, referenced by what caused it (a consume's transactionId). The caller has
 * checked `need` ≤ `available`. Returns the credits left.
 */
export async function drawUnitCredits(tx: Sql, credits: UnitCredits, need: Decimal, reference: string): Promise<Decimal> {
  const usableGrants = credits.grants.filter((grant) => usableAt(grant, credits.at));
  const { draws } = sign(need) > 0 ? drawDown(usableGrants, need) : { draws: [] };
  if (draws.length === 0 && credits.forfeits.length === 0) return credits.available;
  const drawn = new Map(draws.map((draw) => [draw.grantId, draw.amount]));
  const movements: CreditMovement[] = [...credits.forfeits, ...draws.map((draw): CreditMovement => ({ grantId: draw.grantId, kind: "draw", amount: draw.amount, reference, at: credits.at }))];
  const touched = new Set(movements.map((movement) => movement.grantId));
  const balances: CreditBalanceWrite[] = credits.grants
    .filter((grant) => touched.has(grant.id))
    .map((grant) => {
      const taken = drawn.get(grant.id);
      return { grantId: grant.id, remaining: taken === undefined ? grant.remaining : toDecimalString(sub(parseDecimal(grant.remaining), parseDecimal(taken))), settledThrough: grant.settledThrough };
    });
  await writeMovements(tx, credits.customerId, movements, balances);
  return sub(credits.available, need);
}
