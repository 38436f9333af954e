import { setupServer } from "msw/node";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { add, parseDecimal, toDecimalString, ZERO } from "../../../src/core/decimal.ts";
import type { HubConfigInput } from "../../../src/config/schema.ts";
import type { Hub } from "../../../src/hub.ts";
import { clearUsage, FLOWGLAD_URL, forwarderConfig, forwarderHub, makeDue, outboxState, type OutboxState } from "../../support/forwarder.ts";
import type { Fault } from "../../support/msw/faults.ts";
import { createFlowgladStandIn } from "../../support/msw/flowglad.ts";
import { createStripeStandIn } from "../../support/msw/stripe.ts";
import { driverName, openTestStore, type TestStore } from "../../support/store.ts";
import { NOW } from "../../support/usage-events.ts";

const stripe = createStripeStandIn({ now: () => NOW });
const flowglad = createFlowgladStandIn({ baseUrl: FLOWGLAD_URL, now: () => NOW });
const server = setupServer(...stripe.handlers, ...flowglad.handlers);
const CUSTOMERS = ["fi_a", "fi_b", "fi_c"];
const FAULTS: Fault[] = [{ kind: "rate_limit", retryAfter: "1" }, { kind: "rate_limit" }, { kind: "server_error" }, { kind: "server_error", status: 503 }, { kind: "reset" }, { kind: "reset_after_processing" }];

let store: TestStore;
let hub: Hub | undefined;

beforeAll(async () => {
  server.listen({ onUnhandledRequest: "error" });
  store = await openTestStore();
  const seed = await forwarderHub(store, forwarderConfig({ default: "manual" }));
  for (const id of CUSTOMERS) await seed.upsertCustomer({ id, providerIds: { stripe: `cus_${id}` } });
  await seed.close();
});
beforeEach(async () => {
  await clearUsage(store);
  for (const id of CUSTOMERS) flowglad.addCustomer({ externalId: id, subscriptions: [{ id: `sub_${id}` }] });
});
afterEach(async () => {
  await hub?.close();
  server.resetHandlers();
  stripe.reset();
  flowglad.reset();
});
afterAll(async () => {
  server.close();
  await store.cleanup();
});

/**
 * 300 events over three customers, recorded the way a retrying application records them: every
 * tenth batch item repeats an earlier transaction id, and a third of the batches is sent twice.
 */
async function recordWithRepeats(target: Hub): Promise<Map<string, { customerId: string; quantity: number }>> {
  const unique = new Map<string, { customerId: string; quantity: number }>();
  for (let batch = 0; batch < 30; batch += 1) {
    const items = Array.from({ length: 10 }, (_, i) => {
      const n = batch * 10 + i;
      const transactionId = i === 9 && n > 10 ? `fi_${n - 7}` : `fi_${n}`;
      const original = unique.get(transactionId);
      const item = original ?? { customerId: CUSTOMERS[n % 3]!, quantity: (n % 7) + 1 };
      unique.set(transactionId, item);
      return { customerId: item.customerId, meter: "api_calls", quantity: item.quantity, transactionId };
    });
    await target.recordBatch(items);
    if (batch % 3 === 0) await target.recordBatch(items);
  }
  return unique;
}

/** Runs the forwarder until nothing is pending (waits for retries are skipped by making rows due). */
async function forwardUntilSettled(target: Hub): Promise<number> {
  for (let round = 1; round <= 100; round += 1) {
    await target.outbox.drain();
    const pending = (await target.outbox.status()).totals.pending;
    if (pending === 0) return round;
    await makeDue(store);
  }
  throw new Error("the outbox never settled");
}

function totalsOf(entries: Iterable<{ customerId: string; quantity: string }>): Record<string, string> {
  const totals: Record<string, string> = {};
  for (const { customerId, quantity } of entries) totals[customerId] = toDecimalString(add(parseDecimal(totals[customerId] ?? "0"), parseDecimal(quantity)));
  return totals;
}

