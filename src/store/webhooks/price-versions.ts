import type { ResolvedPrice } from "../../core/pricing/resolved-price.ts";
import type { Sql } from "../types.ts";
import { historyFromChanges, type HistorySpan } from "./price-history.ts";

/** One state of a synced price, as it is written. */
export interface PriceState {
  lookupKey: string | null;
  productId: string | null;
  active: boolean;
  currency: string;
  /** The provider's price as billhub reads it (plain JSON). */
  price: unknown;
  /** The price in pricing's terms, or null when it cannot price usage (then `resolveError` says why). */
  resolved: ResolvedPrice | null;
  resolveError: string | null;
  stateHash: string;
}

/** One version of a synced price: the state it had during [validFrom, validTo). */
export interface PriceVersion extends PriceState {
  provider: string;
  priceId: string;
  validFrom: Date;
  /** Exclusive; null while this is the price's current state. */
  validTo: Date | null;
  source: string;
}

/** The price a lookup key points at in one instant. */
export interface PriceInEffect {
  provider: string;
  lookupKey: string;
  priceId: string;
  resolved: ResolvedPrice | null;
  resolveError: string | null;
}

const VERSION_COLUMNS = "provider, price_id, lookup_key, product_id, active, currency, price, resolved, resolve_error, state_hash, valid_from, valid_to, source";

interface VersionRow {
  [key: string]: unknown;
  provider: string;
  price_id: string;
  lookup_key: string | null;
  product_id: string | null;
  active: boolean;
  currency: string;
  price: unknown;
  resolved: ResolvedPrice | null;
  resolve_error: string | null;
  state_hash: string;
  valid_from: Date;
  valid_to: Date | null;
  source: string;
}

/**
 * Makes `state` the price's state from `at` on (`null`: the price was deleted then), replacing a
 * different change known for the same instant (a tie the caller settled by re-reading the price),
 * and derives the price's history again. A state equal to the one in effect continues its version.
 * Returns whether the history changed.
 */
export async function writePriceVersion(sql: Sql, key: PriceKey, state: PriceState | null, at: Date): Promise<boolean> {
  await sql.query(
    `INSERT INTO provider_price_changes (provider, price_id, changed_at, state_hash, source) VALUES ($1, $2, $3, $4, $5)
     ON CONFLICT (provider, price_id, changed_at) DO UPDATE SET state_hash = EXCLUDED.state_hash, source = EXCLUDED.source
       WHERE provider_price_changes.state_hash IS DISTINCT FROM EXCLUDED.state_hash`,
    [key.provider, key.priceId, at, state?.stateHash ?? null, key.source],
  );
  return rederiveHistory(sql, key, state);
}

/** What entering a late change did: `tie` names the other change known for that instant, which was kept. */
export type LateWrite = { entered: true } | { entered: false; tie: string };

/**
 * Enters a change older than the price's current version in its place: the version it falls in
 * ends at `at`, and `state` holds from there until the next known change, so the history is what
 * it would be had the changes arrived in order. A different change already known for the same
 * instant is kept: once the price has moved on, no re-read can say which of the two came later.
 */
export async function writeLatePriceVersion(sql: Sql, key: PriceKey, state: PriceState | null, at: Date): Promise<LateWrite> {
  const hash = state?.stateHash ?? null;
  const { rows } = await sql.query<{ state_hash: string | null; source: string }>(
    `WITH inserted AS (
       INSERT INTO provider_price_changes (provider, price_id, changed_at, state_hash, source) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (provider, price_id, changed_at) DO NOTHING
       RETURNING state_hash, source
     )
     SELECT state_hash, source FROM inserted
     UNION ALL
     SELECT state_hash, source FROM provider_price_changes WHERE provider = $1 AND price_id = $2 AND changed_at = $3 AND NOT EXISTS (SELECT 1 FROM inserted)`,
    [key.provider, key.priceId, at, hash, key.source],
  );
  const known = rows[0];
  if (known !== undefined && known.state_hash !== hash) return { entered: false, tie: known.source };
  await rederiveHistory(sql, key, state);
  return { entered: true };
}

interface PriceKey {
  provider: string;
  priceId: string;
  /** The event or sync run that told of the change. */
  source: string;
}

/**
 * Rewrites the price's versions as `historyFromChanges` derives them from its changes, touching
 * only rows that differ. States come from the versions already stored (every known state is in
 * one) and from `state`, the one being written.
 */
