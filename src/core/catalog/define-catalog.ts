import { canonicalDecimal } from "../decimal.ts";
import { BillingError, listKeys } from "../errors.ts";
import { normalizeCurrency } from "../money.ts";
import type { Proration } from "../invoicing/proration.ts";
import type { BillingInterval } from "../periods.ts";
import { zodToBillingError } from "../validation.ts";
import type { Charge } from "../pricing/charge-schema.ts";
import { preparePlan, type PreparedPlan } from "../pricing/prepare-plan.ts";
import { BLOCK_OVERAGE, overagePolicy, type OveragePolicy } from "./overage-policy.ts";
import {
  catalogSchema,
  type CatalogInput,
  type FeatureDefinition,
  type GrantInput,
  type AlertInput,
  type MeterDefinition,
  type PlanDefinition,
  type PlanVersionDefinition,
  type TrialOnEnd,
} from "./schema.ts";

/** What a plan gives one feature, resolved: every feature of the catalog has one on every plan. */
export interface Grant {
  /** False for a flag that is off and for a feature the plan does not mention. */
  granted: boolean;
  /** Canonical decimal string; null = unlimited. Ungranted limits are "0", never unlimited. */
  limit: string | null;
  /** Named variants of the limit, e.g. { starter: "500" }. */
  variants: Readonly<Record<string, string | null>>;
  /** What consume does with usage past the limit; `block` unless the plan says otherwise. */
  overage: OveragePolicy;
}

export type Meter = MeterDefinition & { readonly key: string };
/** A threshold alert of the catalog (decimals canonical), with its key. */
export type Alert = AlertInput & { readonly key: string };
export type Feature = FeatureDefinition & { readonly key: string };

export interface Plan {
  readonly key: string;
  readonly name: string;
  readonly description: string | undefined;
  readonly metadata: Readonly<Record<string, unknown>>;
  readonly grants: Readonly<Record<string, Grant>>;
  /** The plan's charges as declared (validated, decimals canonical): plain data to show or serialize. */
  readonly charges: readonly Charge[];
  /** The plan's charges and minimum commitment, validated and parsed for `mapUsageToLineItems`. */
  readonly pricing: PreparedPlan;
  /** Provider prices (Stripe lookup keys, Flowglad price slugs) whose subscribers are on this plan. */
  readonly providerPrices: Readonly<Record<string, readonly string[]>>;
  /** The trial the plan offers, or null. */
  readonly trial: PlanTrial | null;
  /** ISO 4217 code the plan bills in (the catalog's unless the plan names its own). */
  readonly currency: string;
  /** How long its billing period is: invoiced by the runs of that interval (a month, a year, an ISO week). */
  readonly interval: BillingInterval;
  /** False: not newly assignable (customers on it keep it). Earlier versions are never active. */
  readonly active: boolean;
  /** The plan key without a version ("pro" for "pro@2"). */
  readonly family: string;
  /** The version this entry is ("pro@2" is 2; "pro" is the current one's number); null for an unversioned plan. */
  readonly version: number | null;
}

/** A plan's trial: how long it lasts and what the customer is on after it. */
export interface PlanTrial {
  readonly days: number;
  readonly onEnd: TrialOnEnd;
}

export interface DefineCatalogOptions {
  /**
   * The providers whose subscriptions put customers on plans (their ids). When given, every
   * `providerPrices` key and charge `price.provider` must be one of them, and each has a
   * (possibly empty) `providerPrices` list on every plan. billhub passes its provider list.
   */
  providers?: readonly string[];
}

/** A validated catalog: declared universes of meters, features, plans and variants. */
export interface Catalog {
  readonly currency: string;
  readonly meters: Readonly<Record<string, Meter>>;
  readonly features: Readonly<Record<string, Feature>>;
  readonly plans: Readonly<Record<string, Plan>>;
  readonly defaultPlan: string;
  /** How flat fees are shared between the plans a window holds (see `Proration`). */
  readonly proration: Proration;
  /** Every variant name any plan declares. */
  readonly variants: ReadonlySet<string>;
  /** Threshold alerts by key (usage, spend, credit balance). */
  readonly alerts: Readonly<Record<string, Alert>>;
}

const UNGRANTED: Grant = Object.freeze({ granted: false, limit: "0", variants: Object.freeze({}), overage: BLOCK_OVERAGE });

