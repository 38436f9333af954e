import { describe, expect, it } from "vitest";
import { parseConfig } from "../../../src/config/load.ts";
import type { HubConfigInput } from "../../../src/config/schema.ts";
import { createOpenMeterClient } from "../../../src/providers/openmeter/client.ts";
import { createOpenMeterProvider } from "../../../src/providers/openmeter/provider.ts";
import type { PushOutcome } from "../../../src/providers/types.ts";
import { skippingClock } from "../../support/forwarder.ts";
import { createOpenMeterStandIn } from "../../support/msw/openmeter.ts";
import { useStandIns } from "../../support/msw/use-stand-ins.ts";
import { NOW, usageEvent, usageEvents } from "../../support/usage-events.ts";

const BASE = "https://openmeter.test";
const DAY_MS = 86_400_000;
const openmeter = createOpenMeterStandIn({ baseUrl: BASE, token: "om_test_token", meters: { api_requests_total: { eventType: "api_call", property: "calls" } } });
useStandIns(openmeter);

function provider(section: Partial<NonNullable<HubConfigInput["openmeter"]>> = {}) {
  const config = parseConfig({
    provider: { default: "openmeter" },
    openmeter: { secretKey: "om_test_token", baseUrl: BASE, meters: { api_calls: { eventType: "api_call", valueProperty: "calls", meterSlug: "api_requests_total" } }, ...section },
  }).openmeter!;
  return createOpenMeterProvider({ client: createOpenMeterClient(config), config, now: () => NOW, limiterClock: skippingClock() });
}

function errorOf(outcome: PushOutcome | undefined) {
  if (outcome === undefined || !("error" in outcome)) throw new Error(`expected a failed outcome, got ${JSON.stringify(outcome)}`);
  return outcome.error;
}

describe("OpenMeter usage", () => {
  it("ingests a batch as one CloudEvents batch: the transactionId as id, the fixed source, the event type, the subject and the value as an exact decimal string", async () => {
    const events = [usageEvent({ quantity: "3", providerCustomerId: "customer-1" }), usageEvent({ quantity: "0.125", providerCustomerId: undefined, properties: { model: "large" } })];
    expect(await provider().pushUsage(events)).toEqual(events.map((e) => ({ transactionId: e.transactionId, status: "delivered" })));
    expect(openmeter.calls("ingest")).toHaveLength(1);
    expect(openmeter.calls("ingest")[0]!.contentType).toBe("application/cloudevents-batch+json");
    expect(openmeter.events()).toEqual([
      { specversion: "1.0", id: events[0]!.transactionId, source: "billhub", type: "api_call", subject: "customer-1", time: events[0]!.timestamp.toISOString(), data: { calls: "3" } },
      { specversion: "1.0", id: events[1]!.transactionId, source: "billhub", type: "api_call", subject: "acme", time: events[1]!.timestamp.toISOString(), data: { model: "large", calls: "0.125" } },
    ]);
  });

  it("never lets the SDK pick a random id: a resent batch carries the same ids and OpenMeter counts each once", async () => {
    const events = usageEvents(3);
    await provider().pushUsage(events);
    const again = await provider().pushUsage(events);
    expect(again.map((outcome) => outcome.status)).toEqual(["delivered", "delivered", "delivered"]);
    const sent = openmeter.calls("ingest").map((call) => (call.body as { id: string }[]).map((event) => event.id));
    expect(sent).toEqual([events.map((e) => e.transactionId), events.map((e) => e.transactionId)]);
    expect(openmeter.events().map((e) => e.id)).toEqual(events.map((e) => e.transactionId));
  });

  it("sends under the configured source, since OpenMeter deduplicates on id and source together", async () => {
    await provider({ source: "billing-eu" }).pushUsage([usageEvent()]);
    expect(openmeter.events().map((e) => e.source)).toEqual(["billing-eu"]);
  });

  it("sends at most 100 events per request", async () => {
    const outcomes = await provider().pushUsage(usageEvents(250));
    expect(outcomes.every((outcome) => outcome.status === "delivered")).toBe(true);
    expect(openmeter.calls("ingest").map((call) => (call.body as unknown[]).length)).toEqual([100, 100, 50]);
  });

  it("finds the event OpenMeter refuses (400 problem+json) by sending the refused request's events one by one, delivering the rest", async () => {
    const events = [usageEvent(), usageEvent({ providerCustomerId: "" }), usageEvent()];
    const outcomes = await provider().pushUsage(events);
    expect(outcomes.map((outcome) => outcome.status)).toEqual(["delivered", "permanent", "delivered"]);
    expect(errorOf(outcomes[1])).toMatchObject({ code: "PROVIDER_REJECTED", retryable: false, provider: "openmeter", message: expect.stringContaining("subject is required"), details: { status: 400, problem: { title: "Bad Request" } } });
    expect(openmeter.events().map((e) => e.id)).toEqual([events[0]!.transactionId, events[2]!.transactionId]);
  });

  it("refuses a token OpenMeter does not accept (401) for every event, without sending the rest", async () => {
    const outcomes = await provider({ secretKey: "om_wrong" }).pushUsage(usageEvents(150));
    expect(outcomes.every((outcome) => outcome.status === "permanent")).toBe(true);
    expect(errorOf(outcomes[0])).toMatchObject({ code: "PROVIDER_AUTH_FAILED", message: expect.stringContaining("OPENMETER_API_KEY") });
    expect(errorOf(outcomes[149]).code).toBe("PROVIDER_AUTH_FAILED");
    expect(openmeter.calls("ingest")).toHaveLength(1);
  });

  it("answers 429 as retryable after OpenMeter's Retry-After, and the retry delivers", async () => {
    openmeter.inject("ingest", { kind: "rate_limit", retryAfter: "7" });
    const events = usageEvents(2);
    const first = await provider().pushUsage(events);
    expect(first.map((outcome) => outcome.status)).toEqual(["retryable", "retryable"]);
    expect(errorOf(first[0])).toMatchObject({ code: "PROVIDER_RATE_LIMITED", retryAfterSeconds: 7 });
    expect(openmeter.events()).toEqual([]);
    expect((await provider().pushUsage(events)).map((outcome) => outcome.status)).toEqual(["delivered", "delivered"]);
  });

  it("answers a 5xx and a lost connection as retryable, and a resend after a reply lost in transit counts the usage once", async () => {
    openmeter.inject("ingest", { kind: "server_error", status: 503 });
    expect(errorOf((await provider().pushUsage([usageEvent()]))[0])).toMatchObject({ code: "PROVIDER_UNAVAILABLE", retryable: true, details: { status: 503 } });
    openmeter.inject("ingest", { kind: "reset_after_processing" });
    const events = usageEvents(2);
    expect((await provider().pushUsage(events)).map((outcome) => outcome.status)).toEqual(["retryable", "retryable"]);
    expect((await provider().pushUsage(events)).map((outcome) => outcome.status)).toEqual(["delivered", "delivered"]);
    expect(openmeter.events().map((e) => e.id)).toEqual(events.map((e) => e.transactionId));
  });

  it("gives up on a request OpenMeter does not answer within openmeter.timeoutMs, as retryable (the SDK has no timeout of its own)", async () => {
    openmeter.inject("ingest", { kind: "timeout", holdMs: 5_000 });
    const outcomes = await provider({ timeoutMs: 200 }).pushUsage([usageEvent()]);
    expect(errorOf(outcomes[0])).toMatchObject({ code: "PROVIDER_UNAVAILABLE", retryable: true, message: expect.stringContaining("openmeter.timeoutMs") });
  });

  it("refuses before sending: a negative value or an unmapped meter", async () => {
    const events = [usageEvent({ quantity: "-2" }), usageEvent({ meter: "storage_gb" }), usageEvent({ timestamp: new Date(NOW.getTime() - 90 * DAY_MS) })];
    const outcomes = await provider().pushUsage(events);
    expect(outcomes.map((outcome) => ("error" in outcome ? [outcome.status, outcome.error.code] : [outcome.status]))).toEqual([["permanent", "PROVIDER_UNSUPPORTED"], ["permanent", "UNKNOWN_METER"], ["delivered"]]);
    expect(errorOf(outcomes[1])).toMatchObject({ field: "openmeter.meters.storage_gb" });
    expect(openmeter.events().map((e) => e.id)).toEqual([events[2]!.transactionId]);
  });

  it("keeps resends inside the configured deduplication window (24 h unless set)", () => {
    expect(provider().resendWindowMs).toBe(DAY_MS);
    expect(provider({ dedupeWindowHours: 768 }).resendWindowMs).toBe(32 * DAY_MS);
  });
});

