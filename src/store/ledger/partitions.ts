import { BillingError } from "../../core/errors.ts";
import type { Sql, Store } from "../types.ts";

/**
 * The ledger's month partitions (src/store/migrations/0910_ledger_partitions.sql): created ahead,
 * listed, and archived once every event of a month is invoiced and forwarded.
 */

/** Months created ahead of the current one, at every start of the hub and every invoice run. */
export const MONTHS_AHEAD = 3;

/**
 * Creates the missing month partitions: the previous month, this month and the next
 * `MONTHS_AHEAD`, and every recent
 * month with events waiting in the default partition (which move into it). Returns how many it
 * created.
 */
export async function ensureLedgerPartitions(sql: Sql, monthsAhead = MONTHS_AHEAD): Promise<number> {
  const { rows } = await sql.query<{ created: number }>("SELECT usage_events_ensure_partitions($1) AS created", [monthsAhead]);
  return rows[0]!.created;
}

export interface LedgerMonth {
  /** "YYYY-MM" (UTC). */
  month: string;
  /** The partition's table, or where its events went when it was archived (null: dropped). */
  table: string | null;
  archived: boolean;
  /** Events archived with the month; null for a live month (not counted: that reads the whole month). */
  events: number | null;
  bytes: number | null;
}

const PARTITION_NAME = /^usage_events_(\d{4})_(\d{2})$/;

/** The ledger's months, oldest first: live partitions and archived months. */
export async function listLedgerMonths(sql: Sql): Promise<LedgerMonth[]> {
  const live = await sql.query<{ table_name: string; bytes: string }>(
    `SELECT c.relname::text AS table_name, pg_total_relation_size(c.oid)::text AS bytes
     FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = 'usage_events'::regclass`,
  );
  const archived = await sql.query<{ month: string; archived_as: string | null; events: string }>(
    "SELECT to_char(month AT TIME ZONE 'UTC', 'YYYY-MM') AS month, archived_as, events::text AS events FROM usage_archived_months",
  );
  const months: LedgerMonth[] = [];
  for (const row of live.rows) {
    const match = PARTITION_NAME.exec(row.table_name);
    if (match !== null) months.push({ month: `${match[1]}-${match[2]}`, table: row.table_name, archived: false, events: null, bytes: Number(row.bytes) });
  }
  for (const row of archived.rows) months.push({ month: row.month, table: row.archived_as, archived: true, events: Number(row.events), bytes: null });
  return months.sort((x, y) => (x.month < y.month ? -1 : x.month > y.month ? 1 : 0));
}

export interface ArchiveOutcome {
  month: string;
  /** Archived, or why not. */
  archived: boolean;
  events: number;
  /** Where the events are now: a standalone table, or null when dropped (or not archived). */
  table: string | null;
  reason?: string;
}

const MONTH = /^(\d{4})-(0[1-9]|1[0-2])$/;

/** "YYYY-MM" as the first instant of that UTC month; a clear error otherwise. */
export function parseMonth(value: string, field: string): Date {
  const match = MONTH.exec(value);
  if (match === null) throw new BillingError("VALIDATION_FAILED", `${field} must be a month as YYYY-MM, got ${JSON.stringify(value)}`, { field });
  return new Date(Date.UTC(Number(match[1]), Number(match[2]) - 1, 1));
}

/** Why a month's events may not leave the ledger yet, or null when they may. */
async function archiveBlocker(tx: Sql, table: string, from: Date, to: Date): Promise<string | null> {
  const open = await tx.query<{ events: string; customers: string }>(
    `SELECT count(*)::text AS events, count(DISTINCT e.customer_id)::text AS customers FROM "${table}" e
     WHERE NOT EXISTS (SELECT 1 FROM closed_periods c WHERE c.customer_id = e.customer_id AND c.period_from <= e.occurred_at AND e.occurred_at < c.period_to)`,
  );
  const { events, customers } = open.rows[0]!;
  if (events !== "0") return `${events} event${events === "1" ? " is" : "s are"} of ${customers} customer${customers === "1" ? "" : "s"} outside any invoiced (closed) period`;
  const outbox = await tx.query<{ status: string; n: string }>(
    `SELECT o.status, count(*)::text AS n FROM usage_transaction_ids t JOIN usage_outbox o ON o.transaction_id = t.transaction_id
     WHERE t.occurred_at >= $1 AND t.occurred_at < $2 AND o.status <> 'delivered' GROUP BY o.status ORDER BY o.status`,
    [from, to],
  );
  if (outbox.rows.length > 0) {
    const counts = outbox.rows.map((row) => `${row.n} ${row.status}`).join(", ");
    return `its events still have outbox rows not delivered to their provider (${counts}): deliver or replay them first`;
  }
  return null;
}

/**
 * Takes every month before `before` out of the ledger when all of its events lie in invoiced
 * (closed) periods and none waits to be forwarded: the month's partition is detached and kept as
 * a table of its own (`usage_events_archived_YYYY_MM`, to dump and drop) or dropped with `drop`.
 * The hourly rollups and the claimed transaction ids of those events stay, so totals over whole
 * hours still answer and a retry of an archived event is refused rather than recorded again.
 * Months that do not qualify stay, with the reason. One transaction per month.
 */
export async function archiveLedgerMonths(store: Store, before: Date, options: { drop?: boolean } = {}): Promise<ArchiveOutcome[]> {
  // Events of the months concerned that wait in the default partition move into their month first.
  await ensureLedgerPartitions(store);
  const months = (await listLedgerMonths(store)).filter((m) => !m.archived && Date.parse(`${m.month}-01T00:00:00Z`) < before.getTime());
  const outcomes: ArchiveOutcome[] = [];
  for (const { month, table } of months) {
    const from = new Date(`${month}-01T00:00:00Z`);
    const to = new Date(Date.UTC(from.getUTCFullYear(), from.getUTCMonth() + 1, 1));
    const partition = table!;
    outcomes.push(
      await store.transaction(async (tx) => {
        // Nothing is recorded into the month while it is checked and detached.
        await tx.query(`LOCK TABLE "${partition}" IN SHARE MODE`);
        const events = Number((await tx.query<{ n: string }>(`SELECT count(*)::text AS n FROM "${partition}"`)).rows[0]!.n);
        const reason = await archiveBlocker(tx, partition, from, to);
        if (reason !== null) return { month, archived: false, events, table: partition, reason };
        await tx.query(`ALTER TABLE usage_events DETACH PARTITION "${partition}"`);
        const archivedAs = options.drop ? null : `usage_events_archived_${month.replace("-", "_")}`;
        if (archivedAs === null) await tx.query(`DROP TABLE "${partition}"`);
        else await tx.query(`ALTER TABLE "${partition}" RENAME TO "${archivedAs}"`);
        await tx.query("INSERT INTO usage_archived_months (month, events, archived_as) VALUES ($1, $2, $3)", [from, events, archivedAs]);
        return { month, archived: true, events, table: archivedAs };
      }),
    );
  }
  return outcomes;
}
