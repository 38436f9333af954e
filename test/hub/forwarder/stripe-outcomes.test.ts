import { setupServer } from "msw/node";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { Hub } from "../../../src/hub.ts";
import { clearUsage, forwarderConfig, forwarderHub, makeDue, outboxState, recordingSleep } from "../../support/forwarder.ts";
import { createStripeStandIn } from "../../support/msw/stripe.ts";
import { driverName, openTestStore, type TestStore } from "../../support/store.ts";
import { NOW } from "../../support/usage-events.ts";

const stripe = createStripeStandIn({ now: () => NOW, secretKey: "sk_test_forwarder" });
const server = setupServer(...stripe.handlers);

const ONE_LOOP = { concurrency: 1 };

let store: TestStore;
let hub: Hub;
let waits: number[];

beforeAll(async () => {
  server.listen({ onUnhandledRequest: "error" });
  store = await openTestStore();
  const seed = await forwarderHub(store, forwarderConfig({ default: "stripe" }));
  await seed.upsertCustomer({ id: "acme", providerIds: { stripe: "cus_acme" } });
  await seed.upsertCustomer({ id: "nobody_at_stripe" });
  await seed.close();
});
beforeEach(async () => {
  await clearUsage(store);
  const recording = recordingSleep();
  waits = recording.waits;
  // One claim loop throughout this file: it asserts the order events reach Stripe and the requests per
  // claim, and with several loops concurrent claims can split a handful of rows between them.
  hub = await forwarderHub(store, forwarderConfig({ default: "stripe" }, { forwarder: ONE_LOOP }), recording.sleep);
});
afterEach(async () => {
  await hub.close();
  server.resetHandlers();
  stripe.reset();
});
afterAll(async () => {
  server.close();
  await store.cleanup();
});

const record = (transactionId: string, quantity = 1, customerId = "acme") => hub.record({ customerId, meter: "api_calls", quantity, transactionId });

