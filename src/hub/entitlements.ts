import { requireFeature, type Feature, type Meter } from "../core/catalog/index.ts";
import { add, cmp, min, parseDecimal, toDecimalString, ONE, ZERO, type Decimal } from "../core/decimal.ts";
import { creditsNeeded, decideCheck, displayNumber, grantedResult, refuse, resetsAt, type CheckResult, type Refusal } from "../core/entitlements/index.ts";
import { BillingError } from "../core/errors.ts";
import type { Sql } from "../store/types.ts";
import type { AlertFirer } from "./alerts/fire-alerts.ts";
import type { HubContext } from "./context.ts";
import { toCustomer } from "./customers.ts";
import { refusalOf, type ConsumeResult, type EntitlementHooks } from "./entitlement-hooks.ts";
import { parseAmount, type CustomerEntitlementsView, type EntitlementResolver, type QueryOptions, type Resolved } from "./entitlement-resolver.ts";
import { featureUsage } from "./ledger.ts";
import { countRecorded, recordOne } from "./ledger/record.ts";
import { drawUnitCredits, unitCredits, type UnitCredits } from "./credits/unit-credits.ts";

export interface CheckOptions extends QueryOptions {
  /**
   * How much more the caller wants to use; defaults to 1. For a static feature (seats) it is
   * the total asked about ("may they have 6 seats?"). Ignored for flags.
   */
  amount?: number | string;
}

export interface ConsumeOptions extends QueryOptions {
  /** Event properties for the ledger, e.g. `{ model: "gpt-5" }`. */
  properties?: Record<string, unknown>;
}

export interface EntitlementsApi {
  /**
   * Every feature's limit for the customer right now: the plan (or variant), overrides and
   * active adjustments, without usage.
   * @example (await hub.entitlements("org_42")).features.api.limit // 100000
   */
  entitlements(customerId: string, options?: QueryOptions): Promise<CustomerEntitlementsView>;
  /**
   * The customer's effective limit for a feature: a number, or null for unlimited (and for a
   * flag that is on; a flag that is off is 0).
   * @example await hub.limit("org_42", "api") // 100500 with a 500 bonus
   */
  limit(customerId: string, feature: string, options?: QueryOptions): Promise<number | null>;
  /**
   * May the customer use `amount` (default 1) more of the feature now? Limits, live usage in the
   * current reset window, and your authorize rule.
   * @example const { allowed, remaining, resetsAt } = await hub.check("org_42", "api", { amount: 10 })
   */
  check(customerId: string, feature: string, options?: CheckOptions): Promise<CheckResult>;
  /** `check(...).allowed`. @example if (!(await hub.can("org_42", "sso"))) return forbidden() */
  can(customerId: string, feature: string, options?: CheckOptions): Promise<boolean>;
  /**
   * Checks and records usage of a metered feature as one atomic step: concurrent consumers of
   * the same customer and meter take turns, so they can never both take the last unit. A refused
   * consume records nothing; a retry with the same transactionId returns the first decision's
   * usage as a duplicate without recording again.
   * @example
   * const result = await hub.consume("org_42", "api", 1, `req_${requestId}`);
   * if (!result.allowed) return tooManyRequests(result.refusal.reason, result.resetsAt);
   */
  consume(customerId: string, feature: string, amount: number | string, transactionId: string, options?: ConsumeOptions): Promise<ConsumeResult>;
}

/** Thrown inside a consume's transaction to roll it back and answer with the refusal. */
class Refused {
  constructor(readonly result: CheckResult) {}
}

