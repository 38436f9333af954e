import { createHash } from "node:crypto";
import { creditBalanceReached, creditsExpiringReached } from "../../core/alerts/credit-thresholds.ts";
import { reached, usageThreshold, type UsageAlert } from "../../core/alerts/thresholds.ts";
import type { Alert, Feature } from "../../core/catalog/index.ts";
import { BillingError } from "../../core/errors.ts";
import { cmp, parseDecimal, toDecimalString, type Decimal } from "../../core/decimal.ts";
import { billingPeriodAt, type Window } from "../../core/periods.ts";
import { firedIds, insertFiring } from "../../store/alerts/firings.ts";
import { customerNotFound } from "../../store/customer-repository.ts";
import { loadCustomerEntitlements, loadManyCustomerEntitlements } from "../../store/entitlement-state-repository.ts";
import type { Sql } from "../../store/types.ts";
import type { HubContext } from "../context.ts";
import type { EntitlementResolver, Resolved } from "../entitlement-resolver.ts";
import { withPlanInterval } from "../plan-interval.ts";
import { priceInvoices, type InvoiceTarget, type PricingOutcome } from "../invoicing/price-invoices.ts";
import { createPriceResolvers } from "../invoicing/price-resolvers.ts";
import { featureUsage } from "../ledger.ts";
import { featureUsages } from "../ledger/usage.ts";

/** The window start of a lifetime window, which has none: one firing for the customer's whole life. */
const LIFETIME_START = new Date(0);

/**
 * The event id of a firing, derived from what makes it unique, so every writer that crosses the
 * threshold derives the same id and every delivery, retry and replay carries it.
 *
 * @example
 * alertEventId("org_42", "api_80", new Date("2026-03-01T00:00:00Z")) // "evt_5c1f..." (32 hex digits)
 */
export function alertEventId(customerId: string, alert: string, windowStart: Date): string {
  return `evt_${createHash("sha256").update(`${customerId}\u0000${alert}\u0000${windowStart.toISOString()}`).digest("hex").slice(0, 32)}`;
}

/** What a firing says, beyond who and which alert. */
export interface FiringFacts {
  customerId: string;
  alert: Alert;
  window: { start: Date; end: Date | null };
  feature: string | null;
  /** The threshold crossed and the value that crossed it, exact (spend: minor units). */
  threshold: string;
  value: string;
  /** Further fields of the event's data (the limit, the currency). */
  extra: Record<string, unknown>;
  firedAt: Date;
}

export interface AfterUsage {
  /** The customer's state and variant, as the write resolved them. */
  resolved: Pick<Resolved, "entry" | "variant">;
  /** The meters the write added usage to. */
  meters: ReadonlySet<string>;
  at: Date;
  /** Usage the writer already knows, by feature (a consume's usage after it), so it is not read again. */
  known?: ReadonlyMap<string, Decimal>;
}

/** New usage `record` calls committed: whose, on which meter, and the first and last instant it happened at. */
export interface RecordedUsage {
  customerId: string;
  meter: string;
  from: Date;
  to: Date;
}

/**
 * Each window (of `windowAt`) that holds an instant of [from, to], latest first, with the latest
 * instant of the span in it: walks back from `to` one window at a time, so a span that crosses
 * boundaries yields every window, whatever their lengths.
 */
function windowsOfSpan<W extends { from: Date | null }>(span: { from: Date; to: Date }, windowAt: (at: Date) => W | null): Array<{ at: Date; window: W }> {
  const found: Array<{ at: Date; window: W }> = [];
  let at = span.to;
  for (;;) {
    const window = windowAt(at);
    if (window === null) break;
    found.push({ at, window });
    if (window.from === null || window.from <= span.from || window.from >= at) break;
    at = new Date(window.from.getTime() - 1);
  }
  return found;
}

