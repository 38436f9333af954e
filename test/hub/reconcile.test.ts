import { setupServer } from "msw/node";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { Hub } from "../../src/hub.ts";
import { parsePeriod } from "../../src/hub/reconcile.ts";
import { clearUsage, forwarderConfig, forwarderHub } from "../support/forwarder.ts";
import { createStripeStandIn } from "../support/msw/stripe.ts";
import { driverName, openTestStore, type TestStore } from "../support/store.ts";
import { NOW } from "../support/usage-events.ts";

const stripe = createStripeStandIn({ now: () => NOW });
const server = setupServer(...stripe.handlers);

let store: TestStore;
let hub: Hub;

beforeAll(async () => {
  server.listen({ onUnhandledRequest: "error" });
  store = await openTestStore();
  hub = await forwarderHub(store, forwarderConfig({ default: "stripe" }, { forwarder: { backoffBaseMs: 0 } }));
  await hub.upsertCustomer({ id: "rc_a", providerIds: { stripe: "cus_rc_a" } });
  await hub.upsertCustomer({ id: "rc_b", providerIds: { stripe: "cus_rc_b" } });
  await hub.upsertCustomer({ id: "rc_unlinked" });
});
beforeEach(async () => {
  await clearUsage(store);
  stripe.putMeter({ eventName: "api_call" });
  stripe.putMeter({ eventName: "llm_tokens" });
});
afterEach(() => {
  server.resetHandlers();
  stripe.reset();
});
afterAll(async () => {
  await hub.close();
  server.close();
  await store.cleanup();
});

const record = (transactionId: string, customerId: string, quantity: number, meter = "api_calls", timestamp?: string) =>
  hub.record({ customerId, meter, quantity, transactionId, ...(timestamp ? { timestamp } : {}) });

