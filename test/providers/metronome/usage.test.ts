import { setupServer } from "msw/node";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { parseConfig } from "../../../src/config/load.ts";
import type { HubConfigInput } from "../../../src/config/schema.ts";
import { createMetronomeClient } from "../../../src/providers/metronome/client.ts";
import { createMetronomeProvider } from "../../../src/providers/metronome/provider.ts";
import type { PushOutcome } from "../../../src/providers/types.ts";
import { skippingClock } from "../../support/forwarder.ts";
import { createMetronomeStandIn } from "../../support/msw/metronome.ts";
import { NOW, usageEvent, usageEvents } from "../../support/usage-events.ts";

const BASE = "https://metronome.test";
const DAY_MS = 86_400_000;
const metronome = createMetronomeStandIn({ baseUrl: BASE, token: "mt_test_token", now: () => NOW, metrics: { bm_api: { eventType: "api_call", property: "calls" } } });
const server = setupServer(...metronome.handlers);

beforeAll(() => server.listen({ onUnhandledRequest: "error" }));
afterEach(() => {
  server.resetHandlers();
  metronome.reset();
});
afterAll(() => server.close());

function provider(section: Partial<NonNullable<HubConfigInput["metronome"]>> = {}) {
  const config = parseConfig({
    provider: { default: "metronome" },
    metronome: { secretKey: "mt_test_token", baseUrl: BASE, meters: { api_calls: { eventType: "api_call", quantityProperty: "calls", billableMetricId: "bm_api" } }, ...section },
  }).metronome!;
  return createMetronomeProvider({ client: createMetronomeClient(config), config, now: () => NOW, limiterClock: skippingClock() });
}

function errorOf(outcome: PushOutcome | undefined) {
  if (outcome === undefined || !("error" in outcome)) throw new Error(`expected a failed outcome, got ${JSON.stringify(outcome)}`);
  return outcome.error;
}

describe("Metronome usage", () => {
  it("ingests a batch in one request: billhub's transactionId, the customer's Metronome id or alias, the event type and the quantity as an exact decimal string", async () => {
    const events = [usageEvent({ quantity: "3", providerCustomerId: "d7abd0cd-4ae9-4db7-8676-e986a4ebd8dc" }), usageEvent({ quantity: "0.125", providerCustomerId: undefined, properties: { model: "large" } })];
    expect(await provider().pushUsage(events)).toEqual(events.map((e) => ({ transactionId: e.transactionId, status: "delivered" })));
    expect(metronome.calls("ingest")).toHaveLength(1);
    expect(metronome.events()).toEqual([
      { transaction_id: events[0]!.transactionId, customer_id: "d7abd0cd-4ae9-4db7-8676-e986a4ebd8dc", event_type: "api_call", timestamp: events[0]!.timestamp.toISOString(), properties: { calls: "3" } },
      { transaction_id: events[1]!.transactionId, customer_id: "acme", event_type: "api_call", timestamp: events[1]!.timestamp.toISOString(), properties: { model: "large", calls: "0.125" } },
    ]);
  });

  it("answers a resent batch as delivered and Metronome holds each transaction once", async () => {
    const events = usageEvents(3);
    await provider().pushUsage(events);
    const again = await provider().pushUsage(events);
    expect(again.map((outcome) => outcome.status)).toEqual(["delivered", "delivered", "delivered"]);
    expect(metronome.events().map((e) => e.transaction_id)).toEqual(events.map((e) => e.transactionId));
  });

  it("sends at most 100 events per request, Metronome's documented batch size", async () => {
    const events = usageEvents(250);
    const outcomes = await provider().pushUsage(events);
    expect(outcomes.every((outcome) => outcome.status === "delivered")).toBe(true);
    expect(metronome.calls("ingest").map((call) => (call.body as unknown[]).length)).toEqual([100, 100, 50]);
  });

  it("finds the event Metronome refuses (400) by sending a refused request's events one by one, delivering the rest", async () => {
    const events = [usageEvent(), usageEvent({ providerCustomerId: "" }), usageEvent()];
    const outcomes = await provider().pushUsage(events);
    expect(outcomes.map((outcome) => outcome.status)).toEqual(["delivered", "permanent", "delivered"]);
    expect(errorOf(outcomes[1])).toMatchObject({ code: "PROVIDER_REJECTED", retryable: false, provider: "metronome", message: expect.stringContaining("customer_id is required") });
    expect(metronome.events().map((e) => e.transaction_id)).toEqual([events[0]!.transactionId, events[2]!.transactionId]);
  });

  it("refuses a token Metronome does not accept (401) for every event, without sending the rest", async () => {
    const outcomes = await provider({ secretKey: "mt_wrong" }).pushUsage(usageEvents(150));
    expect(outcomes.every((outcome) => outcome.status === "permanent")).toBe(true);
    expect(errorOf(outcomes[0])).toMatchObject({ code: "PROVIDER_AUTH_FAILED", message: expect.stringContaining("METRONOME_BEARER_TOKEN") });
    expect(errorOf(outcomes[149]).code).toBe("PROVIDER_AUTH_FAILED");
    expect(metronome.calls("ingest")).toHaveLength(1);
  });

  it("answers 429 as retryable after Metronome's Retry-After, and the retry delivers", async () => {
    metronome.inject("ingest", { kind: "rate_limit", retryAfter: "7" });
    const events = usageEvents(2);
    const first = await provider().pushUsage(events);
    expect(first.map((outcome) => outcome.status)).toEqual(["retryable", "retryable"]);
    expect(errorOf(first[0])).toMatchObject({ code: "PROVIDER_RATE_LIMITED", retryAfterSeconds: 7 });
    expect(metronome.events()).toEqual([]);
    expect((await provider().pushUsage(events)).map((outcome) => outcome.status)).toEqual(["delivered", "delivered"]);
  });

  it("answers a 5xx and a lost connection as retryable, and a resend after a reply lost in transit counts the usage once", async () => {
    metronome.inject("ingest", { kind: "server_error", status: 503 });
    expect(errorOf((await provider().pushUsage([usageEvent()]))[0])).toMatchObject({ code: "PROVIDER_UNAVAILABLE", retryable: true });
    metronome.inject("ingest", { kind: "reset_after_processing" });
    const events = usageEvents(2);
    expect((await provider().pushUsage(events)).map((outcome) => outcome.status)).toEqual(["retryable", "retryable"]);
    expect((await provider().pushUsage(events)).map((outcome) => outcome.status)).toEqual(["delivered", "delivered"]);
    expect(metronome.events().map((e) => e.transaction_id)).toEqual(events.map((e) => e.transactionId));
  });

  it("gives up on a request Metronome does not answer within metronome.timeoutMs, as retryable", async () => {
    metronome.inject("ingest", { kind: "timeout", holdMs: 5_000 });
    const outcomes = await provider({ timeoutMs: 200 }).pushUsage([usageEvent()]);
    expect(errorOf(outcomes[0])).toMatchObject({ code: "PROVIDER_UNAVAILABLE", retryable: true });
  });

  it("refuses before sending: usage older than the 34-day window, more than 24 h ahead, negative, or on an unmapped meter", async () => {
    const events = [
      usageEvent({ timestamp: new Date(NOW.getTime() - 35 * DAY_MS) }),
      usageEvent({ timestamp: new Date(NOW.getTime() + 2 * DAY_MS) }),
      usageEvent({ quantity: "-2" }),
      usageEvent({ meter: "storage_gb" }),
      usageEvent({ timestamp: new Date(NOW.getTime() - 33 * DAY_MS) }),
    ];
    const outcomes = await provider().pushUsage(events);
    expect(outcomes.map((outcome) => ("error" in outcome ? [outcome.status, outcome.error.code] : [outcome.status]))).toEqual([
      ["permanent", "USAGE_TOO_OLD"],
      ["retryable", "USAGE_IN_FUTURE"],
      ["permanent", "PROVIDER_UNSUPPORTED"],
      ["permanent", "UNKNOWN_METER"],
      ["delivered"],
    ]);
    expect(errorOf(outcomes[3])).toMatchObject({ field: "metronome.meters.storage_gb" });
    expect(metronome.events().map((e) => e.transaction_id)).toEqual([events[4]!.transactionId]);
  });

  it("keeps resends inside Metronome's 34-day deduplication window", () => {
    expect(provider().resendWindowMs).toBe(34 * DAY_MS);
  });
});

