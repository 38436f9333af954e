import { planInForce } from "../core/catalog/index.ts";
import type { EntitlementState, LimitAdjustment, LimitOverride, Recurrence } from "../core/entitlements/index.ts";
import { CUSTOMER_COLUMNS, toCustomerRecord, type CustomerRecord, type CustomerRow } from "./customer-repository.ts";
import { arrayLiteral } from "./array-literal.ts";
import type { Sql } from "./types.ts";

type StateRow = CustomerRow & {
  overrides: { feature: string; granted: boolean; limit: string | null }[];
  adjustments: {
    id: string;
    feature: string;
    amount: string;
    recurrence: Recurrence;
    starts_at: string;
    ends_at: string | null;
    reason: string | null;
    metadata: Record<string, unknown>;
    created_at: string;
  }[];
};

/** A customer and everything that decides its limits, as the entitlement cache keeps it. */
export interface CustomerEntitlements {
  customer: CustomerRecord;
  state: EntitlementState;
}

const selectState = (where: string) => `SELECT ${CUSTOMER_COLUMNS.split(", ").map((column) => `c.${column}`).join(", ")},
  COALESCE((SELECT json_agg(json_build_object('feature', o.feature_key, 'granted', o.granted, 'limit', o.limit_value::text))
            FROM customer_overrides o WHERE o.customer_id = c.id), '[]'::json) AS overrides,
  COALESCE((SELECT json_agg(json_build_object('id', a.id, 'feature', a.feature_key, 'amount', a.amount::text,
              'recurrence', a.recurrence, 'starts_at', a.starts_at, 'ends_at', a.ends_at, 'reason', a.reason,
              'metadata', a.metadata, 'created_at', a.created_at) ORDER BY a.starts_at, a.id)
            FROM limit_adjustments a WHERE a.customer_id = c.id AND (a.ends_at IS NULL OR a.ends_at > $2)), '[]'::json) AS adjustments
FROM customers c WHERE ${where}`;
const SELECT_STATE = selectState("c.id = $1");
const SELECT_STATES = selectState("c.id = ANY($1::text[])");

/**
 * Loads a customer with everything that decides its limits in one round trip: plan, variant,
 * billing cycle, overrides, and the adjustments that have not ended by `at`. Numerics travel as
 * text inside the JSON so that no limit passes through a float. Prepared: a check runs it each time
 * the entitlement cache misses.
 */
export async function loadCustomerEntitlements(sql: Sql, customerId: string, at: Date): Promise<CustomerEntitlements | undefined> {
  const { rows } = await sql.query<StateRow>(SELECT_STATE, [customerId, at], { prepare: true });
  const row = rows[0];
  return row === undefined ? undefined : toEntitlements(row, at);
}

/**
 * loadCustomerEntitlements() of many customers in one round trip, by id; customers that do not
 * exist are absent.
 *
 * @example
 * (await loadManyCustomerEntitlements(store, ["cus_1", "cus_2"], new Date())).get("cus_1")?.state.assignedPlan // "pro"
 */
export async function loadManyCustomerEntitlements(sql: Sql, customerIds: readonly string[], at: Date): Promise<Map<string, CustomerEntitlements>> {
  if (customerIds.length === 0) return new Map();
  const { rows } = await sql.query<StateRow>(SELECT_STATES, [arrayLiteral(customerIds), at], { prepare: true });
  return new Map(rows.map((row) => [row.id, toEntitlements(row, at)]));
}

function toEntitlements(row: StateRow, at: Date): CustomerEntitlements {
  const overrides: Record<string, LimitOverride> = {};
  for (const o of row.overrides) overrides[o.feature] = { feature: o.feature, granted: o.granted, limit: o.limit };
  const adjustments: LimitAdjustment[] = row.adjustments.map((a) => ({
    id: a.id,
    feature: a.feature,
    amount: a.amount,
    recurrence: a.recurrence,
    startsAt: new Date(a.starts_at),
    endsAt: a.ends_at === null ? null : new Date(a.ends_at),
    reason: a.reason,
    metadata: a.metadata,
    createdAt: new Date(a.created_at),
  }));
  const customer = toCustomerRecord(row);
  // A trial that ended by `at` has handed over to the plan it converts to (or the default plan).
  const held = planInForce(customer, at);
  return {
    customer,
    state: {
      customerId: customer.id,
      assignedPlan: held.planKey,
      variant: held.planVariant,
      cycle: { periodStart: customer.periodStart, periodEnd: customer.periodEnd },
      overrides,
      adjustments,
    },
  };
}
