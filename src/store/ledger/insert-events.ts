import { BillingError } from "../../core/errors.ts";
import type { Sql } from "../types.ts";
import { EVENT_COLUMNS, rowToEvent, type EventRow, type UsageEvent, type UsageKind } from "./event-row.ts";

/** A ledger row to insert; transaction ids are unique within one call. */
export interface LedgerRow {
  transactionId: string;
  customerId: string;
  meter: string;
  quantity: string;
  occurredAt: Date;
  timestampGiven: boolean;
  kind: UsageKind;
  reason: string | null;
  propertiesJson: string;
}

/** One outbox row: the event goes to `provider` in this role. */
export interface OutboxRow {
  transactionId: string;
  provider: "stripe" | "flowglad";
  role: "primary" | "mirror";
}

/**
 * What became of one row. `closed` and `conflict` from the first statement mean nothing at all
 * was inserted; a `conflict` found afterwards (against a row another transaction committed while
 * this one waited) leaves this call's inserts in the transaction, which the caller rolls back.
 */
export type InsertOutcome =
  | { state: "inserted"; recordedAt: Date }
  | { state: "duplicate"; event: UsageEvent }
  | { state: "conflict"; event: UsageEvent }
  | { state: "closed" }
  /** Not written because another row of the call was refused. */
  | { state: "skipped" };

/**
 * The same-content rule in SQL (`i` = the new row, `e` = the stored one); sameContent() in
 * src/hub/ledger/input.ts is the same rule for two items of one batch. numeric and jsonb compare
 * as values ("1.50" = "1.5", key order ignored); the timestamp only when both calls gave one.
 */
const SAME_CONTENT = `e.customer_id = i.customer_id AND e.meter = i.meter AND e.quantity = i.quantity AND e.kind = i.kind
  AND e.reason IS NOT DISTINCT FROM i.reason AND e.properties = i.properties
  AND (NOT e.timestamp_given OR NOT i.timestamp_given OR e.occurred_at = i.occurred_at)`;

const INPUT = `unnest($1::text[], $2::text[], $3::text[], $4::numeric[], $5::timestamptz[], $6::boolean[], $7::text[], $8::text[], $9::jsonb[])
  AS i(transaction_id, customer_id, meter, quantity, occurred_at, timestamp_given, kind, reason, properties)`;

/**
 * One statement for the whole batch: refuse it if any new row falls in a closed period (unless a
 * correction) or contradicts a stored row; otherwise insert the new rows in transaction-id order
 * (so concurrent overlapping batches wait on each other instead of deadlocking) and, from the
 * insert's RETURNING, their outbox rows: a duplicate writes no second outbox row.
 */
const INSERT_SQL = `
WITH input AS (SELECT * FROM ${INPUT}),
existing AS (SELECT * FROM usage_events WHERE transaction_id = ANY($1::text[])),
refused AS (
  SELECT i.transaction_id, CASE WHEN e.transaction_id IS NULL THEN 'closed' ELSE 'conflict' END AS why
  FROM input i LEFT JOIN existing e ON e.transaction_id = i.transaction_id
  WHERE (e.transaction_id IS NOT NULL AND NOT (${SAME_CONTENT}))
     OR (e.transaction_id IS NULL AND i.kind <> 'correction' AND EXISTS (
           SELECT 1 FROM closed_periods c
           WHERE c.customer_id = i.customer_id AND c.period_from <= i.occurred_at AND i.occurred_at < c.period_to))
),
inserted AS (
  INSERT INTO usage_events (transaction_id, customer_id, meter, quantity, occurred_at, timestamp_given, kind, reason, properties)
  SELECT i.transaction_id, i.customer_id, i.meter, i.quantity, i.occurred_at, i.timestamp_given, i.kind, i.reason, i.properties
  FROM input i
  WHERE NOT EXISTS (SELECT 1 FROM refused) AND NOT EXISTS (SELECT 1 FROM existing e WHERE e.transaction_id = i.transaction_id)
  ORDER BY i.transaction_id
  ON CONFLICT (transaction_id) DO NOTHING
  RETURNING transaction_id, customer_id, recorded_at
),
queued AS (
  INSERT INTO usage_outbox (transaction_id, customer_id, provider, role)
  SELECT o.transaction_id, ins.customer_id, o.provider, o.role
  FROM unnest($10::text[], $11::text[], $12::text[]) AS o(transaction_id, provider, role)
  JOIN inserted ins ON ins.transaction_id = o.transaction_id
)
SELECT i.transaction_id AS input_id, ins.recorded_at AS inserted_at, r.why, ${EVENT_COLUMNS}
FROM input i
LEFT JOIN inserted ins ON ins.transaction_id = i.transaction_id
LEFT JOIN refused r ON r.transaction_id = i.transaction_id
LEFT JOIN existing e ON e.transaction_id = i.transaction_id`;

