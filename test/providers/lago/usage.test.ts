import { describe, expect, it } from "vitest";
import { parseConfig } from "../../../src/config/load.ts";
import type { HubConfigInput } from "../../../src/config/schema.ts";
import { createLagoClient } from "../../../src/providers/lago/client.ts";
import { createLagoProvider } from "../../../src/providers/lago/provider.ts";
import type { BillingProvider, PushOutcome } from "../../../src/providers/types.ts";
import { skippingClock } from "../../support/forwarder.ts";
import { createLagoStandIn } from "../../support/msw/lago.ts";
import { useStandIns } from "../../support/msw/use-stand-ins.ts";
import { NOW, usageEvent, usageEvents } from "../../support/usage-events.ts";

const BASE = "https://lago.test/api/v1";
const lago = createLagoStandIn({ baseUrl: BASE, token: "lago_test_key", metrics: { api_calls: { property: "calls" }, seats: { aggregation: "unique_count_agg" } } });
const clickhouse = createLagoStandIn({ baseUrl: "https://lago-clickhouse.test/api/v1", pipeline: "clickhouse" });
useStandIns(lago, clickhouse);

function provider(section: Partial<NonNullable<HubConfigInput["lago"]>> = {}) {
  const config = parseConfig({ provider: { default: "lago" }, lago: { secretKey: "lago_test_key", baseUrl: BASE, meters: { api_calls: { code: "api_calls", quantityProperty: "calls" } }, ...section } }).lago!;
  return createLagoProvider({ client: createLagoClient(config), config, now: () => NOW, limiterClock: skippingClock() });
}

function errorOf(outcome: PushOutcome | undefined) {
  if (outcome === undefined || !("error" in outcome)) throw new Error(`expected a failed outcome, got ${JSON.stringify(outcome)}`);
  return outcome.error;
}

const subscribe = (externalCustomerId = "cus_acme", externalId = "sub_acme", standIn = lago) => standIn.putSubscription({ externalId, externalCustomerId, planCode: "pro" });
const statuses = (outcomes: PushOutcome[]) => outcomes.map((outcome) => outcome.status);

