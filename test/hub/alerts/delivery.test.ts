import { randomUUID } from "node:crypto";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { HubConfigInput } from "../../../src/config/schema.ts";
import { createHub, type Hub } from "../../../src/hub.ts";
import { postDelivery } from "../../../src/hub/alerts/alert-sender.ts";
import { startServer } from "../../../src/server/serve.ts";
import { claimDeliveries } from "../../../src/store/alerts/deliveries.ts";
import { startReceiver, type Answer } from "../../support/alert-receiver.ts";
import { alertsCatalog, webhookSecret } from "../../support/alerts.ts";
import { openTestStore, type TestStore } from "../../support/store.ts";
import { waitFor } from "../../support/wait.ts";
import { testClock } from "../entitlements-catalog.ts";

const secret = webhookSecret();
const clock = testClock("2026-03-18T10:30:00Z");
let store: TestStore;
let n = 0;
const open: Array<{ close(): Promise<void> }> = [];

beforeAll(async () => {
  store = await openTestStore();
});
afterEach(async () => {
  for (const item of open.splice(0).reverse()) await item.close();
  // Each test starts with an empty outbox of alerts: rows of earlier tests point at closed receivers.
  await store.query("UPDATE alert_deliveries SET status = 'delivered', delivered_at = now() WHERE status <> 'delivered'");
});
afterAll(async () => {
  await store.cleanup();
});

/** A receiver answering as `answer` says, and a hub whose only endpoint is that receiver. */
async function setup(answer?: (request: unknown, index: number) => Answer, delivery: NonNullable<HubConfigInput["alerts"]>["delivery"] = {}) {
  const receiver = await startReceiver(secret, answer);
  open.push(receiver);
  const config = { catalog: alertsCatalog, alerts: { endpoints: { ops: { url: receiver.url, secret, alerts: ["api_80"] } }, delivery: { backoffBaseMs: 0, ...delivery } } };
  const hub = await createHub(config, { store, now: clock.now, alertSender: { log: () => {} } });
  open.push(hub);
  return { receiver, hub, config };
}

/** A customer crossing the 80 % alert: one firing, one delivery to "ops"; its event id. */
async function fireAlert(hub: Hub): Promise<string> {
  const id = `dlv_${++n}`;
  await hub.upsertCustomer({ id });
  await hub.consume(id, "api", 85, `${id}-1`);
  const [fired] = (await hub.alerts.list({ customerId: id, alert: "api_80" })).alerts;
  return fired!.id;
}

async function delivery(hub: Hub, eventId: string) {
  const all = (await hub.alerts.list({ limit: 500 })).alerts;
  return all.find((alert) => alert.id === eventId)!.deliveries[0]!;
}

