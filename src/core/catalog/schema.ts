import { z } from "zod";
import { isDecimalLike } from "../decimal.ts";
import { PRORATIONS } from "../invoicing/proration.ts";
import { BILLING_INTERVALS } from "../periods.ts";
import { chargeSchema, minimumCommitmentSchema } from "../pricing/charge-schema.ts";
import { refineStorable } from "../storable-text.ts";
import { strictFields } from "../strict-fields.ts";

/** Keys of meters, features, plans and variants: what a typo would break, so kept plain. */
export const keySchema = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$/, "must start with a letter or digit and use only letters, digits, _ . : - (at most 128)");

/** A non-negative exact quantity: a number or a decimal string ("0.5" GB). */
export const quantitySchema = z
  .union([z.number(), z.string()])
  .refine((v) => isDecimalLike(v), "must be a finite decimal number")
  .refine((v) => !String(v).trim().startsWith("-"), "must not be negative");

export const AGGREGATIONS = ["sum", "count", "max", "last", "unique_count"] as const;
export type Aggregation = (typeof AGGREGATIONS)[number];

export const RESETS = ["billing_period", "month", "week", "day", "hour", "never"] as const;
export type ResetStrategy = (typeof RESETS)[number];

export const meterSchema = strictFields({
    aggregation: z.enum(AGGREGATIONS),
    /** Display unit ("call", "token", "GB-hour"). */
    unit: z.string().min(1).max(64).optional(),
    /** The event property whose distinct values a unique_count meter counts. */
    property: z.string().min(1).max(128).optional(),
    description: z.string().max(1000).optional(),
  })
  .superRefine((meter, ctx) => {
    if (meter.aggregation === "unique_count" && meter.property === undefined) {
      ctx.addIssue({ code: "custom", path: ["property"], message: "is required for a unique_count meter (the property whose distinct values are counted)" });
    }
    if (meter.aggregation !== "unique_count" && meter.property !== undefined) {
      ctx.addIssue({ code: "custom", path: ["property"], message: "only applies to unique_count meters" });
    }
  });

const featureBase = {
  name: z.string().min(1).max(200).optional(),
  description: z.string().max(1000).optional(),
};

export const featureSchema = z.discriminatedUnion("type", [
  /** A flag: on or off per plan. */
  strictFields({ type: z.literal("boolean"), ...featureBase }),
  /** Bound to a meter; usage in the current reset window counts against the limit. */
  strictFields({
    type: z.literal("metered"),
    ...featureBase,
    meter: keySchema,
    reset: z.enum(RESETS).default("billing_period"),
    /** The effective limit never drops below this, whatever overrides and deductions say. */
    minimumLimit: quantitySchema.optional(),
  }),
  /** A numeric ceiling with no usage window, such as seats or projects. */
  strictFields({
    type: z.literal("static"),
    ...featureBase,
    unit: z.string().min(1).max(64).optional(),
    minimumLimit: quantitySchema.optional(),
  }),
]);

/** `null` = unlimited; a number or decimal string = the limit. */
export const limitSchema = z.union([quantitySchema, z.null()]);

/** Whole minor units of the catalog's currency: a non-negative safe integer. */
export const minorUnitsSchema = z.number().int("must be whole minor units (an integer)").min(0, "must not be negative").max(Number.MAX_SAFE_INTEGER, "is too large");

/**
 * What consume does with usage past the limit of a metered feature: refuse it (`"block"`, the
 * default), let it through (`"allow"`), or let it through up to a cap in units past the limit
 * (`{ maxUnits }`) or in what those units cost under the plan's charges (`{ maxSpend }`, minor units).
 */
export const overageSchema = z.union([
  z.literal("block"),
  z.literal("allow"),
  strictFields({ maxUnits: quantitySchema }),
  strictFields({ maxSpend: minorUnitsSchema }),
]);

/**
 * What a plan grants for one feature: `true`/`false` for flags; a limit (or null for unlimited)
 * for metered and static features; or the object form with named variants of the limit and the
 * overage policy.
 */