describe("Lago usage", () => {
  it("sends a batch in one request: transactionId as transaction_id, the customer's active subscription, the metric code, Unix seconds with ms and the exact quantity", async () => {
    subscribe();
    subscribe("acme", "sub_acme_2");
    const events = [usageEvent({ quantity: "3", timestamp: new Date("2026-03-10T11:59:00.123Z") }), usageEvent({ quantity: "0.125", providerCustomerId: undefined, properties: { model: "large" } })];
    expect(await provider().pushUsage(events)).toEqual(events.map((e) => ({ transactionId: e.transactionId, status: "delivered" })));
    expect(lago.calls("batch")).toHaveLength(1);
    expect(lago.events()).toEqual([
      { transaction_id: events[0]!.transactionId, external_subscription_id: "sub_acme", code: "api_calls", timestamp: "1773143940.123", properties: { calls: "3" } },
      { transaction_id: events[1]!.transactionId, external_subscription_id: "sub_acme_2", code: "api_calls", timestamp: `${events[1]!.timestamp.getTime() / 1000}.000`, properties: { model: "large", calls: "0.125" } },
    ]);
  });

  it("looks a customer's subscription up once per cache period, not per event", async () => {
    subscribe();
    const lagoProvider = provider();
    await lagoProvider.pushUsage(usageEvents(3));
    await lagoProvider.pushUsage(usageEvents(2));
    expect(lago.calls("subscriptions")).toHaveLength(1);
    expect(new URL(lago.calls("subscriptions")[0]!.url).searchParams.getAll("status[]")).toEqual(["active", "pending"]);
  });

  it("answers a resent batch as already_delivered from Lago's 422 value_already_exist, and Lago holds each transaction once", async () => {
    subscribe();
    const events = usageEvents(3);
    await provider().pushUsage(events);
    expect(statuses(await provider().pushUsage(events))).toEqual(["already_delivered", "already_delivered", "already_delivered"]);
    expect(lago.events().map((e) => e.transaction_id)).toEqual(events.map((e) => e.transactionId));
  });

  it("after a crash mid-batch, resends the whole batch: the held ones are already_delivered, the rest delivered in a second request", async () => {
    subscribe();
    const events = usageEvents(4);
    await provider().pushUsage(events.slice(0, 2));
    expect(statuses(await provider().pushUsage(events))).toEqual(["already_delivered", "already_delivered", "delivered", "delivered"]);
    expect(lago.calls("batch").map((call) => (call.body as { events: unknown[] }).events.length)).toEqual([2, 4, 2]);
    expect(lago.events()).toHaveLength(4);
  });

  it("treats a 422 as already delivered only when it says the transaction_id is already taken", async () => {
    subscribe();
    lago.inject("batch", { kind: "response", status: 422, body: { status: 422, error: "Unprocessable Entity", code: "validation_errors", error_details: { "0": { transaction_id: ["value_already_exist"], code: ["value_is_mandatory"] }, "1": { external_subscription_id: ["value_already_exist"] } } } });
    const outcomes = await provider().pushUsage(usageEvents(3));
    expect(statuses(outcomes)).toEqual(["permanent", "permanent", "delivered"]);
    expect(errorOf(outcomes[0])).toMatchObject({ code: "PROVIDER_REJECTED", retryable: false, provider: "lago" });
  });

  it("on Lago's ClickHouse pipeline a resend replaces the event (same transaction_id and timestamp), so nothing counts twice", async () => {
    subscribe("cus_acme", "sub_acme", clickhouse);
    const config = parseConfig({ provider: { default: "lago" }, lago: { secretKey: "k", baseUrl: "https://lago-clickhouse.test/api/v1", meters: { api_calls: { code: "api_calls" } } } }).lago!;
    const onClickhouse = createLagoProvider({ client: createLagoClient(config), config, now: () => NOW, limiterClock: skippingClock() });
    const events = usageEvents(2);
    await onClickhouse.pushUsage(events);
    expect(statuses(await onClickhouse.pushUsage(events))).toEqual(["delivered", "delivered"]);
    expect(clickhouse.events().map((e) => e.transaction_id)).toEqual(events.map((e) => e.transactionId));
  });

  it("sends at most 100 events per request, Lago's batch limit", async () => {
    subscribe();
    const outcomes = await provider().pushUsage(usageEvents(250));
    expect(outcomes.every((outcome) => outcome.status === "delivered")).toBe(true);
    expect(lago.calls("batch").map((call) => (call.body as { events: unknown[] }).events.length)).toEqual([100, 100, 50]);
  });

  it("refuses an event Lago's validation names (422 by position) and delivers the rest of the batch, which Lago stored none of", async () => {
    subscribe();
    const lagoProvider = provider();
    const events = [usageEvent(), usageEvent(), usageEvent()];
    lago.inject("batch", { kind: "response", status: 422, body: { status: 422, error: "Unprocessable Entity", code: "validation_errors", error_details: { "1": { code: ["value_is_mandatory"] } } } });
    const outcomes = await lagoProvider.pushUsage(events);
    expect(statuses(outcomes)).toEqual(["delivered", "permanent", "delivered"]);
    expect(errorOf(outcomes[1])).toMatchObject({ code: "PROVIDER_REJECTED", message: expect.stringContaining("value_is_mandatory"), details: expect.objectContaining({ errorDetails: { code: ["value_is_mandatory"] } }) });
    expect(lago.events().map((e) => e.transaction_id)).toEqual([events[0]!.transactionId, events[2]!.transactionId]);
  });

  it("finds the refused event one by one when a 422 names no positions, reading the single endpoint's duplicate answer too", async () => {
    subscribe();
    const first = usageEvent();
    await provider().pushUsage([first]);
    const events = [first, usageEvent()];
    lago.inject("batch", { kind: "response", status: 422, body: { status: 422, error: "Unprocessable Entity", code: "validation_errors", error_details: { events: ["invalid"] } } });
    expect(statuses(await provider().pushUsage(events))).toEqual(["already_delivered", "delivered"]);
    expect(lago.calls("event")).toHaveLength(2);
    expect(lago.events()).toHaveLength(2);
  });

  it("refuses before sending: negative quantities and unmapped meters; retries a customer without an active subscription; refuses a customer with two", async () => {
    subscribe();
    lago.putSubscription({ externalId: "sub_a", externalCustomerId: "cus_two", planCode: "pro" });
    lago.putSubscription({ externalId: "sub_b", externalCustomerId: "cus_two", planCode: "team" });
    lago.putSubscription({ externalId: "sub_later", externalCustomerId: "cus_later", planCode: "pro", status: "pending" });
    const events = [usageEvent({ quantity: "-2" }), usageEvent({ meter: "storage_gb" }), usageEvent({ providerCustomerId: "cus_later" }), usageEvent({ providerCustomerId: "cus_two" }), usageEvent()];
    const outcomes = await provider().pushUsage(events);
    expect(outcomes.map((outcome) => ("error" in outcome ? [outcome.status, outcome.error.code] : [outcome.status]))).toEqual([
      ["permanent", "PROVIDER_UNSUPPORTED"],
      ["permanent", "UNKNOWN_METER"],
      ["retryable", "PROVIDER_NOT_FOUND"],
      ["permanent", "PROVIDER_CONFLICT"],
      ["delivered"],
    ]);
    expect(errorOf(outcomes[1])).toMatchObject({ field: "lago.meters.storage_gb" });
    expect(errorOf(outcomes[2])).toMatchObject({ message: expect.stringContaining("no active subscription") });
    expect(lago.events().map((e) => e.transaction_id)).toEqual([events[4]!.transactionId]);
  });

  it("refuses a key Lago does not accept (401) for every event, without sending the rest", async () => {
    subscribe();
    lago.inject("subscriptions", { kind: "response", status: 200, body: { subscriptions: [{ external_id: "sub_acme", external_customer_id: "cus_acme", plan_code: "pro", status: "active" }], meta: { current_page: 1, next_page: null, total_pages: 1, total_count: 1 } } });
    const outcomes = await provider({ secretKey: "lago_wrong" }).pushUsage(usageEvents(150));
    expect(outcomes.every((outcome) => outcome.status === "permanent")).toBe(true);
    expect(errorOf(outcomes[0])).toMatchObject({ code: "PROVIDER_AUTH_FAILED", message: expect.stringContaining("LAGO_API_KEY") });
    expect(errorOf(outcomes[149]).code).toBe("PROVIDER_AUTH_FAILED");
    expect(lago.calls("batch")).toHaveLength(1);
  });

  it("answers 429 as retryable after X-RateLimit-Reset, and the retry delivers", async () => {
    subscribe();
    lago.inject("batch", { kind: "rate_limit", retryAfter: "7" });
    const events = usageEvents(2);
    const first = await provider().pushUsage(events);
    expect(statuses(first)).toEqual(["retryable", "retryable"]);
    expect(errorOf(first[0])).toMatchObject({ code: "PROVIDER_RATE_LIMITED", retryAfterSeconds: 7, message: expect.stringContaining("X-RateLimit-Limit 500") });
    expect(lago.events()).toEqual([]);
    expect(statuses(await provider().pushUsage(events))).toEqual(["delivered", "delivered"]);
  });

  it("answers a 5xx and a lost connection as retryable, and a resend after a reply lost in transit counts the usage once", async () => {
    subscribe();
    lago.inject("batch", { kind: "server_error", status: 503 });
    expect(errorOf((await provider().pushUsage([usageEvent()]))[0])).toMatchObject({ code: "PROVIDER_UNAVAILABLE", retryable: true });
    lago.inject("batch", { kind: "reset_after_processing" });
    const events = usageEvents(2);
    expect(statuses(await provider().pushUsage(events))).toEqual(["retryable", "retryable"]);
    expect(statuses(await provider().pushUsage(events))).toEqual(["already_delivered", "already_delivered"]);
    expect(lago.events().map((e) => e.transaction_id)).toEqual(events.map((e) => e.transactionId));
  });

  it("gives up on a request Lago does not answer within lago.timeoutMs, as retryable", async () => {
    subscribe();
    lago.inject("batch", { kind: "timeout", holdMs: 5_000 });
    const outcomes = await provider({ timeoutMs: 200 }).pushUsage([usageEvent()]);
    expect(errorOf(outcomes[0])).toMatchObject({ code: "PROVIDER_UNAVAILABLE", retryable: true });
  });

  it("answers a failed subscription lookup as retryable for that customer's events", async () => {
    lago.inject("subscriptions", { kind: "server_error" });
    expect(errorOf((await provider().pushUsage([usageEvent()]))[0])).toMatchObject({ code: "PROVIDER_UNAVAILABLE", retryable: true });
  });

  it("declares no resend window", () => {
    expect((provider() as BillingProvider).resendWindowMs).toBeUndefined();
  });
});