function invalid(field: string, message: string, valid?: Iterable<string>): BillingError {
  return new BillingError("CATALOG_INVALID", `catalog.${field}: ${message}`, {
    field: `catalog.${field}`,
    ...(valid === undefined ? {} : { details: { valid: [...valid].sort() } }),
  });
}

function limitOf(value: string | number | null): string | null {
  return value === null ? null : canonicalDecimal(value);
}

function resolveGrant(feature: Feature, input: GrantInput, path: string): Grant {
  if (feature.type === "boolean") {
    if (typeof input !== "boolean") {
      throw invalid(path, `feature "${feature.key}" is a boolean flag: grant it with true or false`);
    }
    return input ? { granted: true, limit: null, variants: {}, overage: BLOCK_OVERAGE } : UNGRANTED;
  }
  if (typeof input === "boolean") {
    throw invalid(path, `feature "${feature.key}" is ${feature.type}: grant it a limit (a number, or null for unlimited), not ${input}`);
  }
  if (input !== null && typeof input === "object") {
    if (input.overage !== undefined && input.overage !== "block" && feature.type !== "metered") {
      throw invalid(`${path}.overage`, `feature "${feature.key}" is static: it has no usage to go past its limit, so only "block" applies`);
    }
    const variants = Object.fromEntries(Object.entries(input.variants ?? {}).map(([name, limit]) => [name, limitOf(limit)]));
    return { granted: true, limit: limitOf(input.limit), variants, overage: overagePolicy(input.overage) };
  }
  return { granted: true, limit: limitOf(input), variants: {}, overage: BLOCK_OVERAGE };
}

interface PlanIdentity {
  family: string;
  version: number | null;
  active: boolean;
  /** The alias of a versioned plan ("pro" beside "pro@2") maps no provider price: subscriptions land on the version. */
  withProviderPrices: boolean;
}

function resolvePlan(
  key: string,
  plan: PlanVersionDefinition & { name: string },
  identity: PlanIdentity,
  features: Record<string, Feature>,
  meters: Record<string, Meter>,
  catalogCurrency: string,
  providers: readonly string[],
): Plan {
  const currency = plan.currency === undefined ? catalogCurrency : normalizeCurrency(plan.currency, `catalog.plans.${key}.currency`);
  for (const featureKey of Object.keys(plan.features)) {
    if (!(featureKey in features)) {
      throw invalid(`plans.${key}.features.${featureKey}`, `unknown feature "${featureKey}"; valid features: ${listKeys(Object.keys(features))}`, Object.keys(features));
    }
  }
  const grants: Record<string, Grant> = {};
  for (const feature of Object.values(features)) {
    const input = plan.features[feature.key];
    grants[feature.key] = input === undefined ? UNGRANTED : resolveGrant(feature, input, `plans.${key}.features.${feature.key}`);
  }
  plan.charges.forEach((charge, index) => {
    if ("meter" in charge && !(charge.meter in meters)) {
      throw invalid(`plans.${key}.charges.${index}.meter`, `unknown meter "${charge.meter}"; valid meters: ${listKeys(Object.keys(meters))}`, Object.keys(meters));
    }
  });
  const pricing = preparePlan(
    { key, currency, charges: plan.charges, ...(plan.minimumCommitment ? { minimumCommitment: plan.minimumCommitment } : {}) },
    { path: `catalog.plans.${key}` },
  );
  for (const feature of Object.values(features)) checkSpendCap(key, feature, grants[feature.key]!, pricing);
  const providerPrices: Record<string, readonly string[]> = Object.fromEntries(providers.map((provider) => [provider, []]));
  if (identity.withProviderPrices) for (const [provider, keys] of Object.entries(plan.providerPrices ?? {})) providerPrices[provider] = keys;
  const trial = plan.trial === undefined ? null : { days: plan.trial.days, onEnd: plan.trial.onEnd };
  const { family, version, active } = identity;
  return { key, name: plan.name, description: plan.description, metadata: plan.metadata ?? {}, grants, charges: plan.charges, pricing, providerPrices, trial, currency, interval: plan.interval, active, family, version };
}

/** The catalog key of a plan's version: "pro@2". */
export function versionKey(family: string, version: number): string {
  return `${family}@${version}`;
}

/**
 * A declared plan as catalog entries. Unversioned: one entry under its key. Versioned (`version: 2`):
 * the current version under "pro@2" (which a new assignment stores, and provider prices map to),
 * the same definition under "pro" (for customers assigned before the plan had versions, and the
 * default plan), and each earlier version under "pro@1", never active.
 */
