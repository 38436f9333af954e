import { describe, expect, it } from "vitest";
import { parseConfig } from "../../../src/config/load.ts";
import type { HubConfigInput } from "../../../src/config/schema.ts";
import { createPolarClient } from "../../../src/providers/polar/client.ts";
import { createPolarProvider } from "../../../src/providers/polar/provider.ts";
import type { PushOutcome } from "../../../src/providers/types.ts";
import { skippingClock } from "../../support/forwarder.ts";
import { createPolarStandIn } from "../../support/msw/polar.ts";
import { useStandIns } from "../../support/msw/use-stand-ins.ts";
import { NOW, usageEvent, usageEvents } from "../../support/usage-events.ts";

const BASE = "https://polar.test";
const polar = createPolarStandIn({ baseUrl: BASE, token: "polar_oat_test", meters: { "meter-api": { eventName: "api_call", property: "calls" } } });
const sandbox = createPolarStandIn({ baseUrl: "https://sandbox-api.polar.sh" });
useStandIns(polar, sandbox);

function provider(section: Partial<NonNullable<HubConfigInput["polar"]>> = {}) {
  const config = parseConfig({
    provider: { default: "polar" },
    polar: { secretKey: "polar_oat_test", baseUrl: BASE, meters: { api_calls: { eventName: "api_call", quantityProperty: "calls", meterId: "meter-api" } }, ...section },
  }).polar!;
  return createPolarProvider({ client: createPolarClient(config), config, now: () => NOW, limiterClock: skippingClock() });
}

function errorOf(outcome: PushOutcome | undefined) {
  if (outcome === undefined || !("error" in outcome)) throw new Error(`expected a failed outcome, got ${JSON.stringify(outcome)}`);
  return outcome.error;
}

