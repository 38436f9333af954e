import { randomUUID } from "node:crypto";
import { setupServer } from "msw/node";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { Hub } from "../../../src/hub.ts";
import { claimDue } from "../../../src/store/outbox/claim.ts";
import { settleClaim } from "../../../src/store/outbox/settle.ts";
import { clearUsage, expireLeases, FLOWGLAD_URL, forwarderConfig, forwarderHub, outboxState } from "../../support/forwarder.ts";
import { createFlowgladStandIn } from "../../support/msw/flowglad.ts";
import { createStripeStandIn } from "../../support/msw/stripe.ts";
import { driverName, openTestStore, type TestStore } from "../../support/store.ts";
import { NOW } from "../../support/usage-events.ts";

const stripe = createStripeStandIn({ now: () => NOW });
const flowglad = createFlowgladStandIn({ baseUrl: FLOWGLAD_URL, now: () => NOW });
const server = setupServer(...stripe.handlers, ...flowglad.handlers);

let store: TestStore;
let hub: Hub;

beforeAll(async () => {
  server.listen({ onUnhandledRequest: "error" });
  store = await openTestStore();
  hub = await forwarderHub(store, forwarderConfig({ default: "stripe", routes: { fg_co: "flowglad", fg_other: "flowglad" } }));
  await hub.upsertCustomer({ id: "acme", providerIds: { stripe: "cus_acme" } });
  await hub.upsertCustomer({ id: "fg_co" });
  await hub.upsertCustomer({ id: "fg_other" });
  await hub.upsertCustomer({ id: "late_id" });
});
beforeEach(() => clearUsage(store));
afterEach(() => {
  server.resetHandlers();
  stripe.reset();
  flowglad.reset();
});
afterAll(async () => {
  await hub.close();
  server.close();
  await store.cleanup();
});

const record = (transactionId: string, customerId = "acme", quantity = 1) => hub.record({ customerId, meter: "api_calls", quantity, transactionId });

describe(`a forwarder that crashes mid-batch (${driverName})`, () => {
  it("loses nothing and double-sends nothing: after the lease another forwarder finishes, each event held once", async () => {
    for (const id of ["crash_1", "crash_2", "crash_3"]) await record(id);
    // The crashed forwarder claimed all three and got two of them to Stripe, then died before settling.
    const crashed = randomUUID();
    const claimed = await claimDue(store, { providers: ["stripe"], limit: 10, leaseMs: 60_000, claimId: crashed, claimedBy: "crashed:1" });
    const stripeProvider = hub.providers.get("stripe");
    await stripeProvider.pushUsage(claimed.slice(0, 2).map((row) => ({ transactionId: row.transactionId, customerId: row.customerId, providerCustomerId: "cus_acme", meter: "api_calls", quantity: "1", timestamp: NOW, properties: {} })));

    expect(await hub.outbox.drain()).toMatchObject({ claimed: 0 });
    await expireLeases(store);
    expect(await hub.outbox.drain()).toEqual({ claimed: 3, delivered: 1, alreadyDelivered: 2, retryLater: 0, dead: 0, leaseLost: 0 });
    expect(stripe.events().map((e) => e.identifier).sort()).toEqual(["crash_1", "crash_2", "crash_3"]);
    expect((await outboxState(store)).map((r) => [r.transaction_id, r.status, r.attempts])).toEqual([
      ["crash_1", "delivered", 2],
      ["crash_2", "delivered", 2],
      ["crash_3", "delivered", 2],
    ]);
    // The crashed forwarder comes back and settles what it remembers: nothing changes.
    expect(await settleClaim(store, crashed, claimed.map((row) => ({ transactionId: row.transactionId, provider: row.provider, status: "dead", delayMs: 0, error: { code: "INTERNAL", message: "late" }, mayHaveReached: true, priorSentAt: null })))).toEqual([]);
    expect((await outboxState(store)).every((r) => r.status === "delivered")).toBe(true);
  });
});

describe(`Flowglad's refusals through the forwarder (${driverName})`, () => {
  it("dead-letters usage of a customer Flowglad does not know (NOT_FOUND), and delivers it once replayed after the customer exists", async () => {
    await record("fg_unknown", "fg_co", 2);
    expect(await hub.outbox.drain()).toMatchObject({ dead: 1 });
    expect((await outboxState(store))[0]).toMatchObject({ status: "dead", last_error_code: "PROVIDER_NOT_FOUND", last_error: expect.stringContaining('Flowglad has no customer with external id "fg_co"') });

    flowglad.addCustomer({ externalId: "fg_co", subscriptions: [{ id: "sub_fg_co" }] });
    expect(await hub.outbox.replay("fg_unknown")).toEqual({ replayed: 1, notDead: [], heldBack: 0, heldBackExamples: [] });
    expect(await hub.outbox.drain()).toMatchObject({ delivered: 1 });
    expect(flowglad.usageEvents().map((e) => [e.transactionId, e.subscriptionId, e.amount])).toEqual([["fg_unknown", "sub_fg_co", 2]]);
  });

  it("dead-letters a transaction id Flowglad holds on another subscription (CONFLICT), keeping Flowglad's message", async () => {
    flowglad.addCustomer({ externalId: "fg_co", subscriptions: [{ id: "sub_fg_co" }] });
    flowglad.addCustomer({ externalId: "fg_other", subscriptions: [{ id: "sub_fg_other" }] });
    await record("fg_taken", "fg_other");
    await hub.outbox.drain();
    // The same transaction id, recorded in another hub database for another customer, reaches Flowglad too.
    await clearUsage(store);
    await record("fg_taken", "fg_co");
    expect(await hub.outbox.drain()).toMatchObject({ dead: 1 });
    expect((await outboxState(store))[0]).toMatchObject({
      status: "dead",
      last_error_code: "PROVIDER_CONFLICT",
      last_error: expect.stringContaining("A usage event with transactionId fg_taken already exists for a different subscription"),
    });
  });

  it("retries Flowglad's 429 and 500 and delivers", async () => {
    flowglad.addCustomer({ externalId: "fg_co", subscriptions: [{ id: "sub_fg_co" }] });
    await record("fg_flaky", "fg_co");
    flowglad.inject("usage_bulk", { kind: "rate_limit", retryAfter: "1" });
    flowglad.inject("usage_bulk", { kind: "server_error" });
    expect(await hub.outbox.drain()).toMatchObject({ delivered: 1 });
    expect(flowglad.calls("usage_bulk")).toHaveLength(3);
  });
});