/** The meter a consume of `feature` records on, or why the feature cannot be consumed. */
function consumableMeter(catalog: HubContext["catalog"], feature: Feature, amount: Decimal): Meter {
  if (feature.type !== "metered") {
    throw new BillingError("VALIDATION_FAILED", `feature "${feature.key}" is ${feature.type === "boolean" ? "a flag" : "static"}: it has no usage to consume; use check() for it`, { field: "feature" });
  }
  const meter = catalog.meters[feature.meter]!;
  if (meter.aggregation !== "sum" && meter.aggregation !== "count") {
    throw new BillingError(
      "VALIDATION_FAILED",
      `feature "${feature.key}" counts its meter "${meter.key}" by ${meter.aggregation}, so an amount cannot be taken from its limit; record the usage with record() and gate it with check()`,
      { field: "feature" },
    );
  }
  // A count meter counts each usage event as 1, whatever its quantity.
  if (meter.aggregation === "count" && cmp(amount, ONE) !== 0) {
    throw new BillingError("INVALID_AMOUNT", `feature "${feature.key}" counts events on meter "${meter.key}": consume 1 per event, got ${toDecimalString(amount)}`, { field: "amount" });
  }
  return meter;
}

/**
 * Request-time entitlements: limits now; checks and consumes against live usage. A granted
 * consume fires the threshold alerts it reaches (`alerts`) in its own transaction.
 */
