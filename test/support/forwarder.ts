import type { HubConfigInput } from "../../src/config/schema.ts";
import { createHub, type Hub } from "../../src/hub.ts";
import type { LimiterClock } from "../../src/providers/request-limiter.ts";
import type { Sql, Store } from "../../src/store/types.ts";
import { ledgerCatalog } from "./ledger.ts";
import { NOW } from "./usage-events.ts";

/** Where the Flowglad stand-in answers in forwarder tests. */
export const FLOWGLAD_URL = "https://flowglad.test";
export const METRONOME_URL = "https://metronome.test";
export const ORB_URL = "https://orb.test/v1";
export const LAGO_URL = "https://lago.test/api/v1";
export const OPENMETER_URL = "https://openmeter.test";
export const POLAR_URL = "https://polar.test";

/**
 * Config the way an operator writes it: both providers set up, `provider` says where usage goes,
 * and forwarder settings that keep tests quick (override any of them).
 */
export function forwarderConfig(provider: HubConfigInput["provider"], overrides: { forwarder?: HubConfigInput["forwarder"]; stripe?: Partial<NonNullable<HubConfigInput["stripe"]>> } = {}): HubConfigInput {
  return {
    catalog: ledgerCatalog,
    provider,
    stripe: { secretKey: "sk_test_forwarder", meters: { api_calls: { eventName: "api_call" }, llm_tokens: { eventName: "llm_tokens" } }, ...overrides.stripe },
    flowglad: { secretKey: "sk_test_forwarder", baseUrl: FLOWGLAD_URL, meters: { api_calls: { usageMeterSlug: "api_calls" } } },
    metronome: { secretKey: "mt_test_forwarder", baseUrl: METRONOME_URL, meters: { api_calls: { eventType: "api_call" } } },
    orb: { secretKey: "orb_test_forwarder", baseUrl: ORB_URL, meters: { api_calls: { eventName: "api_call" } } },
    lago: { secretKey: "lago_test_forwarder", baseUrl: LAGO_URL, meters: { api_calls: { code: "api_calls" } } },
    openmeter: { secretKey: "om_test_forwarder", baseUrl: OPENMETER_URL, meters: { api_calls: { eventType: "api_call" } } },
    polar: { secretKey: "polar_oat_forwarder", baseUrl: POLAR_URL, meters: { api_calls: { eventName: "api_call" } } },
    forwarder: { backoffBaseMs: 1000, backoffCapMs: 60_000, ...overrides.forwarder },
  };
}

/** A sleep that records what it was asked to wait and returns at once. */
export function recordingSleep(): { waits: number[]; sleep: (ms: number) => Promise<void> } {
  const waits: number[] = [];
  return { waits, sleep: async (ms: number) => void waits.push(ms) };
}

/**
 * A request-limiter clock that skips every wait (rate and Retry-After): time moves on by the
 * wait at once, so a test sees the limiter's order and decisions without spending the time.
 */
export function skippingClock(): LimiterClock {
  let skipped = 0;
  return {
    now: () => Date.now() + skipped,
    wakeAfter: (ms, wake) => {
      skipped += ms;
      setImmediate(wake);
    },
  };
}

/**
 * A hub on a shared test store whose clock is the providers' test instant (NOW) and whose
 * forwarder waits through `sleep`: by default one that records and returns at once; "real" for a
 * following forwarder (billhub serve), whose idle polls must give the event loop back. Unless
 * "real", the providers' request limiters skip their waits too.
 */
export async function forwarderHub(store: Store, config: HubConfigInput, sleep: ((ms: number) => Promise<void>) | "real" = recordingSleep().sleep): Promise<Hub> {
  return createHub(config, { store, now: () => NOW, forwarder: { log: () => {}, ...(sleep === "real" ? {} : { sleep }) }, ...(sleep === "real" ? {} : { limiterClock: skippingClock() }) });
}

export interface OutboxState {
  [column: string]: unknown;
  transaction_id: string;
  provider: string;
  role: string;
  status: string;
  attempts: number;
  outcome: string | null;
  last_error_code: string | null;
  last_error: string | null;
  /** next_attempt_at − last_attempt_at, in ms (the wait chosen at the last settlement). */
  wait_ms: number | null;
  claim_id: string | null;
}

/** Outbox rows of some transactions (all when none given), in a stable order. */
export async function outboxState(sql: Sql, transactionIds?: string[]): Promise<OutboxState[]> {
  const { rows } = await sql.query<OutboxState>(
    `SELECT transaction_id, provider, role, status, attempts, outcome, last_error_code, last_error, claim_id,
            (extract(epoch FROM next_attempt_at - last_attempt_at) * 1000)::int AS wait_ms
     FROM usage_outbox WHERE $1::text[] IS NULL OR transaction_id = ANY($1::text[]) ORDER BY transaction_id, provider`,
    [transactionIds ?? null],
  );
  return rows;
}

/** Empties the ledger and the outbox between tests (customers stay). */
export async function clearUsage(sql: Sql): Promise<void> {
  await sql.query("DELETE FROM usage_outbox");
  await sql.query("DELETE FROM usage_events");
}

/** As if every running lease had run out (the claimer crashed): the rows are due again. */
export async function expireLeases(sql: Sql): Promise<void> {
  await sql.query("UPDATE usage_outbox SET next_attempt_at = now() - interval '1 second' WHERE status = 'pending' AND claim_id IS NOT NULL");
}

/** As if every retry's wait had passed: rows waiting for a retry are due now. */
export async function makeDue(sql: Sql): Promise<void> {
  await sql.query("UPDATE usage_outbox SET next_attempt_at = now() - interval '1 second' WHERE status = 'pending'");
}