describe(`replaying dead rows (${driverName})`, () => {
  it("replays every dead row of a provider, leaving the other provider's dead rows dead", async () => {
    await record("rp_stripe", "late_id");
    await record("rp_flowglad", "fg_co");
    expect(await hub.outbox.drain()).toMatchObject({ dead: 2 });
    await hub.upsertCustomer({ id: "late_id", providerIds: { stripe: "cus_late" } });
    expect(await hub.outbox.replay({ dead: true, provider: "stripe" })).toMatchObject({ replayed: 1, heldBack: 0 });
    expect(await hub.outbox.drain()).toMatchObject({ delivered: 1 });
    expect((await outboxState(store)).map((r) => [r.transaction_id, r.status, r.attempts])).toEqual([
      ["rp_flowglad", "dead", 1],
      ["rp_stripe", "delivered", 1],
    ]);
  });

  it("reports a named row that is not dead and refuses an unknown one with NOT_FOUND", async () => {
    await record("rp_done");
    await hub.outbox.drain();
    expect(await hub.outbox.replay({ transactionId: "rp_done" })).toEqual({ replayed: 0, notDead: [{ transactionId: "rp_done", provider: "stripe", status: "delivered" }], heldBack: 0, heldBackExamples: [] });
    await expect(hub.outbox.replay("rp_never")).rejects.toMatchObject({ code: "NOT_FOUND", field: "transactionId" });
  });

  it("refuses a malformed replay request naming what it takes", async () => {
    await expect(hub.outbox.replay({ dead: true, provider: "paypal" } as never)).rejects.toMatchObject({ code: "VALIDATION_FAILED" });
    await expect(hub.outbox.replay("")).rejects.toMatchObject({ code: "VALIDATION_FAILED", message: expect.stringContaining("transaction id") });
    await expect(hub.outbox.replay({ dead: false } as never)).rejects.toMatchObject({ code: "VALIDATION_FAILED" });
  });
});

describe(`the resend window (${driverName})`, () => {
  /** As if the row's first send happened `hours` ago and it is due again now. */
  const sentHoursAgo = (transactionId: string, hours: number) =>
    store.query("UPDATE usage_outbox SET first_sent_at = now() - $2 * interval '1 hour', attempts = 3 WHERE transaction_id = $1", [transactionId, hours]);

  it("does not resend to Stripe a row whose first send may have reached it more than 23 h ago: dead, saying why and how to decide", async () => {
    await record("rw_old");
    await sentHoursAgo("rw_old", 23.5);
    expect(await hub.outbox.drain()).toMatchObject({ dead: 1 });
    expect(stripe.calls()).toEqual([]);
    expect((await outboxState(store))[0]).toMatchObject({
      status: "dead",
      last_error_code: "RESEND_WINDOW_PASSED",
      last_error: expect.stringContaining("could count it twice"),
    });
  });

  it("still resends a row first sent less than 23 h ago (Stripe recognizes it)", async () => {
    await record("rw_recent");
    await sentHoursAgo("rw_recent", 22);
    expect(await hub.outbox.drain()).toMatchObject({ delivered: 1 });
  });

  it("holds such rows back from a bulk replay, and resends one when an operator names it", async () => {
    await record("rw_held");
    await sentHoursAgo("rw_held", 30);
    await hub.outbox.drain();
    expect(await hub.outbox.replay({ dead: true })).toEqual({ replayed: 0, notDead: [], heldBack: 1, heldBackExamples: ["rw_held"] });
    expect(await hub.outbox.replay({ transactionId: "rw_held", provider: "stripe" })).toMatchObject({ replayed: 1 });
    expect(await hub.outbox.drain()).toMatchObject({ delivered: 1 });
    expect(stripe.events().map((e) => e.identifier)).toEqual(["rw_held"]);
  });

  it("keeps resending to Flowglad, which recognizes a transaction id for good", async () => {
    flowglad.addCustomer({ externalId: "fg_co", subscriptions: [{ id: "sub_fg_co" }] });
    await record("rw_flowglad", "fg_co");
    await sentHoursAgo("rw_flowglad", 72);
    expect(await hub.outbox.drain()).toMatchObject({ delivered: 1 });
  });
});