export function createEntitlementsApi(ctx: HubContext, resolver: EntitlementResolver, hooks: EntitlementHooks, alerts?: AlertFirer): EntitlementsApi {
  const { catalog, store } = ctx;

  async function usedNow(resolved: Resolved, sql: Sql = store): Promise<Decimal> {
    if (resolved.feature.type !== "metered" || resolved.window === null) return ZERO;
    return parseDecimal(await featureUsage(sql, ctx, { customerId: resolved.entry.customer.id, feature: resolved.feature.key, window: resolved.window }));
  }

  /**
   * The feature's unit credits at the resolved instant, for a metered feature with a limit (an
   * unlimited one never draws on them); locked for a consume, read for a check; undefined when
   * there are none.
   */
  async function creditsFor(resolved: Resolved, sql: Sql, lock: boolean): Promise<UnitCredits | undefined> {
    if (resolved.feature.type !== "metered" || resolved.limit.limit === null) return undefined;
    const { customer, state } = resolved.entry;
    const credits = await unitCredits(sql, catalog, { customerId: customer.id, cycle: state.cycle, feature: resolved.feature.key, at: resolved.at, lock });
    // Results carry `exact.credits` only for customers holding unit credits of the feature.
    return credits.grants.length === 0 ? undefined : credits;
  }

  async function authorizeRefusal(resolved: Resolved, amount: Decimal): Promise<Refusal | null> {
    if (hooks.authorize === undefined) return null;
    const verdict = await hooks.authorize({ customer: toCustomer(resolved.entry.customer, catalog, ctx.now()), feature: resolved.feature, amount: toDecimalString(amount) });
    const reason = refusalOf(verdict, "authorize", `Refused by the authorize rule for feature "${resolved.feature.key}"`);
    return reason === undefined ? null : { code: "FORBIDDEN", reason };
  }

  async function check(customerId: string, featureKey: string, options: CheckOptions = {}): Promise<CheckResult> {
    requireFeature(catalog, featureKey);
    const amount = parseAmount(options.amount);
    const resolved = await resolver.resolve(customerId, featureKey, options);
    const credits = await creditsFor(resolved, store, false);
    const result = decideCheck({ limit: resolved.limit, used: await usedNow(resolved), amount, resetsAt: resetsAt(resolved.window), ...(credits && { credits: credits.available }) });
    const refusal = await authorizeRefusal(resolved, amount);
    return refusal === null ? result : refuse(result, refusal);
  }

  async function consume(customerId: string, featureKey: string, amountInput: number | string, transactionId: string, options: ConsumeOptions = {}): Promise<ConsumeResult> {
    const feature = requireFeature(catalog, featureKey);
    if (amountInput === undefined) throw new BillingError("INVALID_AMOUNT", "amount is required: how much of the feature to consume", { field: "amount" });
    const amount = parseAmount(amountInput);
    const meter = consumableMeter(catalog, feature, amount);
    const requested = await resolver.resolve(customerId, featureKey, options);
    const customer = toCustomer(requested.entry.customer, catalog, ctx.now());
    const base = { customer, feature, amount: toDecimalString(amount), transactionId };

    let result: ConsumeResult;
    try {
      result = await store.transaction(async (tx) => {
        // Consumers of one customer's meter take turns from here to commit: each reads usage that
        // includes every earlier consume, so two can never both take the last unit.
        await tx.query("SELECT pg_advisory_xact_lock(hashtext($1), hashtext($2))", [customer.id, meter.key]);
        // The window is taken after the wait for the lock, so that the usage read and the event the
        // ledger stamps with the clock right after it fall in the same reset window.
        const resolved = resolver.at(requested, ctx.now());
        const resetAt = resetsAt(resolved.window);
        const used = await usedNow(resolved, tx);
        // Held from here to commit, so no other writer draws or settles these credits meanwhile.
        const credits = await creditsFor(resolved, tx, true);
        // Recording first lets the ledger tell a retry (duplicate) from new usage with its own
        // idempotency rules; a refusal below rolls the insert back, so nothing stays written.
        const recorded = await recordOne(tx, ctx, {
          customerId: customer.id,
          meter: meter.key,
          quantity: toDecimalString(amount),
          transactionId,
          ...(options.properties === undefined ? {} : { properties: options.properties }),
        });
        if (recorded.status === "duplicate") {
          return { ...grantedResult({ limit: resolved.limit, used, amount: parseDecimal(recorded.event.quantity), resetsAt: resetAt, ...(credits && { credits: credits.available }) }), transactionId, status: "duplicate" as const };
        }
        const decision = decideCheck({ limit: resolved.limit, used, amount, resetsAt: resetAt, ...(credits && { credits: credits.available }) });
        const refusal = await authorizeRefusal(resolved, amount);
        if (refusal !== null) throw new Refused(refuse(decision, refusal));
        if (!decision.allowed) throw new Refused(decision);
        if (hooks.beforeConsume !== undefined) {
          const verdict = await hooks.beforeConsume({ ...base, check: decision });
          const reason = refusalOf(verdict, "beforeConsume", `Refused by the beforeConsume hook for feature "${feature.key}"`);
          if (reason !== undefined) throw new Refused(refuse(decision, { code: "HOOK_REFUSED", reason }));
        }
        // Usage past the limit is paid from unit credits, drawn in the same transaction as the usage.
        const creditsLeft = credits && (await drawUnitCredits(tx, credits, min(creditsNeeded(resolved.limit.limit, used, amount), credits.available), transactionId));
        await alerts?.afterUsage(tx, { resolved, meters: new Set([meter.key]), at: resolved.at, known: new Map([[feature.key, add(used, amount)]]) });
        if (credits && creditsLeft) await alerts?.creditsUsed(tx, { customerId: customer.id, feature: feature.key, before: credits.available, after: creditsLeft, grants: credits.grants, at: resolved.at });
        return { ...grantedResult({ limit: resolved.limit, used: add(used, amount), amount, resetsAt: resetAt, ...(creditsLeft && { credits: creditsLeft }) }), transactionId, status: "created" as const };
      });
    } catch (error) {
      if (!(error instanceof Refused)) throw error;
      result = { ...error.result, transactionId, status: "refused" };
    }
    countRecorded(ctx, [result]);
    if (hooks.afterConsume !== undefined) await hooks.afterConsume({ ...base, result });
    return result;
  }

  return {
    entitlements: (customerId, options) => resolver.entitlements(customerId, options),

    async limit(customerId, feature, options) {
      const { limit } = await resolver.resolve(customerId, feature, options);
      return limit.limit === null ? null : displayNumber(limit.limit);
    },

    check,

    async can(customerId, feature, options) {
      return (await check(customerId, feature, options)).allowed;
    },

    consume,
  };
}
