import type { ResolvedPrice } from "../../core/pricing/resolved-price.ts";
import type { Sql } from "../types.ts";

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
 * Makes `state` the price's state from `at` on: the current version is closed at `at` and the new
 * one opened there. `null` ends the current version (the price was deleted). A state equal to the
 * current one (same hash) writes nothing. A current version that began at `at` or later never was
 * in effect on its own and is replaced rather than closed. Returns whether anything was written.
 */
export async function writePriceVersion(sql: Sql, key: { provider: string; priceId: string; source: string }, state: PriceState | null, at: Date): Promise<boolean> {
  const { rows } = await sql.query<{ id: number; state_hash: string; valid_from: Date }>(
    "SELECT id, state_hash, valid_from FROM provider_price_versions WHERE provider = $1 AND price_id = $2 AND valid_to IS NULL FOR UPDATE",
    [key.provider, key.priceId],
  );
  const current = rows[0];
  if (current === undefined && state === null) return false;
  if (current !== undefined && state !== null && current.state_hash === state.stateHash) return false;
  let from = at;
  if (current !== undefined) {
    if (current.valid_from < at) {
      await sql.query("UPDATE provider_price_versions SET valid_to = $2 WHERE id = $1", [current.id, at]);
    } else {
      await sql.query("DELETE FROM provider_price_versions WHERE id = $1", [current.id]);
      from = current.valid_from;
    }
  }
  if (state !== null) {
    await sql.query(
      `INSERT INTO provider_price_versions (provider, price_id, lookup_key, product_id, active, currency, price, resolved, resolve_error, state_hash, valid_from, source)
       VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb, $8::jsonb, $9, $10, $11, $12)`,
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
        from,
        key.source,
      ],
    );
  }
  return true;
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
    `SELECT provider, price_id, lookup_key, product_id, active, currency, price, resolved, resolve_error, state_hash, valid_from, valid_to, source
     FROM provider_price_versions
     WHERE ($1::text IS NULL OR provider = $1) AND ($2::text IS NULL OR price_id = $2) AND ($3::text IS NULL OR lookup_key = $3)
     ORDER BY valid_from, id`,
    [filter.provider ?? null, filter.priceId ?? null, filter.lookupKey ?? null],
  );
  return rows.map((row) => ({
    provider: row.provider,
    priceId: row.price_id,
    lookupKey: row.lookup_key,
    productId: row.product_id,
    active: row.active,
    currency: row.currency,
    price: row.price,
    resolved: row.resolved,
    resolveError: row.resolve_error,
    stateHash: row.state_hash,
    validFrom: row.valid_from,
    validTo: row.valid_to,
    source: row.source,
  }));
}