// A later statement sees rows that transactions committed while the insert waited on them.
const RECHECK_SQL = `SELECT ${EVENT_COLUMNS}, (${SAME_CONTENT}) AS same
FROM ${INPUT} JOIN usage_events e ON e.transaction_id = i.transaction_id`;

type ResultRow = EventRow & { input_id: string; inserted_at: Date | null; why: "closed" | "conflict" | null };

function inputParams(rows: readonly LedgerRow[]): unknown[] {
  return [
    rows.map((r) => r.transactionId),
    rows.map((r) => r.customerId),
    rows.map((r) => r.meter),
    rows.map((r) => r.quantity),
    rows.map((r) => r.occurredAt.toISOString()),
    rows.map((r) => r.timestampGiven),
    rows.map((r) => r.kind),
    rows.map((r) => r.reason),
    rows.map((r) => r.propertiesJson),
  ];
}

/**
 * Locks the customers a call records for (FOR KEY SHARE, in id order) and returns the ids that
 * exist. Recording holds this lock until commit and closing a period takes FOR UPDATE, so a
 * period cannot close between a record's closed-period check and its commit.
 */
export async function lockCustomers(tx: Sql, customerIds: readonly string[]): Promise<Set<string>> {
  const { rows } = await tx.query<{ id: string }>("SELECT id FROM customers WHERE id = ANY($1::text[]) ORDER BY id FOR KEY SHARE", [[...new Set(customerIds)]]);
  return new Set(rows.map((row) => row.id));
}

/**
 * Inserts ledger rows and their outbox rows, set-based: one statement for the batch, plus one
 * more only when another transaction was inserting the same ids at the same time.
 * Outcomes come back in the order of `rows`.
 */
export async function insertEvents(tx: Sql, rows: readonly LedgerRow[], outbox: readonly OutboxRow[]): Promise<InsertOutcome[]> {
  if (rows.length === 0) return [];
  const { rows: results } = await tx.query<ResultRow>(INSERT_SQL, [
    ...inputParams(rows),
    outbox.map((o) => o.transactionId),
    outbox.map((o) => o.provider),
    outbox.map((o) => o.role),
  ]);
  const byId = new Map(results.map((row) => [row.input_id, row]));
  const refused = results.some((row) => row.why !== null);
  const outcomes = new Map<string, InsertOutcome>();
  const unresolved: LedgerRow[] = [];
  for (const row of rows) {
    const result = byId.get(row.transactionId)!;
    if (result.why === "closed") outcomes.set(row.transactionId, { state: "closed" });
    else if (result.why === "conflict") outcomes.set(row.transactionId, { state: "conflict", event: rowToEvent(result) });
    else if (result.inserted_at !== null) outcomes.set(row.transactionId, { state: "inserted", recordedAt: result.inserted_at });
    else if (result.transaction_id !== null) outcomes.set(row.transactionId, { state: "duplicate", event: rowToEvent(result) });
    else if (refused) outcomes.set(row.transactionId, { state: "skipped" });
    else unresolved.push(row);
  }
  if (unresolved.length > 0) {
    const { rows: stored } = await tx.query<EventRow & { same: boolean }>(RECHECK_SQL, inputParams(unresolved));
    for (const row of stored) {
      outcomes.set(row.transaction_id, { state: row.same ? "duplicate" : "conflict", event: rowToEvent(row) });
    }
  }
  return rows.map((row) => {
    const outcome = outcomes.get(row.transactionId);
    if (outcome === undefined) throw new BillingError("INTERNAL", `transaction ${row.transactionId} was neither inserted nor found`);
    return outcome;
  });
}
