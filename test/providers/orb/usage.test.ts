import { describe, expect, it } from "vitest";
import { parseConfig } from "../../../src/config/load.ts";
import type { HubConfigInput } from "../../../src/config/schema.ts";
import { createOrbClient } from "../../../src/providers/orb/client.ts";
import { createOrbProvider } from "../../../src/providers/orb/provider.ts";
import type { BillingProvider, PushOutcome } from "../../../src/providers/types.ts";
import { skippingClock } from "../../support/forwarder.ts";
import { createOrbStandIn } from "../../support/msw/orb.ts";
import { useStandIns } from "../../support/msw/use-stand-ins.ts";
import { NOW, usageEvent, usageEvents } from "../../support/usage-events.ts";

const BASE = "https://orb.test/v1";
const HOUR_MS = 3_600_000;
const orb = createOrbStandIn({ baseUrl: BASE, token: "orb_test_key", now: () => NOW, gracePeriodHours: 12, metrics: { bm_api: { eventName: "api_call", property: "calls" }, bm_other: { eventName: "other", sql: "SELECT count(DISTINCT user_id) FROM events WHERE event_name = 'other'" } } });
useStandIns(orb);

function provider(section: Partial<NonNullable<HubConfigInput["orb"]>> = {}) {
  const config = parseConfig({
    provider: { default: "orb" },
    orb: { secretKey: "orb_test_key", baseUrl: BASE, meters: { api_calls: { eventName: "api_call", quantityProperty: "calls", billableMetricId: "bm_api" } }, ...section },
  }).orb!;
  return createOrbProvider({ client: createOrbClient(config), config, now: () => NOW, limiterClock: skippingClock() });
}

function errorOf(outcome: PushOutcome | undefined) {
  if (outcome === undefined || !("error" in outcome)) throw new Error(`expected a failed outcome, got ${JSON.stringify(outcome)}`);
  return outcome.error;
}