export const grantSchema = z.union([
  z.boolean(),
  limitSchema,
  strictFields({
    limit: limitSchema,
    /** Named variants of this limit ("starter"), chosen per call or per customer. */
    variants: z.record(keySchema, limitSchema).optional(),
    /** Usage past the limit (metered features): "block" (default), "allow", { maxUnits } or { maxSpend }. */
    overage: overageSchema.optional(),
  }),
]);

/** A provider's name for a price: a Stripe lookup key or a Flowglad price slug. */
const providerPriceKey = z.string().min(1).max(200);

/** A provider's id; which ids exist is the provider list's business (`defineCatalog`'s `providers` option). */
export const providerIdSchema = z.string().regex(/^[a-z][a-z0-9_]{0,62}$/, "must be a provider id (lower-case letters, digits and underscores)");

/**
 * The provider prices that put a subscriber on a plan, by provider id: Stripe lookup keys,
 * Flowglad price slugs. A price (or its product) carrying `billhub_plan` metadata says the same
 * from the provider's side.
 */
export const providerPricesSchema = z.record(providerIdSchema, z.array(providerPriceKey));

/** What happens when a trial ends: the customer keeps the plan (and pays from then on) or returns to the default plan. */
export const TRIAL_ON_END = ["convert", "default"] as const;
export type TrialOnEnd = (typeof TRIAL_ON_END)[number];

/** A plan's trial: `days` whole days without its flat fees, then `onEnd`. */
export const trialSchema = strictFields({
  days: z.number().int("must be a whole number of days").min(1).max(730),
  onEnd: z.enum(TRIAL_ON_END).default("convert"),
});

const currencySchema = z.string().regex(/^[A-Za-z]{3}$/, "must be a three-letter ISO 4217 code such as \"USD\"");

/** What a plan (or one of its versions) grants and bills. */
const planFields = {
  name: z.string().min(1).max(200),
  description: z.string().max(2000).optional(),
  metadata: z.record(z.string(), z.unknown()).optional(),
  features: z.record(keySchema, grantSchema).default({}),
  /** What the plan bills each period (see src/core/pricing). */
  charges: z.array(chargeSchema).default([]),
  /** A minimum spend per period; a true-up line makes up any shortfall. */
  minimumCommitment: minimumCommitmentSchema.optional(),
  /** Provider prices whose subscribers are on this plan (webhooks resolve subscriptions with it). */
  providerPrices: providerPricesSchema.optional(),
  /** A trial offered when the plan is assigned with `{ trial: true }`. */
  trial: trialSchema.optional(),
  /** ISO 4217 code the plan bills in; default: the catalog's currency. */
  currency: currencySchema.optional(),
  /** How long the plan's billing period is: "month" (default), "year" or "week" (see `BillingInterval`). */
  interval: z.enum(BILLING_INTERVALS, { error: `must be one of ${BILLING_INTERVALS.map((i) => JSON.stringify(i)).join(", ")}` }).default("month"),
  /** False: no customer can newly be put on the plan; those on it keep it. Default true. */
  active: z.boolean().default(true),
};

/** An earlier version of a plan, kept for the customers who signed up to it; its name defaults to the plan's. */
const { active: _active, ...versionFields } = planFields;
/** Earlier versions are never newly assigned, so they take no `active` flag. */
export const planVersionSchema = strictFields({ ...versionFields, name: planFields.name.optional() });

export const planSchema = strictFields({
  ...planFields,
  /**
   * The plan's current version (a whole number). A plan with a version assigns it: customers keep
   * the version they were put on when the plan changes; earlier versions live under `versions`.
   */
  version: z.number().int("must be a whole number").min(1).max(1_000_000).optional(),
  /** Earlier versions by number ("1", "2"), each a complete plan definition. */
  versions: z.record(z.string().regex(/^[1-9]\d{0,6}$/, "must be a version number such as \"1\""), planVersionSchema).optional(),
});

