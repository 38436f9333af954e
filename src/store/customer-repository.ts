import { planInForce, type TrialOnEnd } from "../core/catalog/index.ts";
import { BillingError } from "../core/errors.ts";
import { sqlState } from "./identifiers.ts";
import { recordPlanChange, type PlanChangeWrite, type TrialWrite } from "./plan-change-repository.ts";
import type { Sql } from "./types.ts";

/** A customer as stored. `planKey` null = the catalog's default plan. */
export interface CustomerRecord {
  id: string;
  referenceType: string;
  email: string | null;
  name: string | null;
  planKey: string | null;
  planVariant: string | null;
  /** When the trial of the assigned plan ends (or ended); null without one. */
  trialEndsAt: Date | null;
  /** What the customer is on once the trial has ended; null without a trial. */
  trialOnEnd: TrialOnEnd | null;
  /** ISO 4217 code the customer pays in, fixed once set; null until its first plan or an explicit one. */
  currency: string | null;
  providerIds: Record<string, string>;
  periodStart: Date | null;
  periodEnd: Date | null;
  metadata: Record<string, unknown>;
  createdAt: Date;
  updatedAt: Date;
}

/**
 * An upsert: fields left undefined keep their stored value (or the column default on insert).
 * `providerIds` and `metadata` merge key by key; a key set to null is removed.
 */
export interface CustomerWrite {
  id: string;
  referenceType?: string;
  email?: string | null;
  name?: string | null;
  /** Set once: a customer whose currency is another is refused (CURRENCY_MISMATCH), nothing written. */
  currency?: string;
  providerIds?: Record<string, string | null>;
  periodStart?: Date | null;
  periodEnd?: Date | null;
  metadata?: Record<string, unknown>;
}

export interface CustomerRow {
  [key: string]: unknown;
  id: string;
  reference_type: string;
  email: string | null;
  name: string | null;
  plan_key: string | null;
  plan_variant: string | null;
  trial_ends_at: Date | null;
  trial_on_end: TrialOnEnd | null;
  currency: string | null;
  provider_ids: Record<string, string>;
  period_start: Date | null;
  period_end: Date | null;
  metadata: Record<string, unknown>;
  created_at: Date;
  updated_at: Date;
}

export const CUSTOMER_COLUMNS = "id, reference_type, email, name, plan_key, plan_variant, trial_ends_at, trial_on_end, currency, provider_ids, period_start, period_end, metadata, created_at, updated_at";

export function toCustomerRecord(row: CustomerRow): CustomerRecord {
  return {
    id: row.id,
    referenceType: row.reference_type,
    email: row.email,
    name: row.name,
    planKey: row.plan_key,
    planVariant: row.plan_variant,
    trialEndsAt: row.trial_ends_at,
    trialOnEnd: row.trial_on_end,
    currency: row.currency,
    providerIds: row.provider_ids,
    periodStart: row.period_start,
    periodEnd: row.period_end,
    metadata: row.metadata,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

/** Splits a merge patch into the entries to set and the keys to remove. */
function splitPatch(patch: Record<string, unknown>): { set: Record<string, unknown>; remove: string[] } {
  const set: Record<string, unknown> = {};
  const remove: string[] = [];
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) remove.push(key);
    else set[key] = value;
  }
  return { set, remove };
}

/** The provider whose id clashed: 0940's trigger names it in the error's DETAIL. */
function providerIdConflict(error: unknown, write: CustomerWrite): never {
  const { constraint, detail } = error as { constraint?: unknown; detail?: unknown };
  const provider = constraint === "customer_provider_ids_pkey" && typeof detail === "string" && Object.hasOwn(write.providerIds ?? {}, detail) ? detail : undefined;
  const field = provider ? `providerIds.${provider}` : "providerIds";
  const value = provider ? write.providerIds?.[provider] : undefined;
  throw new BillingError("PROVIDER_ID_IN_USE", `${field} ${value === undefined || value === null ? "" : `${JSON.stringify(value)} `}already belongs to another customer`, { field, cause: error });
}

/**
 * Inserts the customer or updates the fields `write` names, in one statement (so concurrent
 * upserts of one id cannot both insert). Returns the stored customer and whether it was new.
 */
export async function upsertCustomer(sql: Sql, write: CustomerWrite): Promise<{ customer: CustomerRecord; created: boolean }> {
  const params: unknown[] = [write.id];
  const param = (value: unknown): string => {
    params.push(value);
    return `$${params.length}`;
  };
  const insertColumns = ["id"];
  const insertValues = ["$1"];
  const updates: string[] = [];
  const plain: [string, unknown][] = [
    ["reference_type", write.referenceType],
    ["email", write.email],
    ["name", write.name],
    ["currency", write.currency],
    ["period_start", write.periodStart],
    ["period_end", write.periodEnd],
  ];
  for (const [column, value] of plain) {
    if (value === undefined) continue;
    const placeholder = param(value);
    insertColumns.push(column);
    insertValues.push(placeholder);
    updates.push(`${column} = ${placeholder}`);
  }
  for (const [column, patch] of [["provider_ids", write.providerIds], ["metadata", write.metadata]] as const) {
    if (patch === undefined) continue;
    const { set, remove } = splitPatch(patch);
    const setParam = param(JSON.stringify(set));
    insertColumns.push(column);
    insertValues.push(`${setParam}::jsonb`);
    updates.push(`${column} = (customers.${column} || ${setParam}::jsonb) - ${param(remove)}::text[]`);
  }
  updates.push("updated_at = now()");
  // A customer's currency is fixed once set: an update naming another one changes nothing.
  const keepCurrency = write.currency === undefined ? "" : ` WHERE customers.currency IS NULL OR customers.currency = ${param(write.currency)}`;
  try {
    const { rows } = await sql.query<CustomerRow & { created: boolean }>(
      `INSERT INTO customers (${insertColumns.join(", ")}) VALUES (${insertValues.join(", ")})
       ON CONFLICT (id) DO UPDATE SET ${updates.join(", ")}${keepCurrency}
       RETURNING ${CUSTOMER_COLUMNS}, (xmax = 0) AS created`,
      params,
    );
    const row = rows[0];
    if (row === undefined) {
      throw new BillingError("CURRENCY_MISMATCH", `customer ${JSON.stringify(write.id)} already pays in another currency than ${write.currency}; a customer's currency cannot change`, { field: "currency" });
    }
    return { customer: toCustomerRecord(row), created: row.created };
  } catch (error) {
    if (sqlState(error) === "23505") providerIdConflict(error, write);
    throw error;
  }
}

