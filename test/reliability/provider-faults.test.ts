import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Hub } from "../../src/hub.ts";
import type { UsageEventInput } from "../../src/hub/ledger.ts";
import { forwarderConfig, forwarderHub, makeDue, outboxState, recordingSleep } from "../support/forwarder.ts";
import { seededRandom, type Fault } from "../support/msw/faults.ts";
import { startStripeStandIn, type StripeServer } from "../support/stand-ins/stripe-server.ts";
import { driverName, openTestStore, type TestStore } from "../support/store.ts";
import { NOW } from "../support/usage-events.ts";

const EVENTS = 5_000;
/** One record in five repeats an earlier transactionId with the same content (a client retrying). */
const DUPLICATE_SHARE = 0.2;
const BILLED = Array.from({ length: 20 }, (_, i) => `pf_${i}`);
/** Customers with no Stripe id: their usage cannot be sent and must dead-letter, nothing else may. */
const UNMAPPED = ["pf_unmapped_a", "pf_unmapped_b"];
/** The client gives up on Stripe after this long; the stand-in's held answers come far later. */
const TIMEOUT_MS = 150;
const FAULTS: Fault[] = [
  { kind: "rate_limit", retryAfter: "1" },
  { kind: "rate_limit", retryAfter: "2" },
  { kind: "server_error" },
  { kind: "server_error", status: 503 },
  { kind: "timeout", holdMs: 5_000 },
  { kind: "timeout_after_processing", holdMs: 5_000 },
  { kind: "reset" },
  { kind: "reset_after_processing" },
];

let store: TestStore;
let stripe: StripeServer;
let hub: Hub;
const waits = recordingSleep();

beforeAll(async () => {
  store = await openTestStore();
  // Stripe's account takes whole numbers only, while the config claims decimal llm_tokens: Stripe refuses those with a 400.
  stripe = await startStripeStandIn({ now: () => NOW });
  const config = forwarderConfig(
    { default: "stripe" },
    {
      stripe: { apiBase: stripe.url, timeoutMs: TIMEOUT_MS, meters: { api_calls: { eventName: "api_call" }, llm_tokens: { eventName: "llm_tokens", decimalValues: true } } },
      forwarder: { batchSize: 100, concurrency: 4, maxAttempts: 200, quickRetries: 2, backoffBaseMs: 10, backoffCapMs: 100 },
    },
  );
  hub = await forwarderHub(store, config, waits.sleep);
  for (const id of BILLED) await hub.upsertCustomer({ id, providerIds: { stripe: `cus_${id}` } });
  for (const id of UNMAPPED) await hub.upsertCustomer({ id });
}, 60_000);
afterAll(async () => {
  await hub?.close();
  await stripe?.close();
  await store?.cleanup();
});

interface Workload {
  records: UsageEventInput[];
  unique: Map<string, UsageEventInput>;
  /** Unique transactions Stripe must refuse or that cannot be sent at all. */
  permanent: Set<string>;
}

/** 5,000 records: a fifth repeat an earlier one; one unique event in 80 is undeliverable by nature. */
function workload(): Workload {
  const draw = seededRandom(2026);
  const records: UsageEventInput[] = [];
  const unique = new Map<string, UsageEventInput>();
  const permanent = new Set<string>();
  for (let n = 0; n < EVENTS; n += 1) {
    if (unique.size > 0 && draw() < DUPLICATE_SHARE) {
      const ids = [...unique.keys()];
      records.push({ ...unique.get(ids[Math.floor(draw() * ids.length)]!)! });
      continue;
    }
    const transactionId = `pf_tx_${n}`;
    const kind = unique.size % 80;
    const event: UsageEventInput =
      kind === 7
        ? { customerId: UNMAPPED[n % 2]!, meter: "api_calls", quantity: 5, transactionId }
        : kind === 41
          ? { customerId: BILLED[n % BILLED.length]!, meter: "llm_tokens", quantity: "12.5", transactionId }
          : { customerId: BILLED[n % BILLED.length]!, meter: n % 3 === 0 ? "llm_tokens" : "api_calls", quantity: (n % 17) + 1, transactionId };
    if (kind === 7 || kind === 41) permanent.add(transactionId);
    unique.set(transactionId, event);
    records.push(event);
  }
  return { records, unique, permanent };
}