describe(`reconciling the ledger with Stripe (${driverName})`, () => {
  it("finds no difference once everything is delivered, comparing every Stripe customer × mapped meter", async () => {
    await record("rc_1", "rc_a", 1500);
    await record("rc_2", "rc_a", 500);
    await record("rc_3", "rc_b", 7, "llm_tokens");
    await hub.outbox.drain();
    expect(await hub.reconcile({ provider: "stripe", period: "2026-03" })).toEqual({
      provider: "stripe",
      from: new Date("2026-03-01T00:00:00Z"),
      to: new Date("2026-04-01T00:00:00Z"),
      compared: 4,
      differences: [],
    });
    expect(stripe.calls("list_meters")).toHaveLength(1);
    expect(stripe.calls("meter_event_summaries")).toHaveLength(4);
  });

  it("reports usage Stripe does not have yet, with the undelivered and dead rows that explain it", async () => {
    await record("rc_sent", "rc_a", 10);
    await hub.outbox.drain();
    await record("rc_queued", "rc_a", 4);
    expect((await hub.reconcile({ provider: "stripe", period: "2026-03", customerId: "rc_a" })).differences).toEqual([
      { customerId: "rc_a", providerCustomerId: "cus_rc_a", meter: "api_calls", ledger: "14", provider: "10", difference: "-4", pending: 1, dead: 0, note: "1 not delivered yet" },
    ]);
  });

  it("reports usage Stripe holds that the ledger does not (sent from elsewhere)", async () => {
    await hub.providers.get("stripe").pushUsage([{ transactionId: "rc_foreign", customerId: "rc_b", providerCustomerId: "cus_rc_b", meter: "llm_tokens", quantity: "250", timestamp: NOW, properties: {} }]);
    expect((await hub.reconcile({ provider: "stripe", period: "2026-03", customerId: "rc_b" })).differences).toEqual([
      { customerId: "rc_b", providerCustomerId: "cus_rc_b", meter: "llm_tokens", ledger: "0", provider: "250", difference: "250", pending: 0, dead: 0, note: null },
    ]);
  });

  it("counts only usage timestamped inside the period, on both sides", async () => {
    await record("rc_feb", "rc_a", 9, "api_calls", "2026-02-28T23:59:59Z");
    await record("rc_mar", "rc_a", 3, "api_calls", "2026-03-01T00:00:00Z");
    await hub.outbox.drain();
    const report = await hub.reconcile({ provider: "stripe", period: "2026-03-01..2026-03-02", customerId: "rc_a" });
    expect(report).toMatchObject({ compared: 2, differences: [] });
    expect((await hub.reconcile({ provider: "stripe", period: "2026-02", customerId: "rc_a" })).differences).toEqual([]);
  });

  it("reports a customer whose Stripe-bound usage has no Stripe customer id", async () => {
    await record("rc_orphan", "rc_unlinked", 5);
    await hub.outbox.drain();
    expect((await hub.reconcile({ provider: "stripe", period: "2026-03", customerId: "rc_unlinked" })).differences).toEqual([
      { customerId: "rc_unlinked", providerCustomerId: null, meter: "api_calls", ledger: "5", provider: null, difference: null, pending: 0, dead: 1, note: "billhub has no stripe customer id for this customer; 1 dead in the outbox" },
    ]);
  });

  it("reports a mapped meter Stripe has no meter for, naming the event name", async () => {
    stripe.reset();
    stripe.putMeter({ eventName: "api_call" });
    const { differences } = await hub.reconcile({ provider: "stripe", period: "2026-03", customerId: "rc_a" });
    expect(differences).toEqual([
      expect.objectContaining({ meter: "llm_tokens", provider: null, difference: null, note: expect.stringContaining('Stripe has no meter with event_name "llm_tokens"') }),
    ]);
  });

  it("retries Stripe's rate limits and outages while reading", async () => {
    await record("rc_retry", "rc_a", 2);
    await hub.outbox.drain();
    stripe.inject("list_meters", { kind: "server_error" });
    stripe.inject("meter_event_summaries", { kind: "rate_limit" }, 2);
    expect(await hub.reconcile({ provider: "stripe", period: "2026-03", customerId: "rc_a" })).toMatchObject({ compared: 2, differences: [] });
  });

  it("fails with Stripe's refusal of the API key instead of reporting differences", async () => {
    stripe.inject("list_meters", { kind: "response", status: 401, body: { error: { message: "Invalid API Key provided: sk_****", type: "invalid_request_error" } } });
    await expect(hub.reconcile({ provider: "stripe", period: "2026-03", customerId: "rc_a" })).rejects.toMatchObject({ code: "PROVIDER_AUTH_FAILED" });
  });

  it("refuses providers it cannot read back and periods it cannot read", async () => {
    await expect(hub.reconcile({ provider: "flowglad", period: "2026-03" })).rejects.toMatchObject({ code: "PROVIDER_UNSUPPORTED", message: expect.stringContaining("reconcile supports: stripe") });
    await expect(hub.reconcile({ provider: "paypal", period: "2026-03" })).rejects.toMatchObject({ code: "UNKNOWN_PROVIDER" });
    await expect(hub.reconcile({ provider: "stripe", period: "2026-13" })).rejects.toMatchObject({ code: "VALIDATION_FAILED", field: "period" });
  });
});

describe("reconcile periods", () => {
  it("reads a month and a range of days as half-open UTC windows", () => {
    expect(parsePeriod("2026-12")).toEqual({ from: new Date("2026-12-01T00:00:00Z"), to: new Date("2027-01-01T00:00:00Z") });
    expect(parsePeriod("2026-10-01..2026-10-15")).toEqual({ from: new Date("2026-10-01T00:00:00Z"), to: new Date("2026-10-15T00:00:00Z") });
  });

  it("refuses what is not a period, naming the forms it takes", () => {
    for (const bad of ["2026-13", "2026-02-30..2026-03-01", "2026-10-15..2026-10-01", "October", "2026-10-01"]) {
      expect(() => parsePeriod(bad)).toThrow(expect.objectContaining({ code: "VALIDATION_FAILED", field: "period", message: expect.stringContaining("give a month (2026-10)") }));
    }
  });

  it("refuses periods outside 1970 up to the year 10000 instead of reading 0000-01 as 1900-01", () => {
    for (const bad of ["0000-01", "0099-12", "9999-12", "1969-12-01..1970-01-02", { from: new Date("0001-01-01T00:00:00Z"), to: new Date("2026-01-01T00:00:00Z") }]) {
      expect(() => parsePeriod(bad as string), JSON.stringify(bad)).toThrow(expect.objectContaining({ code: "VALIDATION_FAILED", field: "period", message: expect.stringContaining("1970-01-01") }));
    }
    expect(parsePeriod("9999-11")).toEqual({ from: new Date("9999-11-01T00:00:00Z"), to: new Date("9999-12-01T00:00:00Z") });
  });
});