/** The customer with this id, or undefined. */
export async function findCustomer(sql: Sql, id: string): Promise<CustomerRecord | undefined> {
  const { rows } = await sql.query<CustomerRow>(`SELECT ${CUSTOMER_COLUMNS} FROM customers WHERE id = $1`, [id]);
  return rows[0] && toCustomerRecord(rows[0]);
}

/** One row of customer_provider_ids (0940) per provider customer id, kept from provider_ids. */
const BY_PROVIDER_ID = `SELECT ${CUSTOMER_COLUMNS.split(", ").map((column) => `c.${column}`).join(", ")}
  FROM customer_provider_ids p JOIN customers c ON c.id = p.customer_id
  WHERE p.provider = $1 AND p.provider_customer_id = $2`;

/**
 * The customer a provider knows by `providerCustomerId` (e.g. Stripe's "cus_..."), or undefined.
 * With `forUpdate`, the row is also locked FOR UPDATE, and what comes back is its current version.
 */
export async function findCustomerByProviderId(sql: Sql, provider: string, providerCustomerId: string, options: { forUpdate?: boolean } = {}): Promise<CustomerRecord | undefined> {
  const { rows } = await sql.query<CustomerRow>(options.forUpdate ? `${BY_PROVIDER_ID} FOR UPDATE OF c` : BY_PROVIDER_ID, [provider, providerCustomerId]);
  return rows[0] && toCustomerRecord(rows[0]);
}

/**
 * Sets (or with null, clears) the customer's plan and variant, with `trial` the trial it starts
 * (without, any trial of the previous plan is over), and with `period` its billing period, in the
 * same statement; undefined when there is no such customer. When the plan in force at the change's
 * instant, its variant or its pending trial changes, the change is recorded in the plan history
 * with `change`'s instant (see `recordPlanChange`). Run it inside a transaction: the row is
 * locked, then the history written.
 */
export async function setCustomerPlan(
  sql: Sql,
  id: string,
  planKey: string | null,
  planVariant: string | null,
  options: { period?: { start: Date; end: Date } | undefined; change: PlanChangeWrite; trial?: TrialWrite | undefined; currency?: string | undefined },
): Promise<CustomerRecord | undefined> {
  const { period, trial } = options;
  const params: unknown[] = [id, planKey, planVariant, trial?.endsAt ?? null, trial?.onEnd ?? null, options.currency ?? null];
  if (period !== undefined) params.push(period.start, period.end);
  const { rows } = await sql.query<CustomerRow & { old_key: string | null; old_variant: string | null; old_trial_ends_at: Date | null; old_trial_on_end: TrialOnEnd | null }>(
    `UPDATE customers c SET plan_key = $2, plan_variant = $3, trial_ends_at = $4, trial_on_end = $5, currency = COALESCE(c.currency, $6), ${period === undefined ? "" : "period_start = $7, period_end = $8, "}updated_at = now()
       FROM (SELECT plan_key AS old_key, plan_variant AS old_variant, trial_ends_at AS old_trial_ends_at, trial_on_end AS old_trial_on_end
               FROM customers WHERE id = $1 FOR UPDATE) old
      WHERE c.id = $1 RETURNING ${CUSTOMER_COLUMNS.split(", ").map((column) => `c.${column}`).join(", ")}, old.old_key, old.old_variant, old.old_trial_ends_at, old.old_trial_on_end`,
    params,
  );
  const row = rows[0];
  if (row === undefined) return undefined;
  const at = options.change.effectiveAt;
  const before = planInForce({ planKey: row.old_key, planVariant: row.old_variant, trialEndsAt: row.old_trial_ends_at, trialOnEnd: row.old_trial_on_end }, at);
  const pendingBefore = before.trialing ? row.old_trial_ends_at!.getTime() : null;
  const pendingAfter = trial === undefined ? null : trial.endsAt.getTime();
  if (before.planKey !== planKey || before.planVariant !== planVariant || pendingBefore !== pendingAfter) {
    await recordPlanChange(sql, id, planKey, planVariant, options.change, trial);
  }
  return toCustomerRecord(row);
}

/** Throws CUSTOMER_NOT_FOUND unless the customer exists; locks its row until the transaction ends. */
export async function lockCustomer(sql: Sql, id: string, field = "customer"): Promise<void> {
  const { rows } = await sql.query("SELECT 1 FROM customers WHERE id = $1 FOR UPDATE", [id]);
  if (rows.length === 0) throw customerNotFound(id, field);
}

export function customerNotFound(id: string, field = "customer"): BillingError {
  return new BillingError("CUSTOMER_NOT_FOUND", `No customer with id ${JSON.stringify(id)}; create it with upsertCustomer first`, { field });
}
