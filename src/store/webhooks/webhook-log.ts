import type { Sql } from "../types.ts";

/** What became of a processed webhook event. A duplicate delivery leaves its row as it was. */
export const WEBHOOK_OUTCOMES = ["applied", "stale", "ignored", "failed", "unknown_customer", "unmapped_plan", "unhandled"] as const;
export type WebhookOutcome = (typeof WEBHOOK_OUTCOMES)[number];

/**
 * Outcomes a redelivery of the same event processes again: a failure (the provider retries
 * because billhub answered 5xx), and outcomes an operator can fix and then resend the event for
 * (link the customer's provider id, map the price to a plan, configure an invoice handler).
 */
export const REPROCESSED_OUTCOMES: ReadonlySet<WebhookOutcome> = new Set(["failed", "unknown_customer", "unmapped_plan", "unhandled"]);

/** A processed event, as written at the end of its transaction. */
export interface WebhookEventWrite {
  provider: string;
  eventId: string;
  eventType: string;
  objectType: string | null;
  objectId: string | null;
  created: Date;
  receivedAt: Date;
  outcome: WebhookOutcome;
  error: string | null;
  payload: unknown;
}

/** A logged event: what was written, and how many deliveries of it arrived. */
export interface WebhookEventRecord extends WebhookEventWrite {
  attempts: number;
}

interface EventRow {
  [key: string]: unknown;
  provider: string;
  event_id: string;
  event_type: string;
  object_type: string | null;
  object_id: string | null;
  created: Date;
  received_at: Date;
  outcome: WebhookOutcome;
  error: string | null;
  attempts: number;
  payload: unknown;
}

const COLUMNS = "provider, event_id, event_type, object_type, object_id, created, received_at, outcome, error, attempts, payload";

function toRecord(row: EventRow): WebhookEventRecord {
  return {
    provider: row.provider,
    eventId: row.event_id,
    eventType: row.event_type,
    objectType: row.object_type,
    objectId: row.object_id,
    created: row.created,
    receivedAt: row.received_at,
    outcome: row.outcome,
    error: row.error,
    attempts: row.attempts,
    payload: row.payload,
  };
}

/** The logged event, or undefined when billhub has not processed it yet. */
export async function findWebhookEvent(sql: Sql, provider: string, eventId: string): Promise<WebhookEventRecord | undefined> {
  const { rows } = await sql.query<EventRow>(`SELECT ${COLUMNS} FROM webhook_events WHERE provider = $1 AND event_id = $2`, [provider, eventId]);
  return rows[0] && toRecord(rows[0]);
}

/**
 * Logs the event with `outcome`, unless it is already logged with an outcome that a redelivery
 * does not reprocess: then it returns false, and this delivery is a duplicate. Call it first in
 * the transaction that applies the event's effect (and `finishWebhookEvent` last): on PostgreSQL
 * a concurrent delivery of the same event waits here until the first one commits or rolls back.
 */
export async function claimWebhookEvent(sql: Sql, event: WebhookEventWrite): Promise<boolean> {
  const { rows } = await sql.query(
    `INSERT INTO webhook_events (${COLUMNS})
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 1, $10::jsonb)
     ON CONFLICT (provider, event_id) DO UPDATE
       SET outcome = EXCLUDED.outcome, error = EXCLUDED.error, received_at = EXCLUDED.received_at,
           payload = EXCLUDED.payload, attempts = webhook_events.attempts + 1
       WHERE webhook_events.outcome = ANY($11::text[])
     RETURNING event_id`,
    [event.provider, event.eventId, event.eventType, event.objectType, event.objectId, event.created, event.receivedAt, event.outcome, event.error, JSON.stringify(event.payload), [...REPROCESSED_OUTCOMES]],
  );
  return rows.length > 0;
}

/** Sets the outcome of an event claimed in the same transaction. */
export async function finishWebhookEvent(sql: Sql, provider: string, eventId: string, outcome: WebhookOutcome, error: string | null): Promise<void> {
  await sql.query("UPDATE webhook_events SET outcome = $3, error = $4 WHERE provider = $1 AND event_id = $2", [provider, eventId, outcome, error]);
}

/** Lists logged events, newest first. */
export async function listWebhookEvents(sql: Sql, filter: { provider?: string; outcome?: WebhookOutcome; limit?: number } = {}): Promise<WebhookEventRecord[]> {
  const { rows } = await sql.query<EventRow>(
    `SELECT ${COLUMNS} FROM webhook_events
     WHERE ($1::text IS NULL OR provider = $1) AND ($2::text IS NULL OR outcome = $2)
     ORDER BY received_at DESC, event_id DESC LIMIT $3`,
    [filter.provider ?? null, filter.outcome ?? null, filter.limit ?? 100],
  );
  return rows.map(toRecord);
}
