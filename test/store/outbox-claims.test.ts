import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { Hub } from "../../src/hub.ts";
import { CLAIM_PLANNER_SETTINGS, CLAIM_SQL, claimDue, extendLease } from "../../src/store/outbox/claim.ts";
import { settleClaim, type Settlement } from "../../src/store/outbox/settle.ts";
import { openPgStore } from "../../src/store/pg-driver.ts";
import type { Store } from "../../src/store/types.ts";
import { clearUsage, expireLeases, forwarderConfig, forwarderHub, outboxState } from "../support/forwarder.ts";
import { DATABASE_URL, describeOnPostgres, driverName, openTestStore, type TestStore } from "../support/store.ts";

let store: TestStore;
let hub: Hub;

beforeAll(async () => {
  store = await openTestStore();
  hub = await forwarderHub(store, forwarderConfig({ default: "stripe", mirror: ["flowglad"] }));
  await hub.upsertCustomer({ id: "acme", providerIds: { stripe: "cus_acme" } });
});
afterAll(async () => {
  await hub.close();
  await store.cleanup();
});
beforeEach(() => clearUsage(store));

const record = (transactionId: string, quantity = 1) => hub.record({ customerId: "acme", meter: "api_calls", quantity, transactionId });
const claim = (providers: string[], limit = 10, leaseMs = 60_000) => claimDue(store, { providers, limit, leaseMs, claimId: randomUUID(), claimedBy: "test:1" });
const delivered = (transactionId: string, provider = "stripe", outcome: "delivered" | "already_delivered" = "delivered"): Settlement => ({ transactionId, provider, status: "delivered", outcome });

describe(`claiming outbox rows (${driverName})`, () => {
  it("claims the due rows of the forwarder's providers only, with their ledger event and provider ids, and counts the claim as an attempt", async () => {
    await record("c_one", 3);
    const rows = await claim(["stripe"]);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      transactionId: "c_one",
      provider: "stripe",
      role: "primary",
      customerId: "acme",
      attempts: 1,
      priorSentAt: null,
      event: { meter: "api_calls", quantity: "3", properties: {} },
      providerIds: { stripe: "cus_acme" },
    });
    expect((await outboxState(store, ["c_one"])).map((r) => [r.provider, r.attempts])).toEqual([
      ["flowglad", 0],
      ["stripe", 1],
    ]);
  });

  it("gives a row to no second claim while its lease runs", async () => {
    await record("c_leased");
    expect(await claim(["stripe", "flowglad"])).toHaveLength(2);
    expect(await claim(["stripe", "flowglad"])).toEqual([]);
  });

  it("hands a crashed claimer's rows to the next claim once the lease has run out, counting a second attempt", async () => {
    await record("c_crash");
    const [first] = await claim(["stripe"]);
    await expireLeases(store);
    const [again] = await claim(["stripe"]);
    expect(again).toMatchObject({ transactionId: "c_crash", attempts: 2 });
    // The first claim may have reached the provider: the window counts from then.
    expect(again!.priorSentAt).toEqual(first!.claimedAt);
  });

  it("claims at most `limit` rows, the longest due first", async () => {
    for (const id of ["c_lim_1", "c_lim_2", "c_lim_3"]) await record(id);
    await store.query("UPDATE usage_outbox SET next_attempt_at = now() - interval '1 hour' WHERE transaction_id = 'c_lim_3'");
    const rows = await claim(["stripe"], 2);
    expect(rows.map((row) => row.transactionId)).toContain("c_lim_3");
    expect(rows).toHaveLength(2);
  });

  it("leaves rows waiting for a retry, delivered rows and dead rows alone", async () => {
    for (const id of ["c_wait", "c_done", "c_dead"]) await record(id);
    await store.query("UPDATE usage_outbox SET next_attempt_at = now() + interval '1 hour' WHERE transaction_id = 'c_wait'");
    await store.query("UPDATE usage_outbox SET status = 'delivered', delivered_at = now(), outcome = 'delivered' WHERE transaction_id = 'c_done'");
    await store.query("UPDATE usage_outbox SET status = 'dead' WHERE transaction_id = 'c_dead'");
    expect(await claim(["stripe", "flowglad"])).toEqual([]);
  });

  it("reads the due rows through the due index in order, so a claim never sorts the whole backlog, with or without table statistics", async () => {
    await store.query(
      `INSERT INTO usage_outbox (transaction_id, customer_id, provider, role, next_attempt_at)
       SELECT 'backlog_' || g, 'acme', 'stripe', 'primary', now() - g * interval '1 ms' FROM generate_series(1, 2000) g`,
    );
    const plan = async (): Promise<string> =>
      store.transaction(async (tx) => {
        await tx.exec(CLAIM_PLANNER_SETTINGS);
        const { rows } = await tx.query<{ "QUERY PLAN": string }>(`EXPLAIN ${CLAIM_SQL}`, [["stripe"], 1000, randomUUID(), "test:1", 60_000]);
        return rows.map((row) => row["QUERY PLAN"]).join("\n");
      });
    for (const stats of ["without statistics", "after ANALYZE"]) {
      if (stats === "after ANALYZE") await store.exec("ANALYZE usage_outbox");
      const text = await plan();
      expect(text, stats).toContain("Index Scan using usage_outbox_due on usage_outbox");
      expect(text, stats).not.toMatch(/Bitmap|Seq Scan on usage_outbox|Sort Key: usage_outbox\.next_attempt_at/);
    }
    expect(await claim(["stripe"], 1000)).toHaveLength(1000);
  });

  it("claims nothing for a forwarder without remote providers", async () => {
    await record("c_none");
    expect(await claim([])).toEqual([]);
  });
});

