import { z } from "zod";
import { planInForce, requireFeature, requirePlan, trialEnd, versionKey, type Catalog, type Plan } from "../core/catalog/index.ts";
import { parseDecimal, sign, toDecimalString } from "../core/decimal.ts";
import type { LimitOverride } from "../core/entitlements/index.ts";
import { BillingError, listKeys } from "../core/errors.ts";
import { storableText } from "../core/storable-text.ts";
import { parseWith } from "../core/validation.ts";
import { listCustomerRecords } from "../store/customer-list.ts";
import { customerNotFound, findCustomer, lockCustomer, setCustomerPlan, upsertCustomer, type CustomerRecord } from "../store/customer-repository.ts";
import { earliestPlanChange, listPlanChanges, type PlanChangeSource, type TrialWrite } from "../store/plan-change-repository.ts";
import { clearOverrides, listOverrides, setOverrides } from "../store/override-repository.ts";
import type { HubContext } from "./context.ts";
import { customerInputSchema, dateSchema, parseCustomerId, type CustomerInput } from "./customer-input.ts";
import type { EntitlementCache } from "./entitlement-cache.ts";
import type { ProviderCustomerOutcome } from "./hosted-pages.ts";

/** A customer as the hub shows it. */
export interface Customer {
  readonly id: string;
  readonly referenceType: string;
  readonly email: string | null;
  readonly name: string | null;
  /** The plan in force: the assigned one, or the catalog's default. */
  readonly plan: string;
  /** True while the customer follows the catalog's default plan (never assigned, or unassigned). */
  readonly onDefaultPlan: boolean;
  /** The customer's plan variant ("starter"), applied to every feature whose grant declares it. */
  readonly variant: string | null;
  /** When the plan's trial ends (or ended: the plan in force says what followed); null without a trial. */
  readonly trialEndsAt: Date | null;
  /** True while the plan is held on trial: its flat fees are not billed. */
  readonly trialing: boolean;
  /** ISO 4217 code the customer pays in; null until its first plan (or an explicit one) fixes it. */
  readonly currency: string | null;
  readonly providerIds: Readonly<Record<string, string>>;
  readonly periodStart: Date | null;
  readonly periodEnd: Date | null;
  readonly metadata: Readonly<Record<string, unknown>>;
  readonly createdAt: Date;
  readonly updatedAt: Date;
}

/** When a plan change made by hand takes effect. */
export interface PlanChangeOptions {
  /**
   * Default: now. May lie in the past (a change agreed earlier), but not before the customer's
   * latest plan change nor inside a period already invoiced; never in the future.
   */
  effectiveAt?: Date | string;
}

/** One dated change of a customer's plan. */
export interface PlanChange {
  /** The plan from `effectiveAt` on (the catalog's default when `onDefaultPlan`). */
  readonly plan: string;
  readonly onDefaultPlan: boolean;
  readonly variant: string | null;
  /** When it took effect; null = since the beginning (the plan held when plan history started). */
  readonly effectiveAt: Date | null;
  /** Set when the change started a trial: when the trial ends (the `trial_end` change that follows). */
  readonly trialEndsAt: Date | null;
  /**
   * `assign`, `unassign`, `subscription` (a provider subscription changed), `migration` (carried
   * over) or `trial_end` (a trial ended; written when it starts, so it may lie ahead).
   */
  readonly source: PlanChangeSource;
  /** For subscription changes, `<provider>:<subscription id>`. */
  readonly reference: string | null;
  readonly recordedAt: Date;
}

/** An override as given: `true`/`false` for flags, a limit (null = unlimited) for metered and static features. */
export type OverrideValue = boolean | number | string | null;