describe("Lago usage totals (reconcile)", () => {
  const march = { from: new Date("2026-03-01T00:00:00Z"), to: new Date("2026-04-01T00:00:00Z") };
  const read = (window: { from: Date; to: Date }, customer = "cus_acme", section: Partial<NonNullable<HubConfigInput["lago"]>> = {}) => provider(section).readUsageTotal({ meter: "api_calls", providerCustomerId: customer, ...window });

  it("reads the metric's units of the subscription's current billing period when the window is that period", async () => {
    subscribe();
    await provider().pushUsage([usageEvent({ quantity: "3" }), usageEvent({ quantity: "4.25" })]);
    expect(await read(march)).toEqual({ value: "7.25", aggregation: "sum" });
    const asked = new URL(lago.calls("current_usage")[0]!.url);
    expect(asked.pathname).toBe("/api/v1/customers/cus_acme/current_usage");
    expect(Object.fromEntries(asked.searchParams)).toEqual({ external_subscription_id: "sub_acme", billable_metric_code: "api_calls" });
    expect(new URL(lago.calls("past_usage")[0]!.url).searchParams.get("external_subscription_id")).toBe("sub_acme");
  });

  it("sums whole periods: past periods of a terminated subscription and the current one of the subscription that replaced it", async () => {
    lago.putSubscription({ externalId: "sub_old", externalCustomerId: "cus_acme", planCode: "starter" });
    await provider().pushUsage([usageEvent({ quantity: "2", timestamp: new Date("2026-03-03T10:00:00Z") })]);
    lago.putSubscription({ externalId: "sub_old", externalCustomerId: "cus_acme", planCode: "starter", status: "terminated", pastPeriods: [{ from: "2026-03-01T00:00:00Z", to: "2026-03-04T23:59:59Z" }] });
    lago.putSubscription({ externalId: "sub_new", externalCustomerId: "cus_acme", planCode: "pro", periodStart: "2026-03-05T00:00:00Z" });
    await provider().pushUsage([usageEvent({ quantity: "5" })]);
    expect(await read(march)).toEqual({ value: "7", aggregation: "sum" });
    expect(lago.calls("current_usage").map((call) => new URL(call.url).searchParams.get("external_subscription_id"))).toEqual(["sub_new"]);
  });

  it("reads every page of past usage to find the period (100 periods a page)", async () => {
    const day = (n: number) => new Date(Date.UTC(2025, 0, 1) + n * 86_400_000);
    const pastPeriods = Array.from({ length: 101 }, (_, i) => ({ from: day(100 - i).toISOString().replace(".000", ""), to: new Date(day(101 - i).getTime() - 1000).toISOString().replace(".000", "") }));
    lago.putSubscription({ externalId: "sub_acme", externalCustomerId: "cus_acme", planCode: "pro", pastPeriods });
    await provider().pushUsage([usageEvent({ quantity: "6", timestamp: new Date(day(0).getTime() + 3_600_000) })]);
    expect(await read({ from: day(0), to: day(1) })).toEqual({ value: "6", aggregation: "sum" });
    expect(lago.calls("past_usage").map((call) => new URL(call.url).searchParams.get("page"))).toEqual(["1", "2"]);
  });

  it("answers a window that is not made of whole Lago periods as not comparable, naming the periods, rather than as a difference", async () => {
    subscribe();
    await provider().pushUsage([usageEvent({ quantity: "3" })]);
    expect(await read({ from: new Date("2026-03-09T00:00:00Z"), to: new Date("2026-03-11T00:00:00Z") })).toEqual({
      value: null,
      notComparable: expect.stringContaining("cuts through sub_acme 2026-03-01T00:00:00.000Z..2026-04-01T00:00:00.000Z"),
    });
    expect(await read({ from: new Date("2026-01-01T00:00:00Z"), to: new Date("2026-02-01T00:00:00Z") })).toEqual({ value: null, notComparable: expect.stringContaining("none of customer \"cus_acme\"'s (sub_acme) has a period in") });
  });

  it("answers as not comparable a plan with no charge on the metric, or with several", async () => {
    lago.putSubscription({ externalId: "sub_acme", externalCustomerId: "cus_acme", planCode: "pro", charges: ["seats"] });
    expect(await read(march)).toEqual({ value: null, notComparable: expect.stringContaining("has no charge on billable metric \"api_calls\"") });
    lago.putSubscription({ externalId: "sub_acme", externalCustomerId: "cus_acme", planCode: "pro", charges: ["api_calls", "api_calls"] });
    expect(await read(march)).toEqual({ value: null, notComparable: expect.stringContaining("has 2 charges on billable metric \"api_calls\"") });
  });

  it("answers PROVIDER_NOT_FOUND for a customer with no subscription and for a subscription Lago cannot find (404)", async () => {
    await expect(read(march, "nobody")).rejects.toMatchObject({ code: "PROVIDER_NOT_FOUND", message: expect.stringContaining("no active or terminated subscription for customer \"nobody\"") });
    subscribe();
    lago.inject("past_usage", { kind: "response", status: 404, body: { status: 404, error: "Not Found", code: "subscription_not_found" } });
    await expect(read(march)).rejects.toMatchObject({ code: "PROVIDER_NOT_FOUND", message: expect.stringContaining("Lago could not find subscription \"sub_acme\" of customer \"cus_acme\"") });
  });

  it("throws PROVIDER_AUTH_FAILED for a key Lago refuses (401), retryable errors for 429 (after X-RateLimit-Reset) and 5xx", async () => {
    subscribe();
    await expect(read(march, "cus_acme", { secretKey: "wrong" })).rejects.toMatchObject({ code: "PROVIDER_AUTH_FAILED", retryable: false });
    lago.inject("current_usage", { kind: "rate_limit", retryAfter: "3" });
    await expect(read(march)).rejects.toMatchObject({ code: "PROVIDER_RATE_LIMITED", retryable: true, retryAfterSeconds: 3 });
    lago.inject("past_usage", { kind: "server_error", status: 502 });
    await expect(read(march)).rejects.toMatchObject({ code: "PROVIDER_UNAVAILABLE", retryable: true });
    expect(await read(march)).toEqual({ value: "0", aggregation: "sum" });
  });
});