describe(`settling claimed rows (${driverName})`, () => {
  it("settles delivered rows with their outcome and time, and frees the claim", async () => {
    await record("s_ok");
    const claimId = randomUUID();
    await claimDue(store, { providers: ["stripe"], limit: 10, leaseMs: 60_000, claimId, claimedBy: "test:1" });
    expect(await settleClaim(store, claimId, [delivered("s_ok", "stripe", "already_delivered")])).toEqual([{ transactionId: "s_ok", provider: "stripe" }]);
    expect(await outboxState(store, ["s_ok"])).toContainEqual(expect.objectContaining({ provider: "stripe", status: "delivered", outcome: "already_delivered", claim_id: null }));
  });

  it("refuses a settlement from a claim whose rows another forwarder took over: the later result stands", async () => {
    await record("s_stale");
    const stale = randomUUID();
    await claimDue(store, { providers: ["stripe"], limit: 10, leaseMs: 60_000, claimId: stale, claimedBy: "slow:1" });
    await expireLeases(store);
    const fresh = randomUUID();
    await claimDue(store, { providers: ["stripe"], limit: 10, leaseMs: 60_000, claimId: fresh, claimedBy: "quick:2" });
    const dead: Settlement = { transactionId: "s_stale", provider: "stripe", status: "dead", delayMs: 0, error: { code: "PROVIDER_REJECTED", message: "late" }, mayHaveReached: true, priorSentAt: null };
    expect(await settleClaim(store, stale, [dead])).toEqual([]);
    expect(await settleClaim(store, fresh, [delivered("s_stale")])).toHaveLength(1);
    // The slow forwarder wakes up again: still nothing changes.
    expect(await settleClaim(store, stale, [dead])).toEqual([]);
    expect((await outboxState(store, ["s_stale"])).find((r) => r.provider === "stripe")).toMatchObject({ status: "delivered", attempts: 2, last_error: null });
  });

  it("schedules a retry after the given wait, keeping the error and its code", async () => {
    await record("s_retry");
    const claimId = randomUUID();
    const [row] = await claimDue(store, { providers: ["stripe"], limit: 10, leaseMs: 60_000, claimId, claimedBy: "test:1" });
    await settleClaim(store, claimId, [
      { transactionId: "s_retry", provider: "stripe", status: "pending", delayMs: 30_000, error: { code: "PROVIDER_RATE_LIMITED", message: "Stripe rate limit reached" }, mayHaveReached: false, priorSentAt: row!.priorSentAt },
    ]);
    expect((await outboxState(store, ["s_retry"])).find((r) => r.provider === "stripe")).toMatchObject({
      status: "pending",
      wait_ms: 30_000,
      last_error_code: "PROVIDER_RATE_LIMITED",
      last_error: "Stripe rate limit reached",
      claim_id: null,
    });
  });

  it("takes back first_sent_at when the answer proves the provider did not record the row, and keeps it when it may have", async () => {
    await record("s_sent_429");
    await record("s_sent_500");
    const claimId = randomUUID();
    const rows = await claimDue(store, { providers: ["stripe"], limit: 10, leaseMs: 60_000, claimId, claimedBy: "test:1" });
    const failed = (transactionId: string, code: string, mayHaveReached: boolean): Settlement => ({
      transactionId,
      provider: "stripe",
      status: "pending",
      delayMs: 0,
      error: { code, message: code },
      mayHaveReached,
      priorSentAt: rows.find((r) => r.transactionId === transactionId)!.priorSentAt,
    });
    await settleClaim(store, claimId, [failed("s_sent_429", "PROVIDER_RATE_LIMITED", false), failed("s_sent_500", "PROVIDER_UNAVAILABLE", true)]);
    const { rows: sent } = await store.query<{ transaction_id: string; sent: boolean }>(
      "SELECT transaction_id, first_sent_at IS NOT NULL AS sent FROM usage_outbox WHERE provider = 'stripe' AND transaction_id LIKE 's_sent_%' ORDER BY transaction_id",
    );
    expect(sent).toEqual([
      { transaction_id: "s_sent_429", sent: false },
      { transaction_id: "s_sent_500", sent: true },
    ]);
  });

  it("extends the lease of the rows a claim still holds, and of no other", async () => {
    await record("s_beat");
    const claimId = randomUUID();
    await claimDue(store, { providers: ["stripe", "flowglad"], limit: 10, leaseMs: 1_000, claimId, claimedBy: "test:1" });
    await settleClaim(store, claimId, [delivered("s_beat", "flowglad")]);
    expect(await extendLease(store, claimId, 120_000)).toBe(1);
    const { rows } = await store.query<{ remaining: number }>(
      "SELECT extract(epoch FROM next_attempt_at - now())::int AS remaining FROM usage_outbox WHERE transaction_id = 's_beat' AND provider = 'stripe'",
    );
    expect(rows[0]!.remaining).toBeGreaterThan(60);
  });
});