export interface CustomersApi {
  /**
   * Creates the customer or updates the fields given (others keep their values).
   * @example await hub.customers.upsert({ id: "org_42", referenceType: "organization", providerIds: { stripe: "cus_123" } })
   */
  upsertCustomer(input: CustomerInput): Promise<{ customer: Customer; created: boolean; providerCustomer?: ProviderCustomerOutcome }>;
  /** The customer, or CUSTOMER_NOT_FOUND. @example await hub.customers.get("org_42") */
  getCustomer(customerId: string): Promise<Customer>;
  /**
   * Puts the customer on a plan, optionally on one of its variants (UNKNOWN_PLAN / UNKNOWN_VARIANT otherwise).
   * With `trial: true`, on the plan's trial (`plans.<plan>.trial`): its limits from now, no flat fee
   * until the trial ends, then the plan or the default plan as the trial says.
   * @example await hub.customers.assign("org_42", "pro", { variant: "starter" })
   * @example await hub.customers.assign("org_42", "pro", { trial: true }) // { plan: "pro", trialing: true, trialEndsAt: now + 14 days }
   */
  assign(customerId: string, plan: string, options?: PlanChangeOptions & { variant?: string | null; trial?: boolean }): Promise<Customer>;
  /** Returns the customer to the catalog's default plan, following later changes of the default. @example await hub.customers.unassign("org_42") */
  unassign(customerId: string, options?: PlanChangeOptions): Promise<Customer>;
  /**
   * The customer's plan changes, oldest first: each with the instant it took effect (null = since
   * before history was kept) and what made it. Before the first, the customer was on the default plan.
   * @example await hub.customers.planHistory("org_42") // [{ plan: "pro", variant: null, onDefaultPlan: false, effectiveAt: 2026-10-10T09:00:00.000Z, source: "assign", ... }]
   */
  planHistory(customerId: string): Promise<PlanChange[]>;
  /**
   * Sets the customer's own grant for the named features; earlier overrides of other features stay.
   * Returns every override the customer now has.
   * @example await hub.customers.override("org_42", { api: 50_000, sso: true, seats: null })
   */
  override(customerId: string, overrides: Record<string, OverrideValue>): Promise<Record<string, LimitOverride>>;
  /**
   * Removes all the customer's overrides, or those of the named features. Returns those left.
   * @example await hub.customers.clearOverride("org_42", ["api"])
   */
  clearOverride(customerId: string, features?: readonly string[]): Promise<Record<string, LimitOverride>>;
  /**
   * Customers in id order, optionally those whose id, email or name contains `search`
   * (case-insensitive); page with `cursor: nextCursor`.
   * @example await hub.customers.list({ search: "acme", limit: 50 }) // { customers, nextCursor }
   */
  listCustomers(filter?: { search?: string; limit?: number; cursor?: string }): Promise<{ customers: Customer[]; nextCursor: string | null }>;
}

const listFilterSchema = z
  .strictObject({
    search: storableText().min(1).max(200).optional(),
    limit: z.number().int().min(1).max(500).default(50),
    /** The `nextCursor` of the previous page: the id of its last customer. */
    cursor: storableText().min(1).max(255).optional(),
  })
  .default({ limit: 50 });

/** The public view of a stored customer at `now` (a trial that has ended shows the plan it ended on). */
export function toCustomer(record: CustomerRecord, catalog: Catalog, now: Date): Customer {
  const held = planInForce(record, now);
  return {
    id: record.id,
    referenceType: record.referenceType,
    email: record.email,
    name: record.name,
    plan: held.planKey ?? catalog.defaultPlan,
    onDefaultPlan: held.planKey === null,
    variant: held.planVariant,
    trialEndsAt: record.trialEndsAt,
    trialing: held.trialing,
    currency: record.currency,
    providerIds: record.providerIds,
    periodStart: record.periodStart,
    periodEnd: record.periodEnd,
    metadata: record.metadata,
    createdAt: record.createdAt,
    updatedAt: record.updatedAt,
  };
}

/** The variant must be one the plan declares on at least one of its grants. */
function requirePlanVariant(catalog: Catalog, planKey: string, variant: unknown): string {
  const declared = new Set<string>();
  for (const grant of Object.values(requirePlan(catalog, planKey).grants)) for (const name of Object.keys(grant.variants)) declared.add(name);
  if (typeof variant !== "string" || !declared.has(variant)) {
    throw new BillingError("UNKNOWN_VARIANT", `Plan "${planKey}" has no variant ${JSON.stringify(variant)}; its variants: ${listKeys(declared)}`, {
      field: "variant",
      details: { valid: [...declared].sort() },
    });
  }
  return variant;
}