function resolvePlanVersions(key: string, plan: PlanDefinition, features: Record<string, Feature>, meters: Record<string, Meter>, currency: string, providers: readonly string[]): Record<string, Plan> {
  const { version, versions, ...current } = plan;
  if (version === undefined) {
    if (versions !== undefined) throw invalid(`plans.${key}.version`, "is required with versions: the number of the current version (higher than every earlier one)");
    return { [key]: resolvePlan(key, current, { family: key, version: null, active: plan.active, withProviderPrices: true }, features, meters, currency, providers) };
  }
  const entries: Record<string, Plan> = {
    [key]: resolvePlan(key, current, { family: key, version, active: plan.active, withProviderPrices: false }, features, meters, currency, providers),
    [versionKey(key, version)]: resolvePlan(versionKey(key, version), current, { family: key, version, active: plan.active, withProviderPrices: true }, features, meters, currency, providers),
  };
  for (const [number, earlier] of Object.entries(versions ?? {})) {
    const n = Number(number);
    if (n >= version) throw invalid(`plans.${key}.versions.${number}`, `is not earlier than the current version ${version}: earlier versions are numbered below it`);
    const name = earlier.name ?? `${plan.name} (version ${n})`;
    entries[versionKey(key, n)] = resolvePlan(versionKey(key, n), { ...earlier, name }, { family: key, version: n, active: false, withProviderPrices: true }, features, meters, currency, providers);
  }
  return entries;
}

/**
 * A spend cap is priced with the plan's own charges on the feature's meter, so the plan must
 * charge for that meter with numbers of its own: without a charge the cap could never bind (and
 * usage would be let through unpriced), and a provider price is only known once synced.
 */
function checkSpendCap(planKey: string, feature: Feature, grant: Grant, pricing: PreparedPlan): void {
  if (grant.overage.kind !== "max_spend" || feature.type !== "metered") return;
  const field = `plans.${planKey}.features.${feature.key}.overage.maxSpend`;
  const charges = pricing.charges.filter((charge) => charge.meter === feature.meter);
  if (charges.length === 0) throw invalid(field, `plan "${planKey}" has no charge on meter "${feature.meter}" to price overage of feature "${feature.key}" with; add one or cap overage with maxUnits`);
  const external = charges.find((charge) => charge.pricing === undefined);
  if (external !== undefined) throw invalid(field, `charge "${external.key}" takes its numbers from a provider price, so a spend cap cannot be priced when the catalog loads; give it inline numbers or cap overage with maxUnits`);
}

/** A provider price may put subscribers on one plan only, or a subscription's plan would be a guess. */
function checkProviderPrices(plans: Record<string, Plan>): void {
  const providers = new Set(Object.values(plans).flatMap((plan) => Object.keys(plan.providerPrices)));
  for (const provider of providers) {
    const owner = new Map<string, string>();
    for (const plan of Object.values(plans)) {
      (plan.providerPrices[provider] ?? []).forEach((priceKey, index) => {
        const field = `plans.${plan.key}.providerPrices.${provider}.${index}`;
        const other = owner.get(priceKey);
        if (other === plan.key) throw invalid(field, `lists "${priceKey}" twice`);
        if (other !== undefined) throw invalid(field, `"${priceKey}" already puts subscribers on plan "${other}"; a ${provider} price can map to one plan only`);
        owner.set(priceKey, plan.key);
      });
    }
  }
}

/**
 * Validates a catalog and resolves it into declared universes. Every cross-reference is checked
 * here, once: a metered feature's meter, a plan's features, the default plan. A typo fails with
 * CATALOG_INVALID naming the path and listing the valid keys.
 *
 * @example
 * const catalog = defineCatalog({
 *   currency: "USD",
 *   meters: { api_calls: { aggregation: "sum" } },
 *   features: { api: { type: "metered", meter: "api_calls", reset: "month" }, sso: { type: "boolean" } },
 *   plans: { free: { name: "Free", features: { api: 1000 } }, pro: { name: "Pro", features: { api: null, sso: true } } },
 *   defaultPlan: "free",
 * });
 * catalog.plans.free.grants.sso // { granted: false, limit: "0", variants: {}, overage: { kind: "block" } }
 */