describe(`forwarding to Stripe (${driverName})`, () => {
  it("sends each recorded event as a meter event whose identifier is the transaction id, and marks it delivered", async () => {
    await record("st_ok_1", 3);
    await record("st_ok_2", 4);
    expect(await hub.outbox.drain()).toEqual({ claimed: 2, delivered: 2, alreadyDelivered: 0, retryLater: 0, dead: 0, leaseLost: 0 });
    expect(stripe.events().map((e) => [e.identifier, e.eventName, e.payload.stripe_customer_id, e.payload.value])).toEqual([
      ["st_ok_1", "api_call", "cus_acme", "3"],
      ["st_ok_2", "api_call", "cus_acme", "4"],
    ]);
    expect((await outboxState(store)).map((r) => [r.transaction_id, r.status, r.outcome, r.attempts])).toEqual([
      ["st_ok_1", "delivered", "delivered", 1],
      ["st_ok_2", "delivered", "delivered", 1],
    ]);
  });

  it("counts a meter event Stripe already holds (an earlier send that crashed before settling) as already delivered", async () => {
    await record("st_known");
    const [event] = await hub.providers.get("stripe").pushUsage([{ transactionId: "st_known", customerId: "acme", providerCustomerId: "cus_acme", meter: "api_calls", quantity: "1", timestamp: NOW, properties: {} }]);
    expect(event!.status).toBe("delivered");
    expect(await hub.outbox.drain()).toMatchObject({ alreadyDelivered: 1, delivered: 0 });
    expect(stripe.events()).toHaveLength(1);
    expect((await outboxState(store))[0]).toMatchObject({ status: "delivered", outcome: "already_delivered" });
  });

  it("waits out a short Retry-After inside the claim and sends again", async () => {
    await record("st_429_short");
    stripe.inject("meter_events", { kind: "rate_limit", retryAfter: "2" });
    expect(await hub.outbox.drain()).toMatchObject({ delivered: 1, retryLater: 0 });
    expect(waits).toEqual([2000]);
    expect(stripe.calls("meter_events")).toHaveLength(2);
  });

  it("reschedules on a long Retry-After instead of holding the claim: next attempt exactly Retry-After later", async () => {
    await record("st_429_long");
    stripe.inject("meter_events", { kind: "rate_limit", retryAfter: "30" });
    expect(await hub.outbox.drain()).toMatchObject({ retryLater: 1 });
    expect(stripe.calls("meter_events")).toHaveLength(1);
    expect((await outboxState(store))[0]).toMatchObject({ status: "pending", attempts: 1, wait_ms: 30_000, last_error_code: "PROVIDER_RATE_LIMITED" });
  });

  it("retries a 500 and a dropped connection in the same claim, backing off with jitter", async () => {
    await record("st_flaky");
    stripe.inject("meter_events", { kind: "server_error" });
    stripe.inject("meter_events", { kind: "reset" });
    expect(await hub.outbox.drain()).toMatchObject({ delivered: 1 });
    expect(stripe.calls("meter_events")).toHaveLength(3);
    expect(waits).toHaveLength(2);
    expect(waits[0]).toBeGreaterThanOrEqual(500);
    expect(waits[0]).toBeLessThanOrEqual(1000);
    expect(waits[1]).toBeGreaterThanOrEqual(1000);
    expect(waits[1]).toBeLessThanOrEqual(2000);
  });

  it("owns every retry itself: one claim makes 1 + quickRetries requests, never more (the SDK does not retry on top)", async () => {
    await record("st_down");
    stripe.inject("meter_events", { kind: "server_error", status: 503 }, 10);
    expect(await hub.outbox.drain()).toMatchObject({ retryLater: 1 });
    expect(stripe.calls("meter_events")).toHaveLength(3);
    const [row] = await outboxState(store);
    expect(row).toMatchObject({ status: "pending", attempts: 1, last_error_code: "PROVIDER_UNAVAILABLE" });
    expect(row!.wait_ms).toBeGreaterThanOrEqual(500);
    expect(row!.wait_ms).toBeLessThanOrEqual(1000);
  });

  it("resends after Stripe recorded the event but the answer was lost, and counts the duplicate answer as delivered", async () => {
    await record("st_lost_answer", 5);
    stripe.inject("meter_events", { kind: "reset_after_processing" });
    expect(await hub.outbox.drain()).toMatchObject({ alreadyDelivered: 1 });
    expect(stripe.events().map((e) => [e.identifier, e.payload.value])).toEqual([["st_lost_answer", "5"]]);
    expect(stripe.arrivals().get("st_lost_answer")).toBe(2);
  });

  it("dead-letters a 4xx refusal at once, keeping Stripe's message, and sends it no more", async () => {
    await record("st_refused");
    stripe.inject("meter_events", {
      kind: "response",
      status: 400,
      body: { error: { message: "No active meter was found for event_name api_call.", type: "invalid_request_error" } },
    });
    expect(await hub.outbox.drain()).toMatchObject({ dead: 1 });
    expect(stripe.calls("meter_events")).toHaveLength(1);
    expect((await outboxState(store))[0]).toMatchObject({ status: "dead", last_error_code: "PROVIDER_REJECTED", last_error: expect.stringContaining("No active meter was found for event_name api_call.") });
  });

  it("dead-letters usage of a customer without a Stripe id without calling Stripe, saying what to set", async () => {
    await record("st_no_id", 1, "nobody_at_stripe");
    expect(await hub.outbox.drain()).toMatchObject({ dead: 1 });
    expect(stripe.calls()).toEqual([]);
    expect((await outboxState(store))[0]).toMatchObject({ last_error_code: "PROVIDER_CUSTOMER_MISSING", last_error: expect.stringContaining("set provider_ids.stripe") });
  });

  it("gives up after forwarder.maxAttempts claims and keeps the last error", async () => {
    await hub.close();
    hub = await forwarderHub(store, forwarderConfig({ default: "stripe" }, { forwarder: { ...ONE_LOOP, maxAttempts: 2, quickRetries: 0 } }));
    await record("st_gives_up");
    stripe.inject("meter_events", { kind: "server_error" }, 10);
    expect(await hub.outbox.drain()).toMatchObject({ retryLater: 1 });
    await makeDue(store);
    expect(await hub.outbox.drain()).toMatchObject({ dead: 1 });
    expect(stripe.calls("meter_events")).toHaveLength(2);
    expect((await outboxState(store))[0]).toMatchObject({ status: "dead", attempts: 2, last_error: expect.stringMatching(/^Gave up after 2 attempts: Stripe failed \(HTTP 500\)/) });
  });

  it("does not hold back the rest of a batch when Stripe rate limits one event, and delivers that one on the next claim", async () => {
    for (const id of ["st_batch_1", "st_batch_2", "st_batch_3"]) await record(id);
    await hub.close();
    hub = await forwarderHub(store, forwarderConfig({ default: "stripe" }, { forwarder: { ...ONE_LOOP, quickRetries: 0 } }));
    stripe.inject("meter_events", { kind: "rate_limit" }, 1);
    expect(await hub.outbox.drain()).toMatchObject({ claimed: 3, retryLater: 1, delivered: 2 });
    expect(stripe.calls("meter_events")).toHaveLength(3);
    await makeDue(store);
    expect(await hub.outbox.drain()).toMatchObject({ delivered: 1 });
    expect(stripe.events().map((e) => e.identifier)).toEqual(["st_batch_2", "st_batch_3", "st_batch_1"]);
  });
});

describe(`forwarding to Stripe's meter event stream (${driverName})`, () => {
  beforeEach(async () => {
    await hub.close();
    hub = await forwarderHub(store, forwarderConfig({ default: "stripe" }, { stripe: { mode: "meter_event_stream" }, forwarder: ONE_LOOP }));
  });

  it("sends a claim through one session in requests of up to 100 events", async () => {
    await hub.recordBatch(Array.from({ length: 150 }, (_, i) => ({ customerId: "acme", meter: "api_calls", quantity: 1, transactionId: `stream_${i}` })));
    expect(await hub.outbox.drain({ batchSize: 150 })).toMatchObject({ claimed: 150, delivered: 150 });
    expect(stripe.calls("meter_event_session")).toHaveLength(1);
    expect(stripe.calls("meter_event_stream")).toHaveLength(2);
    expect(stripe.events()).toHaveLength(150);
  });

  it("renews an expired session and resends, each event held once", async () => {
    await record("stream_before");
    await hub.outbox.drain();
    stripe.expireSessions();
    await record("stream_after");
    expect(await hub.outbox.drain()).toMatchObject({ delivered: 1 });
    expect(stripe.calls("meter_event_session")).toHaveLength(2);
    expect(stripe.events().map((e) => e.identifier)).toEqual(["stream_before", "stream_after"]);
  });
});