async function rederiveHistory(sql: Sql, key: PriceKey, state: PriceState | null): Promise<boolean> {
  const changes = await sql.query<{ changed_at: Date; state_hash: string | null; source: string }>(
    "SELECT changed_at, state_hash, source FROM provider_price_changes WHERE provider = $1 AND price_id = $2",
    [key.provider, key.priceId],
  );
  const stored = await sql.query<VersionRow & { id: string }>(
    `SELECT id::text AS id, ${VERSION_COLUMNS} FROM provider_price_versions WHERE provider = $1 AND price_id = $2 FOR UPDATE`,
    [key.provider, key.priceId],
  );
  const states = new Map<string, PriceState>(stored.rows.map((row) => [row.state_hash, stateOf(row)]));
  if (state !== null) states.set(state.stateHash, state);
  const wanted = historyFromChanges(changes.rows.map((row) => ({ at: row.changed_at, stateHash: row.state_hash, source: row.source })));

  const kept = new Map<string, HistorySpan>();
  const added: HistorySpan[] = [];
  for (const span of wanted) {
    const row = stored.rows.find((r) => r.valid_from.getTime() === span.from.getTime() && r.state_hash === span.stateHash && r.source === span.source);
    if (row === undefined) added.push(span);
    else kept.set(row.id, span);
  }
  const removed = stored.rows.filter((row) => !kept.has(row.id)).map((row) => row.id);
  const moved = stored.rows.flatMap((row) => {
    const to = kept.get(row.id)?.to;
    return to === undefined || row.valid_to?.getTime() === to?.getTime() ? [] : [{ id: row.id, to }];
  });
  if (removed.length > 0) await sql.query("DELETE FROM provider_price_versions WHERE id = ANY($1::bigint[])", [removed]);
  // Closing versions before opening one keeps at most one current version per price at every step.
  for (const { id, to } of [...moved.filter((m) => m.to !== null), ...moved.filter((m) => m.to === null)]) {
    await sql.query("UPDATE provider_price_versions SET valid_to = $2 WHERE id = $1", [id, to]);
  }
  for (const span of added) {
    const spanState = states.get(span.stateHash);
    if (spanState === undefined) throw new Error(`price ${key.provider}/${key.priceId}: no stored state has hash ${span.stateHash}`);
    await insertVersion(sql, key, spanState, span);
  }
  return removed.length + moved.length + added.length > 0;
}

async function insertVersion(sql: Sql, key: PriceKey, state: PriceState, span: HistorySpan): Promise<void> {
  await sql.query(
    `INSERT INTO provider_price_versions (provider, price_id, lookup_key, product_id, active, currency, price, resolved, resolve_error, state_hash, valid_from, valid_to, source)
     VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb, $8::jsonb, $9, $10, $11, $12, $13)`,
    [
      key.provider,
      key.priceId,
      state.lookupKey,
      state.productId,
      state.active,
      state.currency,
      JSON.stringify(state.price),
      state.resolved === null ? null : JSON.stringify(state.resolved),
      state.resolveError,
      state.stateHash,
      span.from,
      span.to,
      span.source,
    ],
  );
}

function stateOf(row: VersionRow): PriceState {
  return {
    lookupKey: row.lookup_key,
    productId: row.product_id,
    active: row.active,
    currency: row.currency,
    price: row.price,
    resolved: row.resolved,
    resolveError: row.resolve_error,
    stateHash: row.state_hash,
  };
}

/** Ids of a provider's prices that have a current version (Flowglad sync ends those it no longer sees). */
export async function currentPriceIds(sql: Sql, provider: string): Promise<Map<string, string>> {
  const { rows } = await sql.query<{ price_id: string; state_hash: string }>(
    "SELECT price_id, state_hash FROM provider_price_versions WHERE provider = $1 AND valid_to IS NULL",
    [provider],
  );
  return new Map(rows.map((row) => [row.price_id, row.state_hash]));
}

/**
 * Every lookup key's price in effect at `at`. Should two prices hold one key at once (a
 * lookup-key transfer whose second event has not arrived yet), the one that took it last wins,
 * as it does at the provider.
 */
export async function pricesInEffectAt(sql: Sql, at: Date): Promise<PriceInEffect[]> {
  const { rows } = await sql.query<{ provider: string; lookup_key: string; price_id: string; resolved: ResolvedPrice | null; resolve_error: string | null }>(
    `SELECT DISTINCT ON (provider, lookup_key) provider, lookup_key, price_id, resolved, resolve_error
     FROM provider_price_versions
     WHERE lookup_key IS NOT NULL AND valid_from <= $1 AND (valid_to IS NULL OR valid_to > $1)
     ORDER BY provider, lookup_key, valid_from DESC, id DESC`,
    [at],
  );
  return rows.map((row) => ({ provider: row.provider, lookupKey: row.lookup_key, priceId: row.price_id, resolved: row.resolved, resolveError: row.resolve_error }));
}

/** A price's versions (or all versions that ever held a lookup key), oldest first. */
export async function listPriceVersions(sql: Sql, filter: { provider?: string; priceId?: string; lookupKey?: string }): Promise<PriceVersion[]> {
  const { rows } = await sql.query<VersionRow>(
    `SELECT ${VERSION_COLUMNS}
     FROM provider_price_versions
     WHERE ($1::text IS NULL OR provider = $1) AND ($2::text IS NULL OR price_id = $2) AND ($3::text IS NULL OR lookup_key = $3)
     ORDER BY valid_from, id`,
    [filter.provider ?? null, filter.priceId ?? null, filter.lookupKey ?? null],
  );
  return rows.map((row) => ({
    provider: row.provider,
    priceId: row.price_id,
    ...stateOf(row),
    validFrom: row.valid_from,
    validTo: row.valid_to,
    source: row.source,
  }));
}
