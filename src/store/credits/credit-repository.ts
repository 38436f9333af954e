import type { CreditEntry, CreditGrant, CreditKind, CreditSource, Rollover } from "../../core/credits/types.ts";
import { arrayLiteral } from "../array-literal.ts";
import type { Sql } from "../types.ts";

/** A grant to write: everything but the running balance, which starts at the amount. */
export type CreditGrantWrite = Omit<CreditGrant, "remaining" | "settledThrough" | "createdAt">;

/** A balance change: an entry in the ledger and the grant's new running balance. */
export interface CreditMovement {
  readonly grantId: string;
  readonly kind: "draw" | "expire";
  readonly amount: string;
  readonly reference: string;
  readonly at: Date;
}

/** A grant's running balance after its movements. */
export interface CreditBalanceWrite {
  readonly grantId: string;
  readonly remaining: string;
  readonly settledThrough: Date;
}

interface GrantRow {
  [key: string]: unknown;
  customer_id: string;
  id: string;
  kind: CreditKind;
  currency: string | null;
  feature_key: string | null;
  amount: string;
  priority: number;
  effective_at: Date;
  expires_at: Date | null;
  rollover: "none" | "all" | "cap";
  rollover_cap: string | null;
  source: CreditSource;
  metadata: Record<string, unknown>;
  provider_event: string | null;
  created_at: Date;
  remaining: string;
  settled_through: Date;
}

const COLUMNS = `customer_id, id, kind, currency, feature_key, amount::text AS amount, priority, effective_at, expires_at, rollover,
  rollover_cap::text AS rollover_cap, source, metadata, provider_event, created_at, remaining::text AS remaining, settled_through`;

function toRollover(row: GrantRow): Rollover {
  return row.rollover === "cap" ? { policy: "cap", cap: row.rollover_cap! } : { policy: row.rollover };
}

function toGrant(row: GrantRow): CreditGrant {
  return {
    id: row.id,
    customerId: row.customer_id,
    kind: row.kind,
    currency: row.currency,
    feature: row.feature_key,
    amount: row.amount,
    priority: row.priority,
    effectiveAt: row.effective_at,
    expiresAt: row.expires_at,
    rollover: toRollover(row),
    source: row.source,
    metadata: row.metadata,
    providerEvent: row.provider_event,
    createdAt: row.created_at,
    remaining: row.remaining,
    settledThrough: row.settled_through,
  };
}

/**
 * Writes the grant and its "grant" entry unless the customer has a grant with its id (or, for a
 * provider's purchase, one from the same event); returns the stored grant and whether it was new.
 * The caller compares contents to tell a retry from a conflict.
 */
export async function insertGrant(sql: Sql, write: CreditGrantWrite, at: Date): Promise<{ grant: CreditGrant; created: boolean }> {
  const { rows } = await sql.query<GrantRow>(
    `WITH g AS (
       INSERT INTO credit_grants (customer_id, id, kind, currency, feature_key, amount, priority, effective_at, expires_at, rollover, rollover_cap,
                                  source, metadata, provider_event, created_at, remaining, settled_through)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13::jsonb, $14, $15, $6, $8)
       ON CONFLICT DO NOTHING
       RETURNING ${COLUMNS}
     ), e AS (
       INSERT INTO credit_entries (customer_id, grant_id, kind, amount, reference, at)
       SELECT customer_id, id, 'grant', amount::numeric, id, effective_at FROM g
     )
     SELECT * FROM g`,
    [
      write.customerId,
      write.id,
      write.kind,
      write.currency,
      write.feature,
      write.amount,
      write.priority,
      write.effectiveAt,
      write.expiresAt,
      write.rollover.policy,
      write.rollover.policy === "cap" ? write.rollover.cap : null,
      write.source,
      JSON.stringify(write.metadata),
      write.providerEvent,
      at,
    ],
  );
  if (rows[0]) return { grant: toGrant(rows[0]), created: true };
  const existing = write.providerEvent === null ? undefined : await findGrantByProviderEvent(sql, write.providerEvent);
  return { grant: existing ?? (await findGrant(sql, write.customerId, write.id))!, created: false };
}