describeOnPostgres("claims by concurrent forwarders", () => {
  let second: Store;
  beforeAll(async () => {
    second = await openPgStore({ connectionString: DATABASE_URL!, schema: store.schema, maxConnections: 4 });
  });
  afterAll(() => second.close());

  /** Holds Stripe outbox rows locked in a transaction of the first pool (as a settlement or another claim does) until released. */
  async function holdLocked(transactionIds: string[]): Promise<{ release: () => Promise<void> }> {
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let locked!: () => void;
    const lockTaken = new Promise<void>((resolve) => (locked = resolve));
    const holder = store.transaction(async (tx) => {
      await tx.query("SELECT 1 FROM usage_outbox WHERE provider = 'stripe' AND transaction_id = ANY($1::text[]) FOR UPDATE", [transactionIds]);
      locked();
      await held;
    });
    await lockTaken;
    return {
      release: async () => {
        release();
        await holder;
      },
    };
  }

  it("skips rows another transaction holds locked instead of waiting for them (SKIP LOCKED)", async () => {
    for (const id of ["k_1", "k_2", "k_3", "k_4"]) await record(id);
    const lock = await holdLocked(["k_1", "k_2"]);
    const rows = await claimDue(second, { providers: ["stripe"], limit: 10, leaseMs: 60_000, claimId: randomUUID(), claimedBy: "other:2" });
    await lock.release();
    expect(rows.map((row) => row.transactionId).sort()).toEqual(["k_3", "k_4"]);
  });

  it("extends a claim's lease without waiting for rows a settlement holds locked, so a heartbeat and a settlement never deadlock", async () => {
    for (const id of ["h_1", "h_2", "h_3"]) await record(id);
    const claimId = randomUUID();
    await claimDue(store, { providers: ["stripe"], limit: 10, leaseMs: 1_000, claimId, claimedBy: "test:1" });
    const lock = await holdLocked(["h_1"]);
    expect(await extendLease(second, claimId, 120_000)).toBe(2);
    await lock.release();
  });
});