describe("Orb usage", () => {
  it("ingests a batch in one request: billhub's transactionId as idempotency_key, the customer's external_customer_id, the event name and the quantity as an exact number", async () => {
    const events = [usageEvent({ quantity: "3", providerCustomerId: "acme-ext" }), usageEvent({ quantity: "0.125", providerCustomerId: undefined, properties: { model: "large" } })];
    expect(await provider().pushUsage(events)).toEqual(events.map((e) => ({ transactionId: e.transactionId, status: "delivered" })));
    expect(orb.calls("ingest")).toHaveLength(1);
    expect(orb.events()).toEqual([
      { idempotency_key: events[0]!.transactionId, external_customer_id: "acme-ext", event_name: "api_call", timestamp: events[0]!.timestamp.toISOString(), properties: { calls: 3 } },
      { idempotency_key: events[1]!.transactionId, external_customer_id: "acme", event_name: "api_call", timestamp: events[1]!.timestamp.toISOString(), properties: { model: "large", calls: 0.125 } },
    ]);
  });

  it("lets the forwarder own retries: the SDK makes one request per call, under a fresh Idempotency-Key of its own", async () => {
    orb.inject("ingest", { kind: "server_error", status: 503 });
    expect((await provider().pushUsage([usageEvent()]))[0]!.status).toBe("retryable");
    expect(orb.calls("ingest")).toHaveLength(1);
    await provider().pushUsage([usageEvent()]);
    const keys = orb.calls("ingest").map((call) => call.headers.get("idempotency-key"));
    expect(keys[0]).toMatch(/^stainless-node-retry-/);
    expect(keys[1]).not.toBe(keys[0]);
  });

  it("answers a resent batch as delivered and Orb holds each idempotency key once", async () => {
    const events = usageEvents(3);
    await provider().pushUsage(events);
    const again = await provider().pushUsage(events);
    expect(again.map((outcome) => outcome.status)).toEqual(["delivered", "delivered", "delivered"]);
    expect(orb.events().map((e) => e.idempotency_key)).toEqual(events.map((e) => e.transactionId));
  });

  it("sends at most 500 events per request", async () => {
    const outcomes = await provider().pushUsage(usageEvents(1200));
    expect(outcomes.every((outcome) => outcome.status === "delivered")).toBe(true);
    expect(orb.calls("ingest").map((call) => (call.body as { events: unknown[] }).events.length)).toEqual([500, 500, 200]);
  });

  it("finds the event Orb refuses (400 request-validation-errors) by sending the events one by one, delivering the rest once", async () => {
    const events = [usageEvent(), usageEvent({ providerCustomerId: "" }), usageEvent()];
    const outcomes = await provider().pushUsage(events);
    expect(outcomes.map((outcome) => outcome.status)).toEqual(["delivered", "permanent", "delivered"]);
    expect(errorOf(outcomes[1])).toMatchObject({ code: "PROVIDER_REJECTED", retryable: false, provider: "orb", message: expect.stringContaining("exactly one of customer_id and external_customer_id") });
    expect(orb.events().map((e) => e.idempotency_key)).toEqual([events[0]!.transactionId, events[2]!.transactionId]);
  });

  it("ends usage older than the grace period as USAGE_TOO_OLD (permanent, with how to backfill it), whether refused before sending or by Orb", async () => {
    const old = usageEvent({ timestamp: new Date(NOW.getTime() - 13 * HOUR_MS) });
    const [refusedByOrb] = await provider().pushUsage([old]);
    expect(errorOf(refusedByOrb)).toMatchObject({ code: "USAGE_TOO_OLD", retryable: false, provider: "orb", field: "timestamp", message: expect.stringContaining("backfill") });
    expect(refusedByOrb!.status).toBe("permanent");

    const calls = orb.calls("ingest").length;
    const [refusedBefore] = await provider({ gracePeriodHours: 12 }).pushUsage([usageEvent({ timestamp: new Date(NOW.getTime() - 13 * HOUR_MS) })]);
    expect(errorOf(refusedBefore)).toMatchObject({ code: "USAGE_TOO_OLD", message: expect.stringContaining("12-hour grace period") });
    expect(orb.calls("ingest")).toHaveLength(calls);
    expect(orb.events()).toEqual([]);
  });

  it("refuses before sending: more than 5 minutes ahead (retryable), negative, more digits than a number carries, or an unmapped meter", async () => {
    const events = [
      usageEvent({ timestamp: new Date(NOW.getTime() + 10 * 60_000) }),
      usageEvent({ quantity: "-2" }),
      usageEvent({ quantity: "0.12345678901234567890" }),
      usageEvent({ meter: "storage_gb" }),
      usageEvent({ timestamp: new Date(NOW.getTime() - 11 * HOUR_MS) }),
    ];
    const outcomes = await provider().pushUsage(events);
    expect(outcomes.map((outcome) => ("error" in outcome ? [outcome.status, outcome.error.code] : [outcome.status]))).toEqual([
      ["retryable", "USAGE_IN_FUTURE"],
      ["permanent", "PROVIDER_UNSUPPORTED"],
      ["permanent", "PROVIDER_UNSUPPORTED"],
      ["permanent", "UNKNOWN_METER"],
      ["delivered"],
    ]);
    expect(errorOf(outcomes[3])).toMatchObject({ field: "orb.meters.storage_gb" });
    expect(orb.events().map((e) => e.idempotency_key)).toEqual([events[4]!.transactionId]);
  });

  it("refuses a key Orb does not accept (401) for every event, without sending the rest", async () => {
    const outcomes = await provider({ secretKey: "orb_wrong" }).pushUsage(usageEvents(1100));
    expect(outcomes.every((outcome) => outcome.status === "permanent")).toBe(true);
    expect(errorOf(outcomes[0])).toMatchObject({ code: "PROVIDER_AUTH_FAILED", message: expect.stringContaining("ORB_API_KEY") });
    expect(errorOf(outcomes[1099]).code).toBe("PROVIDER_AUTH_FAILED");
    expect(orb.calls("ingest")).toHaveLength(1);
  });

  it("answers 429 as retryable after Orb's Retry-After, and the retry delivers", async () => {
    orb.inject("ingest", { kind: "rate_limit", retryAfter: "7" });
    const events = usageEvents(2);
    const first = await provider().pushUsage(events);
    expect(first.map((outcome) => outcome.status)).toEqual(["retryable", "retryable"]);
    expect(errorOf(first[0])).toMatchObject({ code: "PROVIDER_RATE_LIMITED", retryAfterSeconds: 7, message: expect.stringContaining("Too many requests") });
    expect(orb.events()).toEqual([]);
    expect((await provider().pushUsage(events)).map((outcome) => outcome.status)).toEqual(["delivered", "delivered"]);
  });

  it("answers a 5xx, a 409 and a lost connection as retryable, and a resend after a reply lost in transit counts the usage once", async () => {
    orb.inject("ingest", { kind: "server_error", status: 500 });
    expect(errorOf((await provider().pushUsage([usageEvent()]))[0])).toMatchObject({ code: "PROVIDER_UNAVAILABLE", retryable: true });
    orb.inject("ingest", { kind: "response", status: 409, body: { type: "https://docs.withorb.com/reference/error-responses#409-resource-conflict", status: 409, title: "Resource conflict" } });
    expect(errorOf((await provider().pushUsage([usageEvent()]))[0])).toMatchObject({ code: "PROVIDER_CONFLICT", retryable: true });
    orb.inject("ingest", { kind: "reset_after_processing" });
    const events = usageEvents(2);
    expect((await provider().pushUsage(events)).map((outcome) => outcome.status)).toEqual(["retryable", "retryable"]);
    expect((await provider().pushUsage(events)).map((outcome) => outcome.status)).toEqual(["delivered", "delivered"]);
    expect(orb.events().map((e) => e.idempotency_key)).toEqual(events.map((e) => e.transactionId));
  });

  it("gives up on a request Orb does not answer within orb.timeoutMs, as retryable", async () => {
    orb.inject("ingest", { kind: "timeout", holdMs: 5_000 });
    const outcomes = await provider({ timeoutMs: 200 }).pushUsage([usageEvent()]);
    expect(errorOf(outcomes[0])).toMatchObject({ code: "PROVIDER_UNAVAILABLE", retryable: true });
  });

  it("declares no resend window: Orb ingests an idempotency key at most once", () => {
    expect((provider() as BillingProvider).resendWindowMs).toBeUndefined();
  });
});