export function defineCatalog(input: CatalogInput | Catalog, options: DefineCatalogOptions = {}): Catalog {
  if (isCatalog(input)) {
    if (options.providers !== undefined) checkProviderIds(input, options.providers);
    return input;
  }
  const parsed = catalogSchema.safeParse(input);
  if (!parsed.success) throw zodToBillingError(parsed.error, "CATALOG_INVALID", "catalog");
  const raw = parsed.data;

  const meters: Record<string, Meter> = {};
  for (const [key, meter] of Object.entries(raw.meters)) meters[key] = { ...meter, key };

  const features: Record<string, Feature> = {};
  for (const [key, feature] of Object.entries(raw.features)) {
    if (feature.type === "metered" && !(feature.meter in meters)) {
      throw invalid(`features.${key}.meter`, `unknown meter "${feature.meter}"; valid meters: ${listKeys(Object.keys(meters))}`, Object.keys(meters));
    }
    features[key] = { ...feature, key };
  }

  const currency = normalizeCurrency(raw.currency, "catalog.currency");
  const plans: Record<string, Plan> = {};
  for (const [key, plan] of Object.entries(raw.plans)) Object.assign(plans, resolvePlanVersions(key, plan, features, meters, currency, options.providers ?? []));

  checkProviderPrices(plans);
  if (!(raw.defaultPlan in plans)) {
    throw invalid("defaultPlan", `unknown plan "${raw.defaultPlan}"; valid plans: ${listKeys(Object.keys(plans))}`, Object.keys(plans));
  }

  const variants = new Set<string>();
  for (const plan of Object.values(plans)) for (const grant of Object.values(plan.grants)) for (const name of Object.keys(grant.variants)) variants.add(name);

  const alerts: Record<string, Alert> = {};
  for (const [key, alert] of Object.entries(raw.alerts)) alerts[key] = resolveAlert(key, alert, features);

  const catalog: Catalog = { currency, meters, features, plans, defaultPlan: raw.defaultPlan, proration: raw.proration, variants, alerts };
  if (options.providers !== undefined) checkProviderIds(catalog, options.providers);
  CATALOGS.add(catalog);
  return deepFreeze(catalog);
}

/** A usage alert watches a metered feature: one that exists and has usage. */
/** A usage alert (and a credit alert with a feature) watches a metered feature: one that exists and has usage. */
function resolveAlert(key: string, alert: AlertInput, features: Record<string, Feature>): Alert {
  if (alert.kind === "spend" || alert.feature === undefined) return alert.kind === "credit_balance_low" ? { ...alert, below: canonicalDecimal(alert.below), key } : { ...alert, key };
  const metered = Object.values(features).filter((feature) => feature.type === "metered").map((feature) => feature.key);
  const feature = Object.hasOwn(features, alert.feature) ? features[alert.feature] : undefined;
  if (feature === undefined) throw invalid(`alerts.${key}.feature`, `unknown feature "${alert.feature}"; valid metered features: ${listKeys(metered)}`, metered);
  if (feature.type !== "metered") throw invalid(`alerts.${key}.feature`, `feature "${alert.feature}" is ${feature.type}: it has no usage to watch; valid metered features: ${listKeys(metered)}`, metered);
  if (alert.kind === "usage") return { ...alert, ...(alert.units === undefined ? {} : { units: canonicalDecimal(alert.units) }), key };
  return alert.kind === "credit_balance_low" ? { ...alert, below: canonicalDecimal(alert.below), key } : { ...alert, key };
}

/** Every provider a catalog names (price lists, charges' prices) is one of `providers`. */
function checkProviderIds(catalog: Catalog, providers: readonly string[]): void {
  const known = new Set(providers);
  for (const plan of Object.values(catalog.plans)) {
    for (const provider of Object.keys(plan.providerPrices)) {
      if (!known.has(provider)) throw invalid(`plans.${plan.key}.providerPrices.${provider}`, `unknown provider "${provider}"; valid providers: ${listKeys(providers)}`, providers);
    }
    plan.charges.forEach((charge, index) => {
      const provider = "price" in charge ? charge.price?.provider : undefined;
      if (provider !== undefined && !known.has(provider)) {
        throw invalid(`plans.${plan.key}.charges.${index}.price.provider`, `unknown provider "${provider}"; valid providers: ${listKeys(providers)}`, providers);
      }
    });
  }
}

const CATALOGS = new WeakSet<object>();

/** True for a catalog that defineCatalog produced (so it is not validated twice). */
export function isCatalog(value: unknown): value is Catalog {
  return typeof value === "object" && value !== null && CATALOGS.has(value);
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === "object" && !Object.isFrozen(value) && !(value instanceof Set)) {
    Object.freeze(value);
    for (const inner of Object.values(value as object)) deepFreeze(inner);
  }
  return value;
}
