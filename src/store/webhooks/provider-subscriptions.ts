import type { Sql } from "../types.ts";

/** A provider subscription as billhub keeps it. */
export interface SubscriptionRecord {
  provider: string;
  subscriptionId: string;
  providerCustomerId: string;
  /** billhub's customer, or null while no customer carries the provider's customer id. */
  customerId: string | null;
  status: string;
  /** The status grants the plan. */
  entitled: boolean;
  /** The status neither grants nor takes away a plan yet (the first payment is pending). */
  pending: boolean;
  planKey: string | null;
  planError: string | null;
  priceIds: string[];
  lookupKeys: string[];
  currentPeriodStart: Date | null;
  currentPeriodEnd: Date | null;
  cancelAtPeriodEnd: boolean;
  /** While trialing: when the trial ends. */
  trialEndsAt: Date | null;
  /** The provider's time of the change this state comes from. */
  versionAt: Date;
}

interface SubscriptionRow {
  [key: string]: unknown;
  provider: string;
  subscription_id: string;
  provider_customer_id: string;
  customer_id: string | null;
  status: string;
  entitled: boolean;
  pending: boolean;
  plan_key: string | null;
  plan_error: string | null;
  price_ids: string[];
  lookup_keys: string[];
  current_period_start: Date | null;
  current_period_end: Date | null;
  cancel_at_period_end: boolean;
  trial_ends_at: Date | null;
  version_at: Date;
}

const COLUMNS =
  "provider, subscription_id, provider_customer_id, customer_id, status, entitled, pending, plan_key, plan_error, price_ids, lookup_keys, current_period_start, current_period_end, cancel_at_period_end, trial_ends_at, version_at";

function toRecord(row: SubscriptionRow): SubscriptionRecord {
  return {
    provider: row.provider,
    subscriptionId: row.subscription_id,
    providerCustomerId: row.provider_customer_id,
    customerId: row.customer_id,
    status: row.status,
    entitled: row.entitled,
    pending: row.pending,
    planKey: row.plan_key,
    planError: row.plan_error,
    priceIds: row.price_ids,
    lookupKeys: row.lookup_keys,
    currentPeriodStart: row.current_period_start,
    currentPeriodEnd: row.current_period_end,
    cancelAtPeriodEnd: row.cancel_at_period_end,
    trialEndsAt: row.trial_ends_at,
    versionAt: row.version_at,
  };
}

/** Stores the subscription's state (the caller has checked it is newer). */
export async function upsertSubscription(sql: Sql, record: SubscriptionRecord): Promise<void> {
  await sql.query(
    `INSERT INTO provider_subscriptions (${COLUMNS}, updated_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10::text[], $11::text[], $12, $13, $14, $15, $16, now())
     ON CONFLICT (provider, subscription_id) DO UPDATE SET
       provider_customer_id = EXCLUDED.provider_customer_id, customer_id = EXCLUDED.customer_id, status = EXCLUDED.status,
       entitled = EXCLUDED.entitled, pending = EXCLUDED.pending, plan_key = EXCLUDED.plan_key, plan_error = EXCLUDED.plan_error,
       price_ids = EXCLUDED.price_ids, lookup_keys = EXCLUDED.lookup_keys, current_period_start = EXCLUDED.current_period_start,
       current_period_end = EXCLUDED.current_period_end, cancel_at_period_end = EXCLUDED.cancel_at_period_end, trial_ends_at = EXCLUDED.trial_ends_at,
       version_at = EXCLUDED.version_at, updated_at = now()`,
    [
      record.provider,
      record.subscriptionId,
      record.providerCustomerId,
      record.customerId,
      record.status,
      record.entitled,
      record.pending,
      record.planKey,
      record.planError,
      record.priceIds,
      record.lookupKeys,
      record.currentPeriodStart,
      record.currentPeriodEnd,
      record.cancelAtPeriodEnd,
      record.trialEndsAt,
      record.versionAt,
    ],
  );
}

/** The customer's subscriptions at every provider, the most recently changed first. */
export async function subscriptionsOfCustomer(sql: Sql, customerId: string): Promise<SubscriptionRecord[]> {
  const { rows } = await sql.query<SubscriptionRow>(`SELECT ${COLUMNS} FROM provider_subscriptions WHERE customer_id = $1 ORDER BY version_at DESC, subscription_id`, [customerId]);
  return rows.map(toRecord);
}

/** A provider customer's subscriptions (Flowglad re-reads all of them at once). */
export async function subscriptionsOfProviderCustomer(sql: Sql, provider: string, providerCustomerId: string): Promise<SubscriptionRecord[]> {
  const { rows } = await sql.query<SubscriptionRow>(
    `SELECT ${COLUMNS} FROM provider_subscriptions WHERE provider = $1 AND provider_customer_id = $2 ORDER BY version_at DESC, subscription_id`,
    [provider, providerCustomerId],
  );
  return rows.map(toRecord);
}