describe("Metronome usage totals (reconcile)", () => {
  it("reads the billable metric's total for the customer over the window", async () => {
    const customer = "d7abd0cd-4ae9-4db7-8676-e986a4ebd8dc";
    await provider().pushUsage([usageEvent({ quantity: "3", providerCustomerId: customer }), usageEvent({ quantity: "4.5", providerCustomerId: customer }), usageEvent({ quantity: "9", providerCustomerId: "other" })]);
    const total = await provider().readUsageTotal({ meter: "api_calls", providerCustomerId: customer, from: new Date(NOW.getTime() - DAY_MS), to: NOW });
    expect(total).toEqual({ value: "7.5", aggregation: "sum" });
    expect(metronome.calls("usage")[0]!.body).toMatchObject({ window_size: "NONE", customer_ids: [customer], billable_metrics: [{ id: "bm_api" }] });
  });

  it("answers 0 when Metronome has no usage, and UNKNOWN_METER for a meter with no billable metric", async () => {
    expect(await provider().readUsageTotal({ meter: "api_calls", providerCustomerId: "nobody", from: new Date(NOW.getTime() - DAY_MS), to: NOW })).toEqual({ value: "0", aggregation: "sum" });
    await expect(provider({ meters: { api_calls: { eventType: "api_call" } } }).readUsageTotal({ meter: "api_calls", providerCustomerId: "x", from: NOW, to: NOW })).rejects.toMatchObject({
      code: "UNKNOWN_METER",
      field: "metronome.meters.api_calls.billableMetricId",
    });
  });

  it("reads each billable metric's aggregation once", async () => {
    const reconciler = provider();
    const query = { meter: "api_calls", providerCustomerId: "x", from: new Date(NOW.getTime() - DAY_MS), to: NOW };
    await reconciler.readUsageTotal(query);
    await reconciler.readUsageTotal(query);
    expect(metronome.calls("billable_metric")).toHaveLength(1);
    expect(metronome.calls("usage")).toHaveLength(2);
  });

  it("throws a retryable error when Metronome rate-limits the query", async () => {
    metronome.inject("usage", { kind: "rate_limit", retryAfter: "2" });
    await expect(provider().readUsageTotal({ meter: "api_calls", providerCustomerId: "x", from: NOW, to: NOW })).rejects.toMatchObject({ code: "PROVIDER_RATE_LIMITED", retryable: true, retryAfterSeconds: 2 });
  });
});