/** A hand-made change's instant: a Date or ISO 8601 date-time with a zone, not in the future. */
function parseEffectiveAt(value: unknown, now: Date): Date {
  const at = parseWith(dateSchema, value, "VALIDATION_FAILED", "effectiveAt");
  if (at > now) throw new BillingError("VALIDATION_FAILED", `effectiveAt must not be in the future (now is ${now.toISOString()}); scheduled plan changes are not supported`, { field: "effectiveAt" });
  return at;
}

/** Validates one override against its feature's type. */
function parseOverride(catalog: Catalog, key: string, value: unknown): LimitOverride {
  const field = `overrides.${key}`;
  const feature = requireFeature(catalog, key, field);
  if (feature.type === "boolean") {
    if (typeof value !== "boolean") throw new BillingError("VALIDATION_FAILED", `${field}: feature "${key}" is a flag; override it with true or false`, { field });
    return { feature: key, granted: value, limit: value ? null : "0" };
  }
  if (typeof value === "boolean") {
    throw new BillingError("VALIDATION_FAILED", `${field}: feature "${key}" is ${feature.type}; override it with a limit (a number, or null for unlimited)`, { field });
  }
  if (value === null) return { feature: key, granted: true, limit: null };
  const limit = parseDecimal(value, { field, code: "INVALID_AMOUNT" });
  if (sign(limit) < 0) throw new BillingError("INVALID_AMOUNT", `${field} must not be negative, got ${toDecimalString(limit)}`, { field });
  return { feature: key, granted: true, limit: toDecimalString(limit) };
}

/**
 * Customers and their plans and overrides. Every write invalidates the customer's cached
 * entitlements before it returns.
 */