describe("Polar usage", () => {
  it("ingests a batch in one request: the transactionId as external_id, the customer's external id, the event name and the quantity as a number in the meter's property", async () => {
    const events = [usageEvent({ quantity: "3", providerCustomerId: "org_42" }), usageEvent({ quantity: "0.125", providerCustomerId: undefined, properties: { model: "large", nested: { a: 1 } } })];
    expect(await provider().pushUsage(events)).toEqual(events.map((e) => ({ transactionId: e.transactionId, status: "delivered" })));
    const [call] = polar.calls("ingest");
    expect(call!.headers.get("polar-version")).toBe("2026-10");
    expect(call!.headers.get("authorization")).toBe("Bearer polar_oat_test");
    expect(polar.events()).toEqual([
      { name: "api_call", external_customer_id: "org_42", external_id: events[0]!.transactionId, timestamp: events[0]!.timestamp.toISOString(), metadata: { calls: 3 } },
      { name: "api_call", external_customer_id: "acme", external_id: events[1]!.transactionId, timestamp: events[1]!.timestamp.toISOString(), metadata: { model: "large", calls: 0.125 } },
    ]);
  });

  it("answers a batch Polar reports wholly as duplicates as already delivered, and Polar holds each external_id once", async () => {
    const events = usageEvents(3);
    await provider().pushUsage(events);
    const again = await provider().pushUsage(events);
    expect(again.map((outcome) => outcome.status)).toEqual(["already_delivered", "already_delivered", "already_delivered"]);
    const mixed = await provider().pushUsage([events[0]!, usageEvent()]);
    expect(mixed.map((outcome) => outcome.status)).toEqual(["delivered", "delivered"]);
    expect(polar.events()).toHaveLength(4);
  });

  it("sends at most 100 events per request", async () => {
    const outcomes = await provider().pushUsage(usageEvents(250));
    expect(outcomes.every((outcome) => outcome.status === "delivered")).toBe(true);
    expect(polar.calls("ingest").map((call) => (call.body as { events: unknown[] }).events.length)).toEqual([100, 100, 50]);
  });

  it("finds the event Polar refuses (422) by sending the refused request's events one by one, delivering the rest", async () => {
    const events = [usageEvent(), usageEvent({ providerCustomerId: "" }), usageEvent()];
    const outcomes = await provider().pushUsage(events);
    expect(outcomes.map((outcome) => outcome.status)).toEqual(["delivered", "permanent", "delivered"]);
    expect(errorOf(outcomes[1])).toMatchObject({ code: "PROVIDER_REJECTED", retryable: false, provider: "polar", message: expect.stringContaining("body.events.0.external_customer_id: Field required"), details: { status: 422 } });
    expect(polar.events().map((e) => e.external_id)).toEqual([events[0]!.transactionId, events[2]!.transactionId]);
  });

  it("refuses a token Polar does not accept (401) for every event, without sending the rest", async () => {
    const outcomes = await provider({ secretKey: "polar_oat_wrong" }).pushUsage(usageEvents(150));
    expect(outcomes.every((outcome) => outcome.status === "permanent")).toBe(true);
    expect(errorOf(outcomes[0])).toMatchObject({ code: "PROVIDER_AUTH_FAILED", message: expect.stringContaining("POLAR_ACCESS_TOKEN") });
    expect(errorOf(outcomes[149]).code).toBe("PROVIDER_AUTH_FAILED");
    expect(polar.calls("ingest")).toHaveLength(1);
  });

  it("answers 429 as retryable after Polar's Retry-After, and the retry delivers", async () => {
    polar.inject("ingest", { kind: "rate_limit", retryAfter: "7" });
    const events = usageEvents(2);
    const first = await provider().pushUsage(events);
    expect(first.map((outcome) => outcome.status)).toEqual(["retryable", "retryable"]);
    expect(errorOf(first[0])).toMatchObject({ code: "PROVIDER_RATE_LIMITED", retryAfterSeconds: 7 });
    expect(polar.events()).toEqual([]);
    expect((await provider().pushUsage(events)).map((outcome) => outcome.status)).toEqual(["delivered", "delivered"]);
  });

  it("answers a 429 whose Retry-After is a date (the SDK cannot read it) as retryable without a wait", async () => {
    polar.inject("ingest", { kind: "rate_limit", retryAfter: "Tue, 10 Mar 2026 12:00:30 GMT" });
    const [outcome] = await provider().pushUsage([usageEvent()]);
    expect(errorOf(outcome)).toMatchObject({ code: "PROVIDER_RATE_LIMITED", retryable: true });
    expect(errorOf(outcome).retryAfterSeconds).toBeUndefined();
  });

  it("answers a 5xx and a lost connection as retryable, and a resend after a reply lost in transit counts the usage once", async () => {
    polar.inject("ingest", { kind: "server_error", status: 503 });
    expect(errorOf((await provider().pushUsage([usageEvent()]))[0])).toMatchObject({ code: "PROVIDER_UNAVAILABLE", retryable: true, details: { status: 503 } });
    polar.inject("ingest", { kind: "reset_after_processing" });
    const events = usageEvents(2);
    expect((await provider().pushUsage(events)).map((outcome) => outcome.status)).toEqual(["retryable", "retryable"]);
    expect((await provider().pushUsage(events)).map((outcome) => outcome.status)).toEqual(["already_delivered", "already_delivered"]);
    expect(polar.events().map((e) => e.external_id)).toEqual(events.map((e) => e.transactionId));
  });

  it("gives up on a request Polar does not answer within polar.timeoutMs, as retryable", async () => {
    polar.inject("ingest", { kind: "timeout", holdMs: 5_000 });
    const outcomes = await provider({ timeoutMs: 200 }).pushUsage([usageEvent()]);
    expect(errorOf(outcomes[0])).toMatchObject({ code: "PROVIDER_UNAVAILABLE", retryable: true, message: expect.stringContaining("polar.timeoutMs") });
  });

  it("refuses before sending: a negative quantity, one a JSON number cannot carry exactly, or an unmapped meter", async () => {
    const events = [usageEvent({ quantity: "-2" }), usageEvent({ quantity: "12345678901234567.5" }), usageEvent({ meter: "storage_gb" }), usageEvent({ quantity: "0.1" })];
    const outcomes = await provider().pushUsage(events);
    expect(outcomes.map((outcome) => ("error" in outcome ? [outcome.status, outcome.error.code] : [outcome.status]))).toEqual([
      ["permanent", "PROVIDER_UNSUPPORTED"],
      ["permanent", "PROVIDER_UNSUPPORTED"],
      ["permanent", "UNKNOWN_METER"],
      ["delivered"],
    ]);
    expect(errorOf(outcomes[2])).toMatchObject({ field: "polar.meters.storage_gb" });
    expect(polar.events().map((e) => [e.external_id, e.metadata?.calls])).toEqual([[events[3]!.transactionId, 0.1]]);
  });

  it("goes to Polar's sandbox API when polar.environment is sandbox", async () => {
    const config = parseConfig({ provider: { default: "polar" }, polar: { secretKey: "polar_oat_sandbox", environment: "sandbox", meters: { api_calls: { eventName: "api_call" } } } }).polar!;
    const outcomes = await createPolarProvider({ client: createPolarClient(config), config, now: () => NOW, limiterClock: skippingClock() }).pushUsage([usageEvent()]);
    expect(outcomes.map((outcome) => outcome.status)).toEqual(["delivered"]);
    expect(sandbox.events()).toHaveLength(1);
    expect(polar.events()).toEqual([]);
  });
});
