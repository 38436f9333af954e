import { setupServer } from "msw/node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Hub } from "../../src/hub.ts";
import { FLOWGLAD_URL, forwarderConfig, forwarderHub } from "../support/forwarder.ts";
import { createFlowgladStandIn } from "../support/msw/flowglad.ts";
import { createStripeStandIn } from "../support/msw/stripe.ts";
import { driverName, openTestStore, type TestStore } from "../support/store.ts";
import { NOW } from "../support/usage-events.ts";

const stripe = createStripeStandIn({ now: () => NOW });
const flowglad = createFlowgladStandIn({ baseUrl: FLOWGLAD_URL, now: () => NOW });
const server = setupServer(...stripe.handlers, ...flowglad.handlers);

let store: TestStore;
let hub: Hub;

beforeAll(async () => {
  server.listen({ onUnhandledRequest: "error" });
  store = await openTestStore();
  // A minute's backoff: a failed row cannot come due again while the drain still runs, however slow the machine.
  hub = await forwarderHub(store, forwarderConfig({ default: "stripe", mirror: ["flowglad"] }, { forwarder: { quickRetries: 0, backoffBaseMs: 60_000, backoffCapMs: 600_000 } }));
  await hub.upsertCustomer({ id: "os_a", providerIds: { stripe: "cus_os_a" } });
  await hub.upsertCustomer({ id: "os_unlinked" });
  // The mirror, Flowglad, is down for the whole file: its rows keep waiting for a retry.
  flowglad.injectRandom("billing", { probability: 1, faults: [{ kind: "server_error" }], seed: 1 });
  for (let i = 0; i < 5; i += 1) await hub.record({ customerId: "os_a", meter: "api_calls", quantity: 1, transactionId: `os_${i}` });
  await hub.record({ customerId: "os_unlinked", meter: "api_calls", quantity: 1, transactionId: "os_dead" });
});
afterAll(async () => {
  await hub.close();
  server.close();
  await store.cleanup();
});

describe(`the outbox's status (${driverName})`, () => {
  it("counts rows per provider and status before anything is forwarded, with the oldest row's age", async () => {
    const status = await hub.outbox.status();
    expect(status.providers.map(({ oldestPendingAt, oldestPendingAgeSeconds, ...counts }) => counts)).toEqual([
      { provider: "flowglad", pending: 6, due: 6, inFlight: 0, delivered: 0, dead: 0 },
      { provider: "stripe", pending: 6, due: 6, inFlight: 0, delivered: 0, dead: 0 },
    ]);
    expect(status.providers[0]!.oldestPendingAgeSeconds).toBeGreaterThanOrEqual(0);
    expect(status.totals).toEqual({ pending: 12, due: 12, inFlight: 0, delivered: 0, dead: 0 });
  });

  it("shows delivered, dead and waiting rows after forwarding, and exposes them at /metrics", async () => {
    expect(await hub.outbox.drain()).toEqual({ claimed: 12, delivered: 5, alreadyDelivered: 0, retryLater: 6, dead: 1, leaseLost: 0 });
    const status = await hub.outbox.status();
    expect(status.providers.map(({ oldestPendingAt, oldestPendingAgeSeconds, ...counts }) => counts)).toEqual([
      { provider: "flowglad", pending: 6, due: 0, inFlight: 0, delivered: 0, dead: 0 },
      { provider: "stripe", pending: 0, due: 0, inFlight: 0, delivered: 5, dead: 1 },
    ]);
    expect(status.providers.find((p) => p.provider === "stripe")!.oldestPendingAt).toBeNull();
    const metrics = await hub.metrics.render();
    expect(metrics).toContain('billhub_outbox_pending{provider="flowglad"} 6');
    expect(metrics).toContain('billhub_outbox_deliveries_total{outcome="retry_later",provider="flowglad"} 6');
    expect(metrics).toContain('billhub_outbox_dead{provider="stripe"} 1');
    expect(metrics).toContain('billhub_outbox_pending{provider="stripe"} 0');
    expect(metrics).toContain('billhub_outbox_deliveries_total{outcome="delivered",provider="stripe"} 5');
    expect(metrics).toContain('billhub_outbox_deliveries_total{outcome="dead",provider="stripe"} 1');
    expect(metrics).toMatch(/billhub_outbox_push_duration_seconds_count\{provider="stripe"\} \d+/);
    expect(metrics).toMatch(/billhub_outbox_oldest_pending_age_seconds\{provider="stripe"\} 0/);
  });
});

describe(`listing outbox rows (${driverName})`, () => {
  it("lists rows oldest first, filtered by status and provider, with the last error", async () => {
    const { rows, nextCursor } = await hub.outbox.list({ status: "dead", provider: "stripe" });
    expect(rows.map((row) => [row.transactionId, row.provider, row.status, row.attempts, row.lastErrorCode])).toEqual([["os_dead", "stripe", "dead", 1, "PROVIDER_CUSTOMER_MISSING"]]);
    expect(rows[0]!.lastError).toContain("set provider_ids.stripe");
    expect(nextCursor).toBeNull();
  });

  it("pages through every row exactly once with the cursor", async () => {
    const seen: string[] = [];
    let cursor: string | undefined;
    for (let page = 0; page < 10; page += 1) {
      const result = await hub.outbox.list({ limit: 5, ...(cursor ? { cursor } : {}) });
      seen.push(...result.rows.map((row) => `${row.transactionId}→${row.provider}`));
      if (result.nextCursor === null) break;
      cursor = result.nextCursor;
    }
    expect(seen).toHaveLength(12);
    expect(seen.slice(0, 2)).toEqual(["os_0→flowglad", "os_0→stripe"]);
    expect(new Set(seen).size).toBe(12);
  });

  it("refuses a bad filter or a cursor it did not hand out, naming the field", async () => {
    await expect(hub.outbox.list({ status: "lost" as never })).rejects.toMatchObject({ code: "VALIDATION_FAILED", field: "query.status" });
    await expect(hub.outbox.list({ limit: 0 })).rejects.toMatchObject({ code: "VALIDATION_FAILED", field: "query.limit" });
    await expect(hub.outbox.list({ cursor: "bm9wZQ" })).rejects.toMatchObject({ code: "VALIDATION_FAILED", field: "cursor" });
  });

  it("refuses a drain batch size outside forwarder.batchSize's bounds (1 to 5000)", async () => {
    await expect(hub.outbox.drain({ batchSize: 0 })).rejects.toMatchObject({ code: "VALIDATION_FAILED", field: "options.batchSize" });
    await expect(hub.outbox.drain({ batchSize: 5001 })).rejects.toMatchObject({ code: "VALIDATION_FAILED", field: "options.batchSize" });
    await expect(hub.outbox.drain({ batchSize: 5000 })).resolves.toMatchObject({ claimed: expect.any(Number) });
  });
});