const alertDescription = z.string().max(1000).optional();

/** Alert kinds fed by credit balances (the credit ledger reports them). */
export const CREDIT_ALERT_KINDS = ["credit_balance_low", "credit_balance_depleted", "credits_expiring"] as const;
export type CreditAlertKind = (typeof CREDIT_ALERT_KINDS)[number];

export const ALERT_KINDS = ["usage", "spend", ...CREDIT_ALERT_KINDS] as const;
export type AlertKind = (typeof ALERT_KINDS)[number];

/**
 * One threshold alert of the catalog. Each fires at most once per customer and window:
 * - `usage`: a metered feature's usage in its reset window reaches `percent` of the customer's
 *   limit (0–100) or `units`;
 * - `spend`: what the period's usage costs under the customer's plan reaches `amount` minor units;
 * - `credit_balance_low` (the balance falls to `below` or less), `credit_balance_depleted` (to 0
 *   or less) and `credits_expiring` (credits expire within `withinDays`): fed by credit balances,
 *   of money (minor units) or, with `feature`, of that feature's unit credits.
 */
export const alertSchema = z.discriminatedUnion("kind", [
  strictFields({
    kind: z.literal("usage"),
    feature: keySchema,
    percent: z.number().min(0, "must be between 0 and 100 (percent of the limit)").max(100, "must be between 0 and 100 (percent of the limit)").optional(),
    units: quantitySchema.optional(),
    description: alertDescription,
  }).superRefine((alert, ctx) => {
    if ((alert.percent === undefined) === (alert.units === undefined)) {
      ctx.addIssue({ code: "custom", path: [alert.percent === undefined ? "percent" : "units"], message: "give exactly one of percent (of the limit, 0–100) or units" });
    }
  }),
  strictFields({ kind: z.literal("spend"), amount: minorUnitsSchema, description: alertDescription }),
  /** Credit alerts watch the money balance (minor units), or with `feature` that feature's unit credits. */
  strictFields({ kind: z.literal("credit_balance_low"), feature: keySchema.optional(), below: quantitySchema, description: alertDescription }),
  strictFields({ kind: z.literal("credit_balance_depleted"), feature: keySchema.optional(), description: alertDescription }),
  strictFields({ kind: z.literal("credits_expiring"), feature: keySchema.optional(), withinDays: z.number().int().min(1).max(366), description: alertDescription }),
]);

export const alertsSchema = z.record(keySchema, alertSchema);
export type AlertInput = z.output<typeof alertSchema>;

export const catalogSchema = strictFields({
  /** ISO 4217 code the catalog's plans are priced in, unless a plan names its own. */
  currency: currencySchema,
  meters: z.record(keySchema, meterSchema).default({}),
  features: z.record(keySchema, featureSchema).default({}),
  plans: z.record(keySchema, planSchema).refine((plans) => Object.keys(plans).length > 0, "must declare at least one plan"),
  /** The plan of every customer who has not been assigned one. */
  defaultPlan: keySchema,
  /** Threshold alerts, by key: usage, spend and credit balance (see alert-schema.ts). */
  alerts: alertsSchema.default({}),
  /** How flat fees are shared when a window holds several plans: "none" (the plan at the window's end bills its whole fee), "second" or "day". */
  proration: z.enum(PRORATIONS).default("none"),
  // No text of the catalog may hold what the store cannot keep (a NUL, a lone surrogate): names
  // and units end up in invoice lines, whose stored JSON would hold it and refuse to be read as jsonb.
}).superRefine(refineStorable);

export type CatalogInput = z.input<typeof catalogSchema>;
export type MeterDefinition = z.output<typeof meterSchema>;
export type FeatureDefinition = z.output<typeof featureSchema>;
export type GrantInput = z.output<typeof grantSchema>;
export type OverageInput = z.output<typeof overageSchema>;
export type PlanDefinition = z.output<typeof planSchema>;
export type PlanVersionDefinition = z.output<typeof planVersionSchema>;