/** A usage alert to evaluate for one customer, in the window of the feature as resolved. */
interface UsageCheck {
  alert: UsageAlert;
  feature: Resolved & { window: Window };
}

export interface AlertFirer {
  /** True when some usage or spend alert watches this meter: writers of other meters skip alerts entirely. */
  watches(meter: string): boolean;
  /** Every meter some usage or spend alert watches. */
  watchedMeters(): string[];
  /**
   * Fires the usage and spend alerts that committed `record` usage has reached, in every window
   * that holds an instant of its spans (each window evaluated once per customer, at the latest
   * instant of the usage in it). Reads
   * after the commit, so an evaluation that starts after the last of racing records has committed
   * sees all of their usage; the unique firing key keeps it to one firing. Events on meters no
   * alert watches cost nothing. A customer whose state cannot be resolved or priced (a plan the
   * catalog no longer declares) is returned with its error, and the others are evaluated; an
   * outage rejects the whole call.
   */
  evaluateRecorded(sql: Sql, usage: readonly RecordedUsage[]): Promise<Map<string, BillingError>>;
  /**
   * Fires the usage and spend alerts that usage just written on `meters` has reached, inside the
   * transaction that wrote it: a firing exists exactly when that usage does.
   */
  afterUsage(tx: Sql, input: AfterUsage): Promise<void>;
  /** Stores a firing and queues its deliveries, once per (customer, alert, window); whether this call fired it. */
  fire(tx: Sql, facts: FiringFacts): Promise<boolean>;
  /**
   * Fires the `credit_balance_low` and `credit_balance_depleted` alerts a credit balance has
   * reached, once per customer and billing period. For the credit ledger to call in the
   * transaction that changed the balance (a draw, an expiry), with what is left: money in minor
   * units (`feature` null) or one feature's unit credits. Returns the keys fired now.
   */
  creditBalance(tx: Sql, input: { customerId: string; feature: string | null; balance: string; at: Date }): Promise<string[]>;
  /**
   * Fires the `credits_expiring` alerts that credits of `amount` expiring at `expiresAt` have
   * reached at `at`, once per customer and expiry instant. Returns the keys fired now.
   */
  creditsExpiring(tx: Sql, input: { customerId: string; feature: string | null; amount: string; expiresAt: Date; at: Date }): Promise<string[]>;
  /**
   * What a credit draw reports: the balance when it changed it (`before` → `after`) and each
   * grant's coming expiry, of one feature's unit credits (a consume) or of money credits
   * (`feature` null: the invoice run). Nothing is read or written unless a credit alert watches
   * that balance.
   */
  creditsUsed(tx: Sql, input: { customerId: string; feature: string | null; before: Decimal; after: Decimal; grants: ReadonlyArray<{ remaining: string; expiresAt: Date | null }>; at: Date }): Promise<void>;
}

/**
 * Threshold alerts from the catalog, fired into `alert_firings` with one delivery per configured
 * endpoint (see alert-sender.ts for the delivery).
 */
