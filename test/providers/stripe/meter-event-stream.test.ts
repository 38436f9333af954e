import { setupServer } from "msw/node";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { parseConfig } from "../../../src/config/load.ts";
import { createStripeClient } from "../../../src/providers/stripe/client.ts";
import { createStripeProvider } from "../../../src/providers/stripe/provider.ts";
import type { PushOutcome } from "../../../src/providers/types.ts";
import { createStripeStandIn } from "../../support/msw/stripe.ts";
import { NOW, usageEvent, usageEvents } from "../../support/usage-events.ts";

let clock = NOW;
const stripe = createStripeStandIn({ now: () => clock });
const server = setupServer(...stripe.handlers);

beforeAll(() => server.listen({ onUnhandledRequest: "error" }));
afterEach(() => {
  server.resetHandlers();
  stripe.reset();
  clock = NOW;
});
afterAll(() => server.close());

function provider() {
  const config = parseConfig({
    provider: { default: "stripe" },
    stripe: { secretKey: "sk_test_123", mode: "meter_event_stream", meters: { api_calls: { eventName: "api_call" } } },
  }).stripe!;
  return createStripeProvider({ client: createStripeClient(config), config, now: () => clock });
}

function errorOf(outcome: PushOutcome | undefined) {
  if (outcome === undefined || !("error" in outcome)) throw new Error(`expected a failed outcome, got ${JSON.stringify(outcome)}`);
  return outcome.error;
}

describe("Stripe meter event stream (v2)", () => {
  it("sends up to 100 events per request on one session and reports every event delivered", async () => {
    const events = usageEvents(250);
    const outcomes = await provider().pushUsage(events);
    expect(outcomes.every((o) => o.status === "delivered")).toBe(true);
    expect(outcomes.map((o) => o.transactionId)).toEqual(events.map((e) => e.transactionId));
    expect(stripe.calls("meter_event_session")).toHaveLength(1);
    expect(stripe.calls("meter_event_stream")).toHaveLength(3);
    expect(stripe.events().map((e) => e.identifier)).toEqual(events.map((e) => e.transactionId));
    expect(stripe.events()[0]).toMatchObject({ eventName: "api_call", payload: { stripe_customer_id: "cus_acme", value: "1" }, via: "stream" });
  });

  it("authenticates the stream with the session token, not the secret key", async () => {
    await provider().pushUsage([usageEvent()]);
    expect(stripe.calls("meter_event_session")[0]!.authorization).toBe("Bearer sk_test_123");
    expect(stripe.calls("meter_event_stream")[0]!.authorization).toMatch(/^Bearer mes_tok_/);
  });

  it("renews an expired session and resends, delivering each event once", async () => {
    const stream = provider();
    await stream.pushUsage([usageEvent()]);
    stripe.expireSessions();
    const events = usageEvents(2);
    const outcomes = await stream.pushUsage(events);
    expect(outcomes.map((o) => o.status)).toEqual(["delivered", "delivered"]);
    expect(stripe.calls("meter_event_session")).toHaveLength(2);
    expect(stripe.calls("meter_event_stream")).toHaveLength(3);
    expect(stripe.events()).toHaveLength(3);
  });

  it("renews the session before it runs out rather than sending on a dying token", async () => {
    const stream = provider();
    await stream.pushUsage([usageEvent()]);
    clock = new Date(NOW.getTime() + 14.5 * 60_000);
    await stream.pushUsage([usageEvent({ timestamp: clock })]);
    expect(stripe.calls("meter_event_session")).toHaveLength(2);
    expect(stripe.calls("meter_event_stream")).toHaveLength(2);
  });

  it("reports retryable errors for the batch when the session cannot be created", async () => {
    stripe.inject("meter_event_session", { kind: "server_error" });
    const outcomes = await provider().pushUsage(usageEvents(3));
    expect(outcomes.map((o) => o.status)).toEqual(["retryable", "retryable", "retryable"]);
    expect(errorOf(outcomes[0]).code).toBe("PROVIDER_UNAVAILABLE");
  });

  it("reports a 429 as retryable with Retry-After for the request it hit, and still delivers the push's other requests", async () => {
    stripe.inject("meter_event_stream", { kind: "rate_limit", retryAfter: "2" });
    const outcomes = await provider().pushUsage(usageEvents(150));
    const limited = outcomes.filter((o) => o.status === "retryable");
    expect(limited).toHaveLength(100);
    expect(errorOf(limited[0])).toMatchObject({ code: "PROVIDER_RATE_LIMITED", retryAfterSeconds: 2 });
    expect(outcomes.filter((o) => o.status === "delivered")).toHaveLength(50);
    expect(stripe.events()).toHaveLength(50);
    expect(stripe.calls("meter_event_stream")).toHaveLength(2);
  });

  it("reports a dropped connection as retryable, and the resend is accepted once", async () => {
    stripe.inject("meter_event_stream", { kind: "reset" });
    const events = usageEvents(2);
    expect((await provider().pushUsage(events)).map((o) => o.status)).toEqual(["retryable", "retryable"]);
    expect((await provider().pushUsage(events)).map((o) => o.status)).toEqual(["delivered", "delivered"]);
    expect(stripe.events()).toHaveLength(2);
  });

  it("finds the event at fault when Stripe refuses a whole request, and delivers the others", async () => {
    const refusal = { kind: "response", status: 400, body: { error: { type: "invalid_request", code: "invalid_fields", message: "payload.value must be a number" } } } as const;
    stripe.inject("meter_event_stream", refusal, 2);
    const events = usageEvents(3);
    const outcomes = await provider().pushUsage(events);
    expect(outcomes.map((o) => o.status)).toEqual(["permanent", "delivered", "delivered"]);
    expect(errorOf(outcomes[0])).toMatchObject({ code: "PROVIDER_REJECTED" });
    expect(stripe.events().map((e) => e.identifier)).toEqual([events[1]!.transactionId, events[2]!.transactionId]);
  });

  it("resending accepted events is harmless: Stripe keeps each identifier once", async () => {
    const events = usageEvents(3);
    await provider().pushUsage(events);
    const again = await provider().pushUsage(events);
    expect(again.every((o) => o.status === "delivered")).toBe(true);
    expect(stripe.events()).toHaveLength(3);
  });

  it("checks each event before streaming: a 36-day-old event is refused and not sent", async () => {
    const old = usageEvent({ timestamp: new Date(NOW.getTime() - 36 * 86_400_000) });
    const fresh = usageEvent();
    const outcomes = await provider().pushUsage([old, fresh]);
    expect(errorOf(outcomes[0]).code).toBe("USAGE_TOO_OLD");
    expect(outcomes[1]!.status).toBe("delivered");
    expect(stripe.events().map((e) => e.identifier)).toEqual([fresh.transactionId]);
  });

  it("sends ISO timestamps to the stream", async () => {
    const event = usageEvent({ timestamp: new Date("2026-03-10T11:30:00.000Z") });
    await provider().pushUsage([event]);
    expect(stripe.events()[0]!.timestamp).toBe(Date.parse("2026-03-10T11:30:00.000Z") / 1000);
  });
});