export async function findGrant(sql: Sql, customerId: string, id: string): Promise<CreditGrant | undefined> {
  const { rows } = await sql.query<GrantRow>(`SELECT ${COLUMNS} FROM credit_grants WHERE customer_id = $1 AND id = $2`, [customerId, id]);
  return rows[0] && toGrant(rows[0]);
}

/** The customer's grant with this id, held (FOR UPDATE) until the transaction ends. */
export async function lockGrant(sql: Sql, customerId: string, id: string): Promise<CreditGrant | undefined> {
  const { rows } = await sql.query<GrantRow>(`SELECT ${COLUMNS} FROM credit_grants WHERE customer_id = $1 AND id = $2 FOR UPDATE`, [customerId, id]);
  return rows[0] && toGrant(rows[0]);
}

export async function findGrantByProviderEvent(sql: Sql, providerEvent: string): Promise<CreditGrant | undefined> {
  const { rows } = await sql.query<GrantRow>(`SELECT ${COLUMNS} FROM credit_grants WHERE provider_event = $1`, [providerEvent]);
  return rows[0] && toGrant(rows[0]);
}

/**
 * The customer's unit grants of a feature with something left, in id order. With `lock`, each row
 * is held (FOR UPDATE) until the transaction ends: what a consume draws from.
 */
export async function liveUnitGrants(sql: Sql, customerId: string, feature: string, options: { lock?: boolean } = {}): Promise<CreditGrant[]> {
  const { rows } = await sql.query<GrantRow>(
    `SELECT ${COLUMNS} FROM credit_grants
     WHERE customer_id = $1 AND kind = 'units' AND feature_key = $2 AND remaining > 0
     ORDER BY id${options.lock ? " FOR UPDATE" : ""}`,
    [customerId, feature],
    { prepare: true },
  );
  return rows.map(toGrant);
}

/**
 * The money grants with something left of the given customers, in (customer, id) order; with
 * `lock`, held until the transaction ends (what an invoice run draws from).
 */
export async function liveMoneyGrants(sql: Sql, customerIds: readonly string[], options: { lock?: boolean } = {}): Promise<CreditGrant[]> {
  if (customerIds.length === 0) return [];
  const { rows } = await sql.query<GrantRow>(
    `SELECT ${COLUMNS} FROM credit_grants
     WHERE customer_id = ANY($1::text[]) AND kind = 'money' AND remaining > 0
     ORDER BY customer_id, id${options.lock ? " FOR UPDATE" : ""}`,
    [arrayLiteral(customerIds)],
  );
  return rows.map(toGrant);
}

/** The customer's unit grants with something left, of every feature, held until the transaction ends, in id order. */
export async function lockUnitGrants(sql: Sql, customerId: string): Promise<CreditGrant[]> {
  const { rows } = await sql.query<GrantRow>(`SELECT ${COLUMNS} FROM credit_grants WHERE customer_id = $1 AND kind = 'units' AND remaining > 0 ORDER BY id FOR UPDATE`, [customerId]);
  return rows.map(toGrant);
}

/** Every grant of the customer, spent ones too, oldest first. */
export async function listGrants(sql: Sql, customerId: string): Promise<CreditGrant[]> {
  const { rows } = await sql.query<GrantRow>(`SELECT ${COLUMNS} FROM credit_grants WHERE customer_id = $1 ORDER BY effective_at, id`, [customerId]);
  return rows.map(toGrant);
}

/**
 * Appends the movements to the ledger and writes the grants' new running balances, in one
 * statement. A movement whose (grant, kind, reference) is already in the ledger is an error: the
 * caller settles and draws under the grants' row locks, so that never happens silently.
 */