export function createAlertFirer(ctx: HubContext, resolver: EntitlementResolver): AlertFirer {
  const alerts = Object.values(ctx.catalog.alerts);
  const usageAlerts = alerts.filter((alert): alert is UsageAlert => alert.kind === "usage");
  const spendAlerts = alerts.filter((alert) => alert.kind === "spend");
  const endpoints = Object.entries(ctx.config.alerts.endpoints);
  const fired = ctx.metrics.counter("billhub_alerts_fired_total", "Threshold alerts fired (once per customer, alert and window)");

  const featureMeter = (alert: UsageAlert) => (ctx.catalog.features[alert.feature] as Feature & { type: "metered" }).meter;
  const pricedMeters = new Set(Object.values(ctx.catalog.plans).flatMap((plan) => [...plan.pricing.meters.keys()]));
  const watched = new Set([...usageAlerts.map(featureMeter), ...(spendAlerts.length > 0 ? pricedMeters : [])]);

  function endpointsFor(alert: string): string[] {
    return endpoints.filter(([, endpoint]) => endpoint.alerts === undefined || endpoint.alerts.includes(alert)).map(([id]) => id);
  }

  async function fire(tx: Sql, facts: FiringFacts): Promise<boolean> {
    const { alert } = facts;
    const id = alertEventId(facts.customerId, alert.key, facts.window.start);
    const body = JSON.stringify({
      type: `alert.${alert.kind}`,
      timestamp: facts.firedAt.toISOString(),
      data: {
        id,
        alert: alert.key,
        kind: alert.kind,
        customerId: facts.customerId,
        feature: facts.feature,
        threshold: facts.threshold,
        value: facts.value,
        ...facts.extra,
        window: { start: facts.window.start.toISOString(), end: facts.window.end?.toISOString() ?? null },
        firedAt: facts.firedAt.toISOString(),
      },
    });
    const firedNow = await insertFiring(
      tx,
      { id, customerId: facts.customerId, alert: alert.key, kind: alert.kind, windowStart: facts.window.start, windowEnd: facts.window.end, feature: facts.feature, threshold: facts.threshold, value: facts.value, body, firedAt: facts.firedAt },
      endpointsFor(alert.key),
    );
    if (firedNow) fired.inc({ kind: alert.kind });
    return firedNow;
  }

  /** Fires `alert` for the customer of `feature` when `used` in the feature's window has reached it. */
  async function usageAlert(sql: Sql, alert: UsageAlert, feature: Resolved, used: Decimal, firedAt: Date): Promise<void> {
    const threshold = usageThreshold(alert, feature.limit.limit);
    if (threshold === null || feature.window === null || !reached(used, threshold)) return;
    await fire(sql, {
      customerId: feature.entry.customer.id,
      alert,
      window: windowOf(feature.window),
      feature: alert.feature,
      threshold: toDecimalString(threshold),
      value: toDecimalString(used),
      extra: { percent: alert.percent ?? null, limit: feature.limit.limit === null ? null : toDecimalString(feature.limit.limit) },
      firedAt,
    });
  }

  /** A feature's usage in its window, read once per feature and window start. */
  function usageReader(sql: Sql, customerId: string, known?: ReadonlyMap<string, Decimal>) {
    const read = new Map<string, Decimal>();
    return async (feature: Resolved & { window: Window }): Promise<Decimal> => {
      const key = `${feature.feature.key}\u0000${feature.window.from?.getTime() ?? ""}`;
      let used = read.get(key) ?? known?.get(feature.feature.key);
      if (used === undefined) {
        used = parseDecimal(await featureUsage(sql, ctx, { customerId, feature: feature.feature.key, window: feature.window }));
        read.set(key, used);
      }
      return used;
    };
  }

  async function usageAlertsOn(tx: Sql, { resolved, meters, at, known }: AfterUsage): Promise<void> {
    const usedIn = usageReader(tx, resolved.entry.customer.id, known);
    for (const alert of usageAlerts) {
      if (!meters.has(featureMeter(alert))) continue;
      const feature = resolver.sibling(resolved, ctx.catalog.features[alert.feature]!, at);
      if (feature.window === null || usageThreshold(alert, feature.limit.limit) === null) continue;
      await usageAlert(tx, alert, feature, await usedIn({ ...feature, window: feature.window }), at);
    }
  }

  /** The metered lines of a priced period: what its usage costs so far. */
  async function spendAlertsOf(sql: Sql, customerId: string, period: { from: Date; to: Date }, outcome: PricingOutcome, firedAt: Date): Promise<void> {
    // A period that cannot be priced (a provider price not synced yet) has no spend to compare;
    // the usage itself must not be refused for it.
    if (!outcome.ok) return;
    const spend = outcome.invoice.lineItems.reduce((total, line) => (line.meter === null ? total : total + line.amount), 0);
    for (const alert of spendAlerts) {
      if (alert.kind !== "spend" || spend < alert.amount) continue;
      await fire(sql, {
        customerId,
        alert,
        window: { start: period.from, end: period.to },
        feature: null,
        threshold: String(alert.amount),
        value: String(spend),
        extra: { currency: ctx.catalog.currency },
        firedAt,
      });
    }
  }

  /** The plan the customer's usage is priced on now, when it prices one of `meters` (else its usage adds no spend). */
  function pricingPlan(entry: Resolved["entry"], meters: Iterable<string>) {
    const plan = ctx.catalog.plans[entry.state.assignedPlan ?? ctx.catalog.defaultPlan];
    return plan !== undefined && [...meters].some((meter) => plan.pricing.meters.has(meter)) ? plan : undefined;
  }

  /** What the billing period's usage costs so far on the customer's plan(s): the metered lines of the invoice it would get. */
  async function spendAlertsOn(tx: Sql, { resolved, meters, at }: AfterUsage): Promise<void> {
    if (spendAlerts.length === 0) return;
    const { customer, state } = resolved.entry;
    // Usage of a meter the customer's plan does not price adds no spend: no need to price the period.
    if (pricingPlan(resolved.entry, meters) === undefined) return;
    const period = billingPeriodAt(at, state.cycle);
    const outcome = (await priceInvoices(tx, ctx, [{ customer, period }], createPriceResolvers())).get(customer.id)!;
    await spendAlertsOf(tx, customer.id, period, outcome, at);
  }

  /**
   * One customer's usage checks (each alert × window the new usage falls in, resolved at the
   * latest instant of the usage in it) and the billing periods to price for spend.
   */
  function planCustomer(entry: Resolved["entry"], meters: Map<string, Array<{ from: Date; to: Date }>>) {
    const resolved = { entry, variant: entry.state.variant };
    const checks: UsageCheck[] = [];
    const spend: Array<{ period: { from: Date; to: Date }; target: InvoiceTarget }> = [];
    // Latest span first, so a window is resolved at the latest new usage in it.
    for (const spans of meters.values()) spans.sort((a, b) => b.to.getTime() - a.to.getTime());
    for (const alert of usageAlerts) {
      const spans = meters.get(featureMeter(alert));
      if (spans === undefined) continue;
      const feature = ctx.catalog.features[alert.feature]!;
      const seen = new Set<number>();
      for (const span of spans) {
        for (const { window, at } of windowsOfSpan(span, (at) => resolver.sibling(resolved, feature, at).window)) {
          const start = window.from?.getTime() ?? 0;
          if (seen.has(start)) continue;
          seen.add(start);
          const resolvedAt = resolver.sibling(resolved, feature, at);
          if (resolvedAt.window === null || usageThreshold(alert, resolvedAt.limit.limit) === null) continue;
          checks.push({ alert, feature: { ...resolvedAt, window: resolvedAt.window } });
        }
      }
    }
    const plan = spendAlerts.length === 0 ? undefined : pricingPlan(entry, meters.keys());
    if (plan !== undefined) {
      const seen = new Set<number>();
      for (const [meter, spans] of meters) {
        if (!plan.pricing.meters.has(meter)) continue;
        for (const span of spans) {
          for (const { window: period } of windowsOfSpan(span, (at) => billingPeriodAt(at, entry.state.cycle))) {
            if (seen.has(period.from.getTime())) continue;
            seen.add(period.from.getTime());
            spend.push({ period, target: { customer: entry.customer, period } });
          }
        }
      }
    }
    return { checks, spend };
  }

  async function evaluateRecorded(sql: Sql, events: readonly RecordedUsage[]): Promise<Map<string, BillingError>> {
    const failed = new Map<string, BillingError>();
    // Per customer and meter, the spans of the new usage.
    const byCustomer = new Map<string, Map<string, Array<{ from: Date; to: Date }>>>();
    for (const event of events) {
      if (!watched.has(event.meter)) continue;
      const meters = byCustomer.get(event.customerId) ?? new Map<string, Array<{ from: Date; to: Date }>>();
      byCustomer.set(event.customerId, meters);
      const spans = meters.get(event.meter) ?? [];
      meters.set(event.meter, spans);
      spans.push({ from: event.from, to: event.to });
    }
    if (byCustomer.size === 0) return failed;
    const firedAt = ctx.now();
    const customers = [...byCustomer.keys()];
    // Every customer's state in one statement, as stored now (not another process's cached view).
    const entries = await loadManyCustomerEntitlements(sql, customers, firedAt);
    // Usage: each alert × customer × window the new events fall in (evaluated at its latest event),
    // the usage of all of a feature's windows read at once.
    const usageChecks = new Map<string, UsageCheck[]>();
    // Spend: one pricing per customer and billing period, all the customers of a period priced at once.
    const periods = new Map<string, { period: { from: Date; to: Date }; targets: Map<string, InvoiceTarget> }>();
    for (const customerId of customers) {
      // A customer whose state cannot be resolved (a plan the catalog no longer declares) fails
      // alone: the others of the call are evaluated all the same.
      try {
        const entry = entries.get(customerId);
        if (entry === undefined) throw customerNotFound(customerId);
        const planned = planCustomer(withPlanInterval(ctx.catalog, entry), byCustomer.get(customerId)!);
        for (const check of planned.checks) {
          const checks = usageChecks.get(check.alert.feature) ?? [];
          usageChecks.set(check.alert.feature, checks);
          checks.push(check);
        }
        for (const { period, target } of planned.spend) {
          const key = `${period.from.getTime()}:${period.to.getTime()}`;
          const group = periods.get(key) ?? { period, targets: new Map<string, InvoiceTarget>() };
          periods.set(key, group);
          group.targets.set(customerId, target);
        }
      } catch (error) {
        failed.set(customerId, customerFailure(error));
      }
    }
    // Thresholds that fired earlier in their window need no reading: once a customer has crossed
    // them, a record costs one lookup of their firings.
    const spendIds = (customerId: string, period: { from: Date }) => spendAlerts.map((alert) => alertEventId(customerId, alert.key, period.from));
    const checkId = (check: UsageCheck) => alertEventId(check.feature.entry.customer.id, check.alert.key, windowOf(check.feature.window).start);
    const fired = await firedIds(sql, [
      ...[...usageChecks.values()].flatMap((checks) => checks.map(checkId)),
      ...[...periods.values()].flatMap(({ period, targets }) => [...targets.keys()].flatMap((customerId) => spendIds(customerId, period))),
    ]);
    const usageReads = [...usageChecks].map(async ([featureKey, all]) => {
      const checks = all.filter((check) => !fired.has(checkId(check)));
      // One read per customer and window, whatever the number of alerts on the feature.
      const scopes = new Map<string, { customerId: string; window: Window }>();
      const scopeKey = (check: UsageCheck) => `${check.feature.entry.customer.id}\u0000${check.feature.window.from?.getTime() ?? ""}`;
      for (const check of checks) scopes.set(scopeKey(check), { customerId: check.feature.entry.customer.id, window: check.feature.window });
      const values = scopes.size === 0 ? [] : await featureUsages(sql, ctx, featureKey, [...scopes.values()]);
      const used = new Map([...scopes.keys()].map((key, i) => [key, parseDecimal(values[i]!)]));
      return checks.map((check) => ({ check, used: used.get(scopeKey(check))! }));
    });
    const spendReads = [...periods.values()].map(async ({ period, targets }) => {
      const open = [...targets.values()].filter((target) => spendIds(target.customer.id, period).some((id) => !fired.has(id)));
      const outcomes = open.length === 0 ? new Map<string, PricingOutcome>() : await priceInvoices(sql, ctx, open, createPriceResolvers());
      return open.map((target) => ({ customerId: target.customer.id, period, outcome: outcomes.get(target.customer.id)! }));
    });
    // Read at once (a PostgreSQL pool runs them side by side), fired one after another.
    for (const { check, used } of (await Promise.all(usageReads)).flat()) await usageAlert(sql, check.alert, check.feature, used, firedAt);
    for (const { customerId, period, outcome } of (await Promise.all(spendReads)).flat()) await spendAlertsOf(sql, customerId, period, outcome, firedAt);
    return failed;
  }

  // The balances credit alerts watch: features' unit credits, and null for money.
  const creditBalances = new Set(alerts.flatMap((alert) => (alert.kind !== "usage" && alert.kind !== "spend" ? [alert.feature ?? null] : [])));
  const fireAll = async (tx: Sql, reached: Array<{ alert: Alert; threshold: string }>, facts: Omit<FiringFacts, "alert" | "threshold">): Promise<string[]> => {
    const keys: string[] = [];
    for (const { alert, threshold } of reached) if (await fire(tx, { ...facts, alert, threshold })) keys.push(alert.key);
    return keys;
  };

  return {
    watches: (meter) => watched.has(meter),
    watchedMeters: () => [...watched],
    evaluateRecorded,

    async creditBalance(tx, { customerId, feature, balance, at }) {
      const reached = creditBalanceReached(alerts, feature, parseDecimal(balance));
      if (reached.length === 0) return [];
      // Read in the caller's transaction: on the embedded store a read beside it would wait for it.
      const entry = await loadCustomerEntitlements(tx, customerId, at);
      if (entry === undefined) throw customerNotFound(customerId);
      const period = billingPeriodAt(at, withPlanInterval(ctx.catalog, entry).state.cycle);
      const value = toDecimalString(parseDecimal(balance));
      return fireAll(tx, reached, { customerId, window: { start: period.from, end: period.to }, feature, value, extra: creditExtra(ctx, feature), firedAt: at });
    },

    async creditsUsed(tx, { customerId, feature, before, after, grants, at }) {
      if (!creditBalances.has(feature)) return;
      if (cmp(before, after) !== 0) await this.creditBalance(tx, { customerId, feature, balance: toDecimalString(after), at });
      for (const grant of grants) {
        if (grant.expiresAt === null || parseDecimal(grant.remaining).coef <= 0n) continue;
        await this.creditsExpiring(tx, { customerId, feature, amount: grant.remaining, expiresAt: grant.expiresAt, at });
      }
    },

    async creditsExpiring(tx, { customerId, feature, amount, expiresAt, at }) {
      const reached = creditsExpiringReached(alerts, feature, expiresAt, at);
      const value = toDecimalString(parseDecimal(amount));
      return fireAll(tx, reached, { customerId, window: { start: expiresAt, end: null }, feature, value, extra: { ...creditExtra(ctx, feature), expiresAt: expiresAt.toISOString() }, firedAt: at });
    },

    async afterUsage(tx, input) {
      if (![...input.meters].some((meter) => watched.has(meter))) return;
      await usageAlertsOn(tx, input);
      await spendAlertsOn(tx, input);
    },
    fire,
  };
}

/** What a credit alert's value is counted in: the catalog's currency (minor units), or a feature's units. */
function creditExtra(ctx: HubContext, feature: string | null): Record<string, unknown> {
  return feature === null ? { currency: ctx.catalog.currency } : {};
}

/** A refusal about one customer's data fails that customer only; anything else (an outage, a bug) is rethrown. */
function customerFailure(error: unknown): BillingError {
  if (error instanceof BillingError && !error.retryable && error.code !== "INTERNAL") return error;
  throw error;
}

function windowOf(window: Window): { start: Date; end: Date | null } {
  return { start: window.from ?? LIFETIME_START, end: window.to };
}