const runs: Array<{ name: string; config: HubConfigInput; held: () => Array<{ transactionId: string; customerId: string; quantity: string }>; inject: () => void; served: () => Partial<Record<Fault["kind"], number>>; resendsRecognized: (rows: OutboxState[]) => number }> = [
  {
    name: "Stripe meter events",
    config: forwarderConfig({ default: "stripe" }, { forwarder: { backoffBaseMs: 0, maxAttempts: 100 } }),
    held: () => stripe.events().map((e) => ({ transactionId: e.identifier, customerId: e.payload.stripe_customer_id!.replace(/^cus_/, ""), quantity: e.payload.value! })),
    inject: () => stripe.injectRandom("meter_events", { probability: 0.3, faults: FAULTS, seed: 7 }),
    served: stripe.faultsServed,
    // Stripe refuses (v1) or skips (stream) an identifier it holds: it arrived more than once.
    resendsRecognized: () => stripe.duplicates().length,
  },
  {
    name: "Stripe's meter event stream",
    config: forwarderConfig({ default: "stripe" }, { forwarder: { backoffBaseMs: 0, maxAttempts: 100, batchSize: 5 }, stripe: { mode: "meter_event_stream" } }),
    held: () => stripe.events().map((e) => ({ transactionId: e.identifier, customerId: e.payload.stripe_customer_id!.replace(/^cus_/, ""), quantity: e.payload.value! })),
    inject: () => {
      stripe.injectRandom("meter_event_stream", { probability: 0.4, faults: [...FAULTS, { kind: "session_expired" }], seed: 11 });
      stripe.injectRandom("meter_event_session", { probability: 0.2, faults: FAULTS.filter((f) => f.kind !== "reset_after_processing"), seed: 13 });
    },
    served: stripe.faultsServed,
    // Stripe refuses (v1) or skips (stream) an identifier it holds: it arrived more than once.
    resendsRecognized: () => stripe.duplicates().length,
  },
  {
    name: "Flowglad",
    config: forwarderConfig({ default: "flowglad" }, { forwarder: { backoffBaseMs: 0, maxAttempts: 100, batchSize: 5 } }),
    held: () => flowglad.usageEvents().map((e) => ({ transactionId: e.transactionId, customerId: e.subscriptionId.replace(/^sub_/, ""), quantity: String(e.amount) })),
    inject: () => {
      flowglad.injectRandom("usage_bulk", { probability: 0.4, faults: FAULTS, seed: 17 });
      flowglad.injectRandom("billing", { probability: 0.2, faults: FAULTS.filter((f) => f.kind !== "reset_after_processing"), seed: 19 });
    },
    served: flowglad.faultsServed,
    // Flowglad leaves an event it already holds out of the bulk answer: the row is already_delivered.
    resendsRecognized: (rows) => rows.filter((r) => r.outcome === "already_delivered").length,
  },
];

describe(`forwarding through random 429s, 500s and dropped connections (${driverName})`, () => {
  for (const run of runs) {
    it(`${run.name}: every event ends delivered exactly once and nothing stays pending`, async () => {
      hub = await forwarderHub(store, run.config);
      const recorded = await recordWithRepeats(hub);
      expect(recorded.size).toBeGreaterThan(250);
      run.inject();
      await forwardUntilSettled(hub);

      const rows = await outboxState(store);
      expect(rows).toHaveLength(recorded.size);
      expect(rows.filter((r) => r.status !== "delivered")).toEqual([]);
      const held = run.held();
      expect(held.map((e) => e.transactionId).sort()).toEqual([...recorded.keys()].sort());
      expect(new Set(held.map((e) => e.transactionId)).size).toBe(held.length);
      expect(totalsOf(held)).toEqual(totalsOf([...recorded.values()].map((e) => ({ customerId: e.customerId, quantity: String(e.quantity) }))));
      // The run met every kind of trouble, the lost answers included (their resends were recognized).
      expect(Object.keys(run.served())).toEqual(expect.arrayContaining([...new Set(FAULTS.map((f) => f.kind))]));
      expect(run.resendsRecognized(rows)).toBeGreaterThan(0);
      expect(toDecimalString(held.reduce((sum, e) => add(sum, parseDecimal(e.quantity)), ZERO))).toBe((await ledgerTotal()).toString());
    });
  }
});

async function ledgerTotal(): Promise<string> {
  const { rows } = await store.query<{ total: string }>("SELECT sum(quantity)::text AS total FROM usage_events");
  return toDecimalString(parseDecimal(rows[0]!.total));
}
