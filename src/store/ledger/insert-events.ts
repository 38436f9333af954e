import { BillingError } from "../../core/errors.ts";
import { arrayLiteral } from "../array-literal.ts";
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
  /** A provider id (one whose usage leaves billhub). */
  provider: string;
  role: "primary" | "mirror";
}

/**
 * What became of one row. When any row of a call is `closed`, `conflict` or `unknown_customer`,
 * nothing of the call is left written (the other rows are `skipped`), so the call can be refused
 * as a whole.
 */
export type InsertOutcome =
  | { state: "inserted"; recordedAt: Date }
  | { state: "duplicate"; event: UsageEvent }
  | { state: "conflict"; event: UsageEvent }
  | { state: "closed" }
  /** The transaction id was recorded, in a month since archived: its event is no longer readable. */
  | { state: "archived"; occurredAt: Date }
  /** The row's customer does not exist. */
  | { state: "unknown_customer" }
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
 * The customer lock, the closed-period check, the ledger insert and the outbox rows in one call
 * of record_events() (src/store/migrations/0700_record_events.sql, which says why it is a
 * function). Only the rows that were not inserted come back (parsing a row per inserted event
 * would cost more than inserting it), after one summary row with the transaction's now(): the
 * recorded_at of every row it inserted; or only the customers that do not exist, and then
 * nothing was written.
 */
const RECORD_SQL = `SELECT state, id, recorded_now FROM record_events($1::text[], $2::text[], $3::text[], $4::text[], $5::numeric[],
  $6::timestamptz[], $7::boolean[], $8::text[], $9::text[], $10::jsonb[], $11::text[], $12::text[], $13::text[])`;

// A later statement, so it also sees rows that other transactions committed while the insert
// waited on them. The claimed id says where the event is (one partition, its customer index); no
// event there means the month was archived.
const STORED_SQL = `SELECT t.transaction_id AS claimed_id, t.occurred_at AS claimed_at, ${EVENT_COLUMNS}, (${SAME_CONTENT}) AS same
FROM ${INPUT} JOIN usage_transaction_ids t ON t.transaction_id = i.transaction_id
LEFT JOIN usage_events e ON e.customer_id = t.customer_id AND e.occurred_at = t.occurred_at AND e.transaction_id = t.transaction_id`;

// Takes back what this call inserted, when a conflict found after the insert refuses the call.
// These rows are this transaction's own, uncommitted: nobody else has seen them.
// (Their claimed transaction ids go with them: a trigger on the ledger, 0910_ledger_partitions.sql.)
// Found through the customer index, as the ledger has none on transaction_id.
const UNDO_SQL = `WITH events AS (
  DELETE FROM usage_events e USING unnest($1::text[], $2::text[], $3::timestamptz[]) AS u(transaction_id, customer_id, occurred_at)
  WHERE e.customer_id = u.customer_id AND e.occurred_at = u.occurred_at AND e.transaction_id = u.transaction_id
)
DELETE FROM usage_outbox WHERE transaction_id = ANY($1::text[])`;

/** The rows as the nine array parameters of INPUT (and of record_events after its first). */
function inputParams(rows: readonly LedgerRow[]): string[] {
  return [
    arrayLiteral(rows.map((r) => r.transactionId)),
    arrayLiteral(rows.map((r) => r.customerId)),
    arrayLiteral(rows.map((r) => r.meter)),
    arrayLiteral(rows.map((r) => r.quantity)),
    arrayLiteral(rows.map((r) => r.occurredAt.toISOString())),
    arrayLiteral(rows.map((r) => r.timestampGiven)),
    arrayLiteral(rows.map((r) => r.kind)),
    arrayLiteral(rows.map((r) => r.reason)),
    arrayLiteral(rows.map((r) => r.propertiesJson)),
  ];
}

/**
 * Inserts ledger rows and their outbox rows, set-based: one round trip for a batch of new events,
 * a second one only when some ids were already stored (retries) or were being inserted by
 * another transaction at the same time. First it locks the rows' customers (FOR KEY SHARE, in id
 * order, until commit: closing a period takes FOR UPDATE, so a period cannot close between this
 * call's closed-period check and its commit). Outcomes come back in the order of `rows`; when any
 * is `closed`, `conflict` or `unknown_customer`, nothing of this call remains written.
 */
export async function insertEvents(tx: Sql, rows: readonly LedgerRow[], outbox: readonly OutboxRow[]): Promise<InsertOutcome[]> {
  if (rows.length === 0) return [];
  const customerIds = [...new Set(rows.map((row) => row.customerId))];
  const { rows: results } = await tx.query<{ state: "summary" | "closed" | "not_inserted" | "unknown_customer"; id: string; recorded_now: Date }>(RECORD_SQL, [
    arrayLiteral(customerIds),
    ...inputParams(rows),
    arrayLiteral(outbox.map((o) => o.transactionId)),
    arrayLiteral(outbox.map((o) => o.provider)),
    arrayLiteral(outbox.map((o) => o.role)),
  ]);
  if (results.length > 0 && results[0]!.state === "unknown_customer") {
    const unknown = new Set(results.map((row) => row.id));
    return rows.map((row) => (unknown.has(row.customerId) ? { state: "unknown_customer" } : { state: "skipped" }));
  }
  const recordedAt = results.find((row) => row.state === "summary")!.recorded_now;
  const notInserted = new Map(results.filter((row) => row.state !== "summary").map((row) => [row.id, row.state]));
  const outcomes = new Map<string, InsertOutcome>();
  for (const row of rows) {
    const state = notInserted.get(row.transactionId);
    if (state === undefined) outcomes.set(row.transactionId, { state: "inserted", recordedAt });
    else if (state === "closed") outcomes.set(row.transactionId, { state: "closed" });
  }
  const toCheck = rows.filter((row) => notInserted.get(row.transactionId) === "not_inserted");
  if (toCheck.length > 0) {
    const { rows: stored } = await tx.query<EventRow & { claimed_id: string; claimed_at: Date; same: boolean | null }>(STORED_SQL, inputParams(toCheck));
    for (const row of stored) {
      if (row.transaction_id === null) outcomes.set(row.claimed_id, { state: "archived", occurredAt: row.claimed_at });
      else outcomes.set(row.transaction_id, { state: row.same ? "duplicate" : "conflict", event: rowToEvent(row) });
    }
  }
  const refused = [...outcomes.values()].some((o) => o.state === "closed" || o.state === "conflict" || o.state === "archived");
  if (refused) {
    const inserted = rows.filter((row) => outcomes.get(row.transactionId)?.state === "inserted");
    if (inserted.length > 0) {
      await tx.query(UNDO_SQL, [
        arrayLiteral(inserted.map((row) => row.transactionId)),
        arrayLiteral(inserted.map((row) => row.customerId)),
        arrayLiteral(inserted.map((row) => row.occurredAt.toISOString())),
      ]);
    }
    for (const row of inserted) outcomes.set(row.transactionId, { state: "skipped" });
  }
  return rows.map((row) => {
    const outcome = outcomes.get(row.transactionId) ?? (refused ? { state: "skipped" as const } : undefined);
    if (outcome === undefined) throw new BillingError("INTERNAL", `transaction ${row.transactionId} was neither inserted nor found`);
    return outcome;
  });
}