describe("Orb usage totals (reconcile)", () => {
  const DAY_MS = 24 * HOUR_MS;
  const window = { from: new Date(NOW.getTime() - DAY_MS), to: NOW };
  const subscription = (id: string, overrides: Partial<Parameters<typeof orb.putSubscription>[0]> = {}) =>
    orb.putSubscription({ id, externalCustomerId: "acme-ext", status: "active", plan: { id: "plan_pro", external_plan_id: "pro" }, ...overrides });

  it("reads the billable metric's quantity from the customer's subscription usage over the window, and the metric's aggregation from its SQL", async () => {
    subscription("sub_1");
    await provider().pushUsage([usageEvent({ quantity: "3", providerCustomerId: "acme-ext" }), usageEvent({ quantity: "4.5", providerCustomerId: "acme-ext" }), usageEvent({ quantity: "9", providerCustomerId: "other-ext" })]);
    expect(await provider().readUsageTotal({ meter: "api_calls", providerCustomerId: "acme-ext", ...window })).toEqual({ value: "7.5", aggregation: "sum" });
    const asked = new URL(orb.calls("subscription_usage")[0]!.url);
    expect(asked.pathname).toBe("/v1/subscriptions/sub_1/usage");
    expect(Object.fromEntries(asked.searchParams)).toEqual({ timeframe_start: window.from.toISOString(), timeframe_end: window.to.toISOString(), view_mode: "periodic" });
  });

  it("asks each subscription for the part of the window it was active in, so a plan change to a new subscription counts every event once", async () => {
    const switchedAt = new Date(NOW.getTime() - 2 * HOUR_MS);
    subscription("sub_old", { status: "ended", startDate: "2026-02-01T00:00:00Z", endDate: switchedAt.toISOString() });
    subscription("sub_new", { startDate: switchedAt.toISOString() });
    await provider().pushUsage([usageEvent({ quantity: "2", providerCustomerId: "acme-ext", timestamp: new Date(switchedAt.getTime() - HOUR_MS) }), usageEvent({ quantity: "5", providerCustomerId: "acme-ext" })]);
    expect(await provider().readUsageTotal({ meter: "api_calls", providerCustomerId: "acme-ext", ...window })).toEqual({ value: "7", aggregation: "sum" });
    expect(orb.calls("subscription_usage").map((call) => Object.fromEntries(new URL(call.url).searchParams))).toEqual([
      { timeframe_start: window.from.toISOString(), timeframe_end: switchedAt.toISOString(), view_mode: "periodic" },
      { timeframe_start: switchedAt.toISOString(), timeframe_end: window.to.toISOString(), view_mode: "periodic" },
    ]);
  });

  it("reports no total, with the reason, where Orb has none: no subscription in the window, the metric on no plan, or two subscriptions at once", async () => {
    const read = () => provider().readUsageTotal({ meter: "api_calls", providerCustomerId: "acme-ext", ...window });
    subscription("sub_later", { startDate: NOW.toISOString() });
    expect(await read()).toEqual({ value: null, notComparable: expect.stringContaining("none of customer \"acme-ext\"'s (sub_later) was active in the window") });
    orb.reset();
    subscription("sub_1", { metricIds: ["bm_other"] });
    expect(await read()).toEqual({ value: null, notComparable: expect.stringContaining("billable metric \"bm_api\" is on none of customer \"acme-ext\"'s Orb subscriptions active in the window (sub_1)") });
    orb.reset();
    subscription("sub_a");
    subscription("sub_b");
    expect(await read()).toEqual({ value: null, notComparable: expect.stringContaining("active at the same time that each meter \"bm_api\" (sub_a, sub_b)") });
  });

  it("answers PROVIDER_NOT_FOUND for a customer Orb has no subscription for, UNKNOWN_METER for a meter without a metric or a metric Orb does not know", async () => {
    await expect(provider().readUsageTotal({ meter: "api_calls", providerCustomerId: "nobody", ...window })).rejects.toMatchObject({ code: "PROVIDER_NOT_FOUND", message: expect.stringContaining("no subscription for customer \"nobody\"") });
    await expect(provider({ meters: { api_calls: { eventName: "api_call" } } }).readUsageTotal({ meter: "api_calls", providerCustomerId: "acme-ext", ...window })).rejects.toMatchObject({
      code: "UNKNOWN_METER",
      field: "orb.meters.api_calls.billableMetricId",
    });
    await expect(provider({ meters: { api_calls: { eventName: "api_call", billableMetricId: "bm_gone" } } }).readUsageTotal({ meter: "api_calls", providerCustomerId: "acme-ext", ...window })).rejects.toMatchObject({
      code: "UNKNOWN_METER",
      message: expect.stringContaining("Orb has no billable metric \"bm_gone\""),
    });
  });

  it("reads each metric's aggregation once; names unique counts by their SQL", async () => {
    subscription("sub_1");
    const reconciler = provider({ meters: { api_calls: { eventName: "api_call", billableMetricId: "bm_api" }, seats: { eventName: "other", billableMetricId: "bm_other" } } });
    await reconciler.readUsageTotal({ meter: "api_calls", providerCustomerId: "acme-ext", ...window });
    await reconciler.readUsageTotal({ meter: "api_calls", providerCustomerId: "acme-ext", ...window });
    expect(await reconciler.readUsageTotal({ meter: "seats", providerCustomerId: "acme-ext", ...window })).toEqual({ value: "0", aggregation: "unique_count" });
    expect(orb.calls("metric").map((call) => new URL(call.url).pathname)).toEqual(["/v1/metrics/bm_api", "/v1/metrics/bm_other"]);
  });

  it("throws PROVIDER_AUTH_FAILED for a key Orb refuses (401), retryable errors for 429 (with its Retry-After) and 5xx", async () => {
    subscription("sub_1");
    const query = { meter: "api_calls", providerCustomerId: "acme-ext", ...window };
    await expect(provider({ secretKey: "wrong" }).readUsageTotal(query)).rejects.toMatchObject({ code: "PROVIDER_AUTH_FAILED", retryable: false });
    orb.inject("subscription_usage", { kind: "rate_limit", retryAfter: "2" });
    await expect(provider().readUsageTotal(query)).rejects.toMatchObject({ code: "PROVIDER_RATE_LIMITED", retryable: true, retryAfterSeconds: 2 });
    orb.inject("subscriptions", { kind: "server_error", status: 503 });
    await expect(provider().readUsageTotal(query)).rejects.toMatchObject({ code: "PROVIDER_UNAVAILABLE", retryable: true });
    expect(await provider().readUsageTotal(query)).toEqual({ value: "0", aggregation: "sum" });
  });
});