export async function writeMovements(sql: Sql, customerId: string, movements: readonly CreditMovement[], balances: readonly CreditBalanceWrite[]): Promise<void> {
  if (movements.length === 0 && balances.length === 0) return;
  await sql.query(
    `WITH m AS (
       INSERT INTO credit_entries (customer_id, grant_id, kind, amount, reference, at)
       SELECT $1, grant_id, kind, amount, reference, at
       FROM unnest($2::text[], $3::text[], $4::numeric[], $5::text[], $6::timestamptz[]) AS m(grant_id, kind, amount, reference, at)
     )
     UPDATE credit_grants g SET remaining = b.remaining, settled_through = b.settled_through
     FROM unnest($7::text[], $8::numeric[], $9::timestamptz[]) AS b(grant_id, remaining, settled_through)
     WHERE g.customer_id = $1 AND g.id = b.grant_id`,
    [
      customerId,
      arrayLiteral(movements.map((m) => m.grantId)),
      arrayLiteral(movements.map((m) => m.kind)),
      arrayLiteral(movements.map((m) => m.amount)),
      arrayLiteral(movements.map((m) => m.reference)),
      arrayLiteral(movements.map((m) => m.at.toISOString())),
      arrayLiteral(balances.map((b) => b.grantId)),
      arrayLiteral(balances.map((b) => b.remaining)),
      arrayLiteral(balances.map((b) => b.settledThrough.toISOString())),
    ],
    { prepare: true },
  );
}

interface EntryRow {
  [key: string]: unknown;
  seq: number;
  grant_id: string;
  kind: CreditEntry["kind"];
  amount: string;
  reference: string;
  at: Date;
}

/** The customer's ledger entries in the order they were written, `limit` at a time after `afterSeq`. */
export async function listEntries(sql: Sql, customerId: string, options: { grantId?: string; afterSeq?: number; limit: number }): Promise<Array<CreditEntry & { seq: number }>> {
  const { rows } = await sql.query<EntryRow>(
    `SELECT seq, grant_id, kind, amount::text AS amount, reference, at FROM credit_entries
     WHERE customer_id = $1 AND ($2::text IS NULL OR grant_id = $2) AND seq > $3
     ORDER BY seq LIMIT $4`,
    [customerId, options.grantId ?? null, options.afterSeq ?? 0, options.limit],
  );
  return rows.map((row) => ({ seq: Number(row.seq), grantId: row.grant_id, kind: row.kind, amount: row.amount, reference: row.reference, at: row.at }));
}

/** The grant's ledger entry of this kind and reference (one at most: the ledger's unique key), if written. */
export async function findEntry(sql: Sql, customerId: string, grantId: string, kind: CreditEntry["kind"], reference: string): Promise<CreditEntry | undefined> {
  const { rows } = await sql.query<EntryRow>(
    `SELECT seq, grant_id, kind, amount::text AS amount, reference, at FROM credit_entries
     WHERE customer_id = $1 AND grant_id = $2 AND kind = $3 AND reference = $4`,
    [customerId, grantId, kind, reference],
  );
  const row = rows[0];
  return row && { grantId: row.grant_id, kind: row.kind, amount: row.amount, reference: row.reference, at: row.at };
}

/** Granted, drawn and expired totals of the customer's ledger, per grant. */
export async function entryTotals(sql: Sql, customerId: string): Promise<Map<string, { granted: string; drawn: string; expired: string }>> {
  const { rows } = await sql.query<{ grant_id: string; granted: string; drawn: string; expired: string }>(
    `SELECT grant_id,
            COALESCE(sum(amount) FILTER (WHERE kind = 'grant'), 0)::text AS granted,
            COALESCE(sum(amount) FILTER (WHERE kind = 'draw'), 0)::text AS drawn,
            COALESCE(sum(amount) FILTER (WHERE kind = 'expire'), 0)::text AS expired
     FROM credit_entries WHERE customer_id = $1 GROUP BY grant_id`,
    [customerId],
  );
  return new Map(rows.map((row) => [row.grant_id, { granted: row.granted, drawn: row.drawn, expired: row.expired }]));
}