export function createCustomersApi(ctx: HubContext, cache: EntitlementCache): CustomersApi {
  const { catalog, store } = ctx;

  async function getCustomer(customerId: string): Promise<Customer> {
    const id = parseCustomerId(customerId);
    const record = await findCustomer(store, id);
    if (!record) throw customerNotFound(id);
    return toCustomer(record, catalog, ctx.now());
  }

  /**
   * The key an assignment stores: the plan's current version for a versioned plan ("pro" → "pro@2"),
   * so the customer keeps it when the plan's prices change. An inactive plan (or an earlier version)
   * takes no new customers.
   */
  function assignableKey(plan: Plan): string {
    if (!plan.active) {
      const current = catalog.plans[plan.family];
      const instead = current?.active ? `; its current version is "${plan.family}"` : "";
      throw new BillingError("PLAN_INACTIVE", `plan "${plan.key}" is not active: customers on it keep it, but no customer can newly be put on it${instead}`, { field: "plan" });
    }
    return plan.version === null ? plan.key : versionKey(plan.family, plan.version);
  }

  /** The trial an assignment asks for: the plan's, from the change's instant; none unless asked. */
  function trialOf(planKey: string | null, requested: unknown, start: Date): TrialWrite | undefined {
    if (requested === undefined || requested === false) return undefined;
    if (requested !== true) throw new BillingError("VALIDATION_FAILED", `trial must be true or false, got ${JSON.stringify(requested)}`, { field: "trial" });
    const plan = planKey === null ? undefined : catalog.plans[planKey];
    if (plan?.trial == null) {
      throw new BillingError("VALIDATION_FAILED", `plan "${planKey ?? catalog.defaultPlan}" offers no trial; declare plans.${planKey ?? catalog.defaultPlan}.trial ({ days, onEnd }) in the catalog, or assign it without one`, { field: "trial" });
    }
    return { endsAt: trialEnd(start, plan.trial.days), onEnd: plan.trial.onEnd };
  }

  async function setPlan(customerId: string, planKey: string | null, variant: string | null, options: PlanChangeOptions & { trial?: boolean }): Promise<Customer> {
    const now = ctx.now();
    const effectiveAt = options.effectiveAt === undefined ? now : parseEffectiveAt(options.effectiveAt, now);
    const trial = trialOf(planKey, options.trial, effectiveAt);
    try {
      const record = await store.transaction(async (tx) => {
        await lockCustomer(tx, customerId);
        const currency = planKey === null ? undefined : catalog.plans[planKey]!.currency;
        const held = currency === undefined ? undefined : (await findCustomer(tx, customerId))?.currency;
        if (currency !== undefined && held != null && held !== currency) {
          throw new BillingError("CURRENCY_MISMATCH", `plan "${planKey}" bills in ${currency} and customer ${JSON.stringify(customerId)} pays in ${held}; put it on a plan in ${held}`, { field: "plan" });
        }
        if (options.effectiveAt !== undefined) {
          const earliest = await earliestPlanChange(tx, customerId, now);
          if (earliest !== null && effectiveAt < earliest) {
            throw new BillingError("VALIDATION_FAILED", `effectiveAt must not be before ${earliest.toISOString()}, the customer's latest plan change or the end of its latest invoiced period`, {
              field: "effectiveAt",
            });
          }
        }
        return setCustomerPlan(tx, customerId, planKey, variant, { change: { effectiveAt, source: planKey === null ? "unassign" : "assign" }, trial, currency });
      });
      return toCustomer(record!, catalog, now);
    } finally {
      cache.invalidate(customerId);
    }
  }

  return {
    async listCustomers(filter) {
      const parsed = parseWith(listFilterSchema, filter, "VALIDATION_FAILED", "filter");
      const records = await listCustomerRecords(store, { search: parsed.search, afterId: parsed.cursor, limit: parsed.limit + 1 });
      const page = records.slice(0, parsed.limit);
      return { customers: page.map((record) => toCustomer(record, catalog, ctx.now())), nextCursor: records.length > parsed.limit ? page.at(-1)!.id : null };
    },

    async upsertCustomer(input) {
      const parsed = parseWith(customerInputSchema, input, "VALIDATION_FAILED");
      const { customer, created } = await upsertCustomer(store, parsed);
      cache.invalidate(customer.id);
      return { customer: toCustomer(customer, catalog, ctx.now()), created };
    },

    getCustomer,

    async assign(customerId, plan, options = {}) {
      const id = parseCustomerId(customerId);
      const planKey = assignableKey(requirePlan(catalog, plan));
      const variant = options.variant === undefined || options.variant === null ? null : requirePlanVariant(catalog, planKey, options.variant);
      return setPlan(id, planKey, variant, options);
    },

    async unassign(customerId, options = {}) {
      return setPlan(parseCustomerId(customerId), null, null, options);
    },

    async planHistory(customerId) {
      const id = parseCustomerId(customerId);
      const [record, changes] = await Promise.all([findCustomer(store, id), listPlanChanges(store, id)]);
      if (!record) throw customerNotFound(id);
      return changes.map((change) => ({
        plan: change.planKey ?? catalog.defaultPlan,
        onDefaultPlan: change.planKey === null,
        variant: change.planVariant,
        effectiveAt: change.effectiveAt,
        trialEndsAt: change.trialEndsAt,
        source: change.source,
        reference: change.reference,
        recordedAt: change.recordedAt,
      }));
    },

    async override(customerId, overrides) {
      const id = parseCustomerId(customerId);
      if (overrides === null || typeof overrides !== "object" || Array.isArray(overrides) || Object.keys(overrides).length === 0) {
        throw new BillingError("VALIDATION_FAILED", "overrides must name at least one feature, e.g. { api: 5000 }", { field: "overrides" });
      }
      const parsed = Object.entries(overrides).map(([key, value]) => parseOverride(catalog, key, value));
      try {
        return await store.transaction(async (tx) => {
          await lockCustomer(tx, id);
          await setOverrides(tx, id, parsed);
          return listOverrides(tx, id);
        });
      } finally {
        cache.invalidate(id);
      }
    },

    async clearOverride(customerId, features) {
      const id = parseCustomerId(customerId);
      if (features !== undefined && !Array.isArray(features)) {
        throw new BillingError("VALIDATION_FAILED", "features must be a list of feature keys, or omitted to clear every override", { field: "features" });
      }
      const keys = features?.map((key, index) => requireFeature(catalog, key, `features.${index}`).key);
      try {
        return await store.transaction(async (tx) => {
          await lockCustomer(tx, id);
          await clearOverrides(tx, id, keys);
          return listOverrides(tx, id);
        });
      } finally {
        cache.invalidate(id);
      }
    },
  };
}