/** Drains until nothing is pending; rows waiting out a backoff or a Retry-After are made due between rounds. */
async function forwardUntilSettled(): Promise<number> {
  for (let round = 1; round <= 200; round += 1) {
    await hub.outbox.drain();
    if ((await hub.outbox.status()).totals.pending === 0) return round;
    await makeDue(store);
  }
  throw new Error("the outbox never settled");
}

const fmt = (n: number) => n.toLocaleString("en-US");

describe(`a provider that answers 429, 5xx, timeouts and dropped connections at random (${driverName})`, () => {
  it("delivers every unique transactionId exactly once, dead-letters only the permanent failures and leaves nothing pending", async () => {
    const { records, unique, permanent } = workload();
    let duplicates = 0;
    for (let start = 0; start < records.length; start += 250) {
      const results = await hub.recordBatch(records.slice(start, start + 250));
      duplicates += results.filter((r) => r.status === "duplicate").length;
    }
    expect(duplicates).toBe(records.length - unique.size);
    expect(duplicates).toBeGreaterThan(EVENTS * DUPLICATE_SHARE * 0.9);

    stripe.state.injectRandom("meter_events", { probability: 0.06, faults: FAULTS, seed: 5 });
    const rounds = await forwardUntilSettled();

    const rows = await outboxState(store);
    const deliverable = [...unique.keys()].filter((id) => !permanent.has(id));
    // One outbox row per unique transaction, none pending, the dead ones exactly the permanent ones.
    expect(rows).toHaveLength(unique.size);
    expect(rows.filter((r) => r.status === "pending")).toEqual([]);
    const dead = rows.filter((r) => r.status === "dead");
    expect(dead.map((r) => r.transaction_id).sort()).toEqual([...permanent].sort());
    expect(new Set(dead.map((r) => r.last_error_code))).toEqual(new Set(["PROVIDER_CUSTOMER_MISSING", "PROVIDER_REJECTED"]));

    // Stripe holds each deliverable identifier once, with the recorded customer and value, and nothing else.
    const held = stripe.state.events();
    expect(held.map((e) => e.identifier).sort()).toEqual(deliverable.sort());
    for (const event of held) {
      const recorded = unique.get(event.identifier)!;
      expect([event.payload.stripe_customer_id, event.payload.value]).toEqual([`cus_${recorded.customerId}`, String(recorded.quantity)]);
    }
    const resent = stripe.state.duplicates();
    // The SDK resends a dropped request once under the same Idempotency-Key; Stripe replays its saved answer.
    const keys = stripe.state.calls("meter_events").flatMap((call) => (call.idempotencyKey === null ? [] : [call.idempotencyKey]));
    const replays = keys.length - new Set(keys).size;
    const recognized = rows.filter((r) => r.outcome === "already_delivered").length;

    // Every kind of fault struck, and each Retry-After was waited out in full before the next try.
    const served = stripe.state.faultsServed();
    expect(Object.keys(served).sort()).toEqual([...new Set(FAULTS.map((f) => f.kind))].sort());
    expect(resent.length).toBeGreaterThan(0);
    expect(Math.max(...waits.waits)).toBeGreaterThanOrEqual(2_000);

    console.info(
      `provider faults (${driverName}): ${fmt(records.length)} events, ${fmt(duplicates)} duplicate ids, ${fmt(unique.size)} unique, ` +
        `${fmt(held.length)} delivered once, ${fmt(dead.length)} dead-lettered (permanent), 0 pending; ` +
        `${fmt(resent.length)} resends recognized by identifier ("already exists", ${fmt(recognized)} rows), ${fmt(replays)} replayed by idempotency key, ${rounds} drain round(s); ` +
        `faults injected: ${Object.entries(served).map(([kind, count]) => `${kind}×${fmt(count)}`).join(", ")}`,
    );
  }, 120_000);
});
