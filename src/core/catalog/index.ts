export { defineCatalog, isCatalog, versionKey, type Alert, type Catalog, type DefineCatalogOptions, type Feature, type Grant, type Meter, type Plan, type PlanTrial } from "./define-catalog.ts";
export { planForSubscription, PLAN_METADATA_KEY, type PlanResolution, type SubscribedPrice } from "./plan-for-subscription.ts";
export { requireFeature, requireMeter, requirePlan, requireVariant } from "./lookup.ts";
export { AGGREGATIONS, ALERT_KINDS, CREDIT_ALERT_KINDS, RESETS, TRIAL_ON_END, catalogSchema, type AlertKind, type CreditAlertKind, type Aggregation, type CatalogInput, type ResetStrategy, type TrialOnEnd } from "./schema.ts";
export { BLOCK_OVERAGE, overagePolicy, type OveragePolicy } from "./overage-policy.ts";
export { planInForce, trialEnd, type AssignedPlan, type PlanInForce } from "./trial.ts";