describe("alert webhooks", () => {
  it("delivers each alert signed in the Standard Webhooks format, which the receiver verifies with the standardwebhooks package", async () => {
    const { receiver, hub } = await setup();
    const first = await fireAlert(hub);
    const second = await fireAlert(hub);
    expect(await hub.alerts.deliver()).toMatchObject({ claimed: 2, delivered: 2, retryLater: 0, dead: 0 });
    expect(receiver.received.map((r) => r.headers["webhook-id"]).sort()).toEqual([first, second].sort());
    expect(receiver.received.every((r) => r.verified)).toBe(true);
    const request = receiver.received.find((r) => r.headers["webhook-id"] === first)!;
    expect(request.headers["content-type"]).toBe("application/json");
    expect(request.headers["webhook-signature"]).toMatch(/^v1,[A-Za-z0-9+/]+=*$/);
    expect(JSON.parse(request.body)).toMatchObject({ type: "alert.usage", data: { id: first, alert: "api_80", threshold: "80", value: "85" } });
    expect(await delivery(hub, first)).toMatchObject({ status: "delivered", attempts: 1, lastStatus: 204, lastError: null });
    // Delivered rows are not sent again.
    expect(await hub.alerts.deliver()).toMatchObject({ claimed: 0 });
  });

  it("signs with the endpoint's own secret: a receiver holding another secret rejects the signature", async () => {
    const { hub } = await setup();
    const eventId = await fireAlert(hub);
    const other = await startReceiver(webhookSecret());
    open.push(other);
    await postDelivery({ url: other.url, secret }, { eventId, body: '{"type":"alert.usage"}' }, { timeoutMs: 5_000, at: new Date() });
    expect(other.received).toHaveLength(1);
    expect(other.received[0]!.verified).toBe(false);
  });

  it("retries an endpoint answering 500 with backoff, then marks the delivery dead; a replay delivers it with the same event id", async () => {
    let failing = true;
    const { receiver, hub } = await setup(() => (failing ? 500 : 204), { maxAttempts: 3 });
    const eventId = await fireAlert(hub);
    expect(await hub.alerts.deliver()).toMatchObject({ claimed: 3, retryLater: 2, dead: 1, delivered: 0 });
    expect(receiver.received).toHaveLength(3);
    expect(await delivery(hub, eventId)).toMatchObject({ status: "dead", attempts: 3, lastStatus: 500, lastError: "Gave up after 3 attempts: HTTP 500: receiver unavailable" });
    expect((await hub.alerts.list({ status: "dead" })).alerts.map((a) => a.id)).toContain(eventId);

    failing = false;
    expect(await hub.alerts.replay({ dead: true })).toEqual({ replayed: 1, notDead: [] });
    expect(await hub.alerts.deliver()).toMatchObject({ claimed: 1, delivered: 1 });
    expect(await delivery(hub, eventId)).toMatchObject({ status: "delivered", attempts: 1 });
    expect(new Set(receiver.received.map((r) => r.headers["webhook-id"]))).toEqual(new Set([eventId]));
    expect(new Set(receiver.received.map((r) => r.body)).size).toBe(1);
    expect(receiver.received.every((r) => r.verified)).toBe(true);
  });

  it("waits out the backoff before the next attempt: a failed delivery is not due again at once", async () => {
    const { receiver, hub } = await setup(() => 503, { backoffBaseMs: 60_000, backoffCapMs: 600_000 });
    const eventId = await fireAlert(hub);
    expect(await hub.alerts.deliver()).toMatchObject({ claimed: 1, retryLater: 1 });
    expect(await hub.alerts.deliver()).toMatchObject({ claimed: 0 });
    expect(receiver.received).toHaveLength(1);
    const state = await delivery(hub, eventId);
    expect(state).toMatchObject({ status: "pending", attempts: 1, lastStatus: 503 });
    // Equal jitter: at least half of the first 60 s step.
    expect(state.nextAttemptAt.getTime() - state.lastAttemptAt!.getTime()).toBeGreaterThanOrEqual(29_000);
  });

  it("honours an endpoint's Retry-After when it asks for longer than the backoff", async () => {
    const receiver = await startReceiver(secret);
    open.push(receiver);
    const answer = await postDelivery({ url: receiver.url, secret }, { eventId: "evt_x", body: "{}" }, { timeoutMs: 5_000, at: new Date(), fetch: async () => new Response("busy", { status: 429, headers: { "retry-after": "120" } }) });
    expect(answer).toMatchObject({ ok: false, status: 429, retryAfterSeconds: 120 });
  });

  it("counts an endpoint that does not answer in time as a failed attempt, and gives up after the attempts allowed", async () => {
    const { receiver, hub } = await setup(() => "hang", { timeoutMs: 200, leaseMs: 1_000, maxAttempts: 2 });
    const eventId = await fireAlert(hub);
    expect(await hub.alerts.deliver()).toMatchObject({ claimed: 2, retryLater: 1, dead: 1 });
    expect(receiver.received).toHaveLength(2);
    expect(await delivery(hub, eventId)).toMatchObject({ status: "dead", attempts: 2, lastStatus: null, lastError: "Gave up after 2 attempts: no answer within 200 ms" });
  });

  it("redelivers with the same event id when a sender dies after sending and before marking the delivery", async () => {
    const { receiver, hub, config } = await setup(undefined, { leaseMs: 1_000, timeoutMs: 500 });
    const eventId = await fireAlert(hub);
    // The sender that dies: it claims the delivery (a lease of 1 s), sends it, and is gone before settling.
    const [claimed, ...others] = await claimDeliveries(store, { limit: 10, leaseMs: 1_000, claimId: randomUUID(), claimedBy: "doomed:1" });
    expect(others).toEqual([]);
    expect(await postDelivery(config.alerts.endpoints.ops, claimed!, { timeoutMs: 5_000, at: new Date() })).toMatchObject({ ok: true });
    expect(await delivery(hub, eventId)).toMatchObject({ status: "pending", attempts: 1 });
    // Another sender takes the delivery over once the dead sender's lease has run out.
    await waitFor("the delivery to be sent again", async () => (await hub.alerts.deliver()).delivered === 1, { intervalMs: 100 });
    expect(receiver.received.map((r) => r.headers["webhook-id"])).toEqual([eventId, eventId]);
    expect(receiver.received[0]!.body).toBe(receiver.received[1]!.body);
    expect(receiver.received.every((r) => r.verified)).toBe(true);
    expect(await delivery(hub, eventId)).toMatchObject({ status: "delivered", attempts: 2 });
  });

  it("marks dead at once a delivery whose endpoint is no longer configured", async () => {
    const { hub } = await setup();
    const eventId = await fireAlert(hub);
    const without = await createHub({ catalog: alertsCatalog, alerts: { endpoints: {} } }, { store, now: clock.now });
    open.push(without);
    expect(await without.alerts.deliver()).toMatchObject({ claimed: 1, dead: 1 });
    expect((await delivery(hub, eventId)).lastError).toContain('endpoint "ops" is no longer configured');
  });

  it("sends alerts from the service by itself, and stops sending when it shuts down", async () => {
    const { receiver, hub } = await setup(undefined, { pollIntervalMs: 20 });
    // The service closes the hub it serves.
    open.splice(open.indexOf(hub), 1);
    const server = await startServer(hub, { port: 0, host: "127.0.0.1", log: () => {} });
    try {
      const eventId = await fireAlert(hub);
      await waitFor("the service to deliver the alert", () => receiver.received.some((r) => r.headers["webhook-id"] === eventId));
    } finally {
      await server.close();
    }
  });

  it("refuses a replay of an event it does not know, naming the field", async () => {
    const { hub } = await setup();
    await expect(hub.alerts.replay({ eventId: `evt_${"0".repeat(32)}` })).rejects.toMatchObject({ code: "NOT_FOUND", field: "eventId" });
    await expect(hub.alerts.replay({ eventId: "nope" })).rejects.toMatchObject({ code: "VALIDATION_FAILED" });
  });
});