describe("OpenMeter usage totals (reconcile)", () => {
  it("reads the meter's total for the customer's subject over the window", async () => {
    await provider().pushUsage([usageEvent({ quantity: "3", providerCustomerId: "customer-1" }), usageEvent({ quantity: "4.5", providerCustomerId: "customer-1" }), usageEvent({ quantity: "9", providerCustomerId: "other" })]);
    const total = await provider().readUsageTotal({ meter: "api_calls", providerCustomerId: "customer-1", from: new Date(NOW.getTime() - DAY_MS), to: NOW });
    expect(total).toEqual({ value: "7.5", aggregation: "sum" });
    const query = new URL(openmeter.calls("query")[0]!.url);
    expect(query.pathname).toBe("/api/v1/meters/api_requests_total/query");
    expect(query.searchParams.getAll("subject")).toEqual(["customer-1"]);
    expect(query.searchParams.get("from")).toBe(new Date(NOW.getTime() - DAY_MS).toISOString());
    expect(query.searchParams.has("windowSize")).toBe(false);
  });

  it("answers 0 when OpenMeter has no usage, UNKNOWN_METER for a meter without a slug, and PROVIDER_NOT_FOUND for a slug OpenMeter does not know", async () => {
    const window = { from: new Date(NOW.getTime() - DAY_MS), to: NOW };
    expect(await provider().readUsageTotal({ meter: "api_calls", providerCustomerId: "nobody", ...window })).toEqual({ value: "0", aggregation: "sum" });
    await expect(provider({ meters: { api_calls: { eventType: "api_call" } } }).readUsageTotal({ meter: "api_calls", providerCustomerId: "x", ...window })).rejects.toMatchObject({
      code: "UNKNOWN_METER",
      field: "openmeter.meters.api_calls.meterSlug",
    });
    await expect(provider({ meters: { api_calls: { eventType: "api_call", meterSlug: "missing" } } }).readUsageTotal({ meter: "api_calls", providerCustomerId: "x", ...window })).rejects.toMatchObject({ code: "PROVIDER_NOT_FOUND" });
  });

  it("reads each meter's aggregation once, and throws a retryable error when OpenMeter rate-limits the query", async () => {
    const reconciler = provider();
    const query = { meter: "api_calls", providerCustomerId: "x", from: new Date(NOW.getTime() - DAY_MS), to: NOW };
    await reconciler.readUsageTotal(query);
    await reconciler.readUsageTotal(query);
    expect(openmeter.calls("meter")).toHaveLength(1);
    openmeter.inject("query", { kind: "rate_limit", retryAfter: "2" });
    await expect(reconciler.readUsageTotal(query)).rejects.toMatchObject({ code: "PROVIDER_RATE_LIMITED", retryable: true, retryAfterSeconds: 2 });
  });
});
