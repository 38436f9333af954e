import { requireFeature, requireMeter, type Catalog, type Feature, type Meter } from "../../core/catalog/index.ts";
import { BillingError } from "../../core/errors.ts";
import { windowAt, type Window } from "../../core/periods.ts";
import { checkWindowEnd } from "../../core/supported-time.ts";
import { parseWith } from "../../core/validation.ts";
import { queryUsageTotals, queryUsageValue } from "../../store/ledger/aggregate.ts";
import { latestResets } from "../../store/ledger/resets.ts";
import type { Sql } from "../../store/types.ts";
import type { HubContext } from "../context.ts";
import { atSchema, checkWindow, customerIdSchema, filterSchema, loadCycles, windowSpecOf } from "./query-input.ts";
import type { UsageQuery, UsageResult } from "./types.ts";

function requireMetered(catalog: Catalog, key: unknown): Feature & { type: "metered" } {
  const feature = requireFeature(catalog, key);
  if (feature.type !== "metered") {
    throw new BillingError("VALIDATION_FAILED", `feature "${feature.key}" is ${feature.type === "boolean" ? "a boolean flag" : "static"}: only metered features have usage`, { field: "feature" });
  }
  return feature;
}

async function valueOf(sql: Sql, customerId: string, meter: Meter, window: Window, sinceResetOf: string | undefined, filter: Record<string, string> | undefined): Promise<string> {
  const { known, value } = await queryUsageValue(sql, {
    customerId,
    meter,
    bounds: window,
    ...(sinceResetOf === undefined ? {} : { sinceResetOf }),
    filter,
  });
  if (!known) throw new BillingError("CUSTOMER_NOT_FOUND", `customer ${JSON.stringify(customerId)} does not exist`, { field: "customerId" });
  return value;
}

/**
 * Exact usage of a metered feature in a window: its meter's aggregation over the events at or
 * after the feature's latest reset (resets at or after the window's end do not apply).
 * One round trip; CUSTOMER_NOT_FOUND for an unknown customer.
 *
 * @example
 * await featureUsage(store, ctx, { customerId: "cus_1", feature: "api", window: windowAt("month", ctx.now()) }) // "1500"
 */
export async function featureUsage(sql: Sql, ctx: HubContext, q: { customerId: string; feature: string; window: Window }): Promise<string> {
  const customerId = parseWith(customerIdSchema, q.customerId, "VALIDATION_FAILED", "customerId");
  const feature = requireMetered(ctx.catalog, q.feature);
  return valueOf(sql, customerId, requireMeter(ctx.catalog, feature.meter), checkWindow(q.window), feature.key, undefined);
}

/**
 * `featureUsage` of one feature for many customers, each in its own window, in two round trips
 * (the latest resets, then every window's total at once) whatever the number of customers;
 * answers in scope order. Windows of one customer must not overlap; a window without a start
 * (lifetime) is read on its own. Customers are not checked: those without events answer "0".
 *
 * @example
 * await featureUsages(store, ctx, "api", [{ customerId: "cus_1", window: march }, { customerId: "cus_2", window: march }]) // ["1500", "0"]
 */
export async function featureUsages(sql: Sql, ctx: HubContext, featureKey: string, scopes: ReadonlyArray<{ customerId: string; window: Window }>): Promise<string[]> {
  const feature = requireMetered(ctx.catalog, featureKey);
  const meter = requireMeter(ctx.catalog, feature.meter);
  const bounded = scopes.flatMap((scope, index) => (scope.window.from === null || scope.window.to === null ? [] : [{ index, customerId: scope.customerId, from: scope.window.from, to: scope.window.to }]));
  const values: string[] = new Array(scopes.length);
  const resets = await latestResets(sql, feature.key, bounded.map((scope) => ({ customerId: scope.customerId, before: scope.to })));
  const starts = bounded.map((scope, i) => ({ ...scope, from: resets[i] !== null && resets[i]! > scope.from ? resets[i]! : scope.from }));
  const totals = await queryUsageTotals(sql, { scopes: starts, meters: [meter] });
  const byScope = new Map(totals.map((row) => [`${row.customerId}\u0000${row.from.getTime()}`, row.value]));
  for (const scope of starts) values[scope.index] = byScope.get(`${scope.customerId}\u0000${scope.from.getTime()}`) ?? "0";
  for (const [index, scope] of scopes.entries()) values[index] ??= await valueOf(sql, scope.customerId, meter, scope.window, feature.key, undefined);
  return values;
}

/**
 * Exact aggregate of a meter for a customer in a window, optionally only over events whose
 * properties match `filter` (text values). Resets do not apply: they belong to features.
 *
 * @example
 * await meterUsage(store, ctx, { customerId: "cus_1", meter: "llm_tokens", window, filter: { model: "gpt-5" } }) // "48000"
 */
export async function meterUsage(sql: Sql, ctx: HubContext, q: { customerId: string; meter: string; window: Window; filter?: Record<string, string> }): Promise<string> {
  const customerId = parseWith(customerIdSchema, q.customerId, "VALIDATION_FAILED", "customerId");
  const meter = requireMeter(ctx.catalog, q.meter);
  const filter = q.filter === undefined ? undefined : parseWith(filterSchema, q.filter, "VALIDATION_FAILED", "filter");
  return valueOf(sql, customerId, meter, checkWindow(q.window), undefined, filter);
}

/**
 * `hub.usage`: the aggregate of a meter or a feature over a named or custom window, resolved at
 * `at` (default now) against the customer's billing period.
 */
export async function usage(sql: Sql, ctx: HubContext, q: UsageQuery): Promise<UsageResult> {
  const customerId = parseWith(customerIdSchema, q.customerId, "VALIDATION_FAILED", "customerId");
  if ((q.meter === undefined) === (q.feature === undefined)) {
    throw new BillingError("VALIDATION_FAILED", "give exactly one of meter or feature", { field: q.meter === undefined ? "meter" : "feature" });
  }
  const feature = q.feature === undefined ? undefined : requireMetered(ctx.catalog, q.feature);
  const meter = requireMeter(ctx.catalog, feature?.meter ?? q.meter);
  const filter = q.filter === undefined ? undefined : parseWith(filterSchema, q.filter, "VALIDATION_FAILED", "filter");
  const at = parseWith(atSchema, q.at, "VALIDATION_FAILED", "at") ?? ctx.now();
  const spec = windowSpecOf(q.window, feature?.reset ?? "billing_period");
  const cycle = (await loadCycles(sql, ctx.catalog, [customerId], at, () => "customerId")).get(customerId)!;
  const window = checkWindowEnd(windowAt(spec, at, cycle), "at");
  const value = await valueOf(sql, customerId, meter, window, feature?.key, filter);
  return { customerId, meter: meter.key, feature: feature?.key ?? null, aggregation: meter.aggregation, window, value };
}
