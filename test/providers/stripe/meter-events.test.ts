import { setupServer } from "msw/node";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { parseConfig } from "../../../src/config/load.ts";
import type { HubConfigInput } from "../../../src/config/schema.ts";
import { createStripeClient } from "../../../src/providers/stripe/client.ts";
import { createStripeProvider } from "../../../src/providers/stripe/provider.ts";
import type { PushOutcome } from "../../../src/providers/types.ts";
import { createStripeStandIn } from "../../support/msw/stripe.ts";
import { NOW, usageEvent, usageEvents } from "../../support/usage-events.ts";

const stripe = createStripeStandIn({ now: () => NOW });
const local = createStripeStandIn({ now: () => NOW, apiOrigin: "http://127.0.0.1:12111", meterEventsOrigin: "http://127.0.0.1:12111" });
const server = setupServer(...stripe.handlers, ...local.handlers);

beforeAll(() => server.listen({ onUnhandledRequest: "error" }));
afterEach(() => {
  server.resetHandlers();
  stripe.reset();
  local.reset();
});
afterAll(() => server.close());

function provider(stripeConfig: Partial<NonNullable<HubConfigInput["stripe"]>> = {}) {
  const config = parseConfig({
    provider: { default: "stripe" },
    stripe: { secretKey: "sk_test_123", meters: { api_calls: { eventName: "api_call" } }, ...stripeConfig },
  }).stripe!;
  return createStripeProvider({ client: createStripeClient(config), config, now: () => NOW });
}

function errorOf(outcome: PushOutcome | undefined) {
  if (outcome === undefined || !("error" in outcome)) throw new Error(`expected a failed outcome, got ${JSON.stringify(outcome)}`);
  return outcome.error;
}

describe("Stripe meter events (v1)", () => {
  it("sends each event with identifier = transactionId, the meter's event name, payload keys and unix-second timestamp", async () => {
    const event = usageEvent({ quantity: "42" });
    const outcomes = await provider().pushUsage([event]);
    expect(outcomes).toEqual([{ transactionId: event.transactionId, status: "delivered" }]);
    expect(stripe.events()).toEqual([
      { identifier: event.transactionId, eventName: "api_call", payload: { stripe_customer_id: "cus_acme", value: "42" }, timestamp: Math.floor(event.timestamp.getTime() / 1000), via: "v1" },
    ]);
  });

  it("uses the payload keys configured for the meter", async () => {
    const event = usageEvent({ quantity: "5" });
    await provider({ meters: { api_calls: { eventName: "tokens", customerPayloadKey: "customer", valuePayloadKey: "tokens" } } }).pushUsage([event]);
    expect(stripe.events()[0]!.payload).toEqual({ customer: "cus_acme", tokens: "5" });
  });

  it("counts Stripe's duplicate-identifier 400 on a resend as already delivered, and Stripe keeps one event", async () => {
    const events = usageEvents(2);
    const stripeProvider = provider();
    await stripeProvider.pushUsage(events);
    stripe.expireIdempotencyKeys();
    const again = await stripeProvider.pushUsage(events);
    expect(again.map((o) => o.status)).toEqual(["already_delivered", "already_delivered"]);
    expect(stripe.events()).toHaveLength(2);
  });

  it("sends a negative quantity as a negative value, the way Stripe corrects over-reported usage", async () => {
    const event = usageEvent({ quantity: "-3" });
    expect((await provider().pushUsage([event]))[0]!.status).toBe("delivered");
    expect(stripe.events()[0]!.payload.value).toBe("-3");
  });

  it("refuses a fractional value before sending with PROVIDER_UNSUPPORTED, unless the meter has decimal values enabled", async () => {
    const event = usageEvent({ quantity: "0.5" });
    const error = errorOf((await provider().pushUsage([event]))[0]);
    expect(error).toMatchObject({ code: "PROVIDER_UNSUPPORTED", retryable: false, field: "quantity", provider: "stripe" });
    expect(error.message).toContain("whole numbers");
    expect(stripe.calls("meter_events")).toHaveLength(0);

    const decimalStripe = createStripeStandIn({ now: () => NOW, decimalValues: true });
    server.use(...decimalStripe.handlers);
    const outcomes = await provider({ meters: { api_calls: { eventName: "api_call", decimalValues: true } } }).pushUsage([event]);
    expect(outcomes[0]!.status).toBe("delivered");
    expect(decimalStripe.events()[0]!.payload.value).toBe("0.5");
  });

  it("refuses values with more than 15 significant digits with PROVIDER_UNSUPPORTED", async () => {
    const error = errorOf((await provider().pushUsage([usageEvent({ quantity: "1234567890123456" })]))[0]);
    expect(error.code).toBe("PROVIDER_UNSUPPORTED");
    expect(error.message).toContain("15 significant digits");
    expect((await provider().pushUsage([usageEvent({ quantity: "123456789012345" })]))[0]!.status).toBe("delivered");
  });

  it("refuses usage older than 35 days with USAGE_TOO_OLD without sending it, and still sends the rest of the batch", async () => {
    const old = usageEvent({ timestamp: new Date(NOW.getTime() - 35 * 86_400_000 - 1000) });
    const edge = usageEvent({ timestamp: new Date(NOW.getTime() - 35 * 86_400_000) });
    const outcomes = await provider().pushUsage([old, edge]);
    expect(errorOf(outcomes[0])).toMatchObject({ code: "USAGE_TOO_OLD", retryable: false, field: "timestamp" });
    expect(errorOf(outcomes[0]).message).toContain("invoice items");
    expect(outcomes[1]).toEqual({ transactionId: edge.transactionId, status: "delivered" });
    expect(stripe.events().map((e) => e.identifier)).toEqual([edge.transactionId]);
  });

  it("holds back usage stamped more than 5 minutes ahead as retryable USAGE_IN_FUTURE, with the wait in retryAfterSeconds", async () => {
    const early = usageEvent({ timestamp: new Date(NOW.getTime() + 6 * 60_000) });
    const edge = usageEvent({ timestamp: new Date(NOW.getTime() + 5 * 60_000) });
    const outcomes = await provider().pushUsage([early, edge]);
    expect(outcomes[0]!.status).toBe("retryable");
    expect(errorOf(outcomes[0])).toMatchObject({ code: "USAGE_IN_FUTURE", retryAfterSeconds: 60 });
    expect(outcomes[1]!.status).toBe("delivered");
  });

  it("dead-letters usage of a customer without a Stripe id with a message that says how to fix it", async () => {
    const event = usageEvent({ providerCustomerId: undefined });
    const error = errorOf((await provider().pushUsage([event]))[0]);
    expect(error).toMatchObject({ code: "PROVIDER_CUSTOMER_MISSING", retryable: false, field: "provider_ids.stripe" });
    expect(error.message).toContain("set provider_ids.stripe");
    expect(stripe.calls()).toHaveLength(0);
  });

  it("refuses a meter with no Stripe mapping with UNKNOWN_METER naming the config option and the mapped meters", async () => {
    const error = errorOf((await provider().pushUsage([usageEvent({ meter: "storage_gb" })]))[0]);
    expect(error).toMatchObject({ code: "UNKNOWN_METER", field: "stripe.meters.storage_gb" });
    expect(error.message).toContain("mapped: api_calls");
  });

  it("refuses a quantity that is not a decimal, or a timestamp that is not a date, with INVALID_USAGE", async () => {
    expect(errorOf((await provider().pushUsage([usageEvent({ quantity: "12,5" })]))[0])).toMatchObject({ code: "INVALID_USAGE", field: "quantity" });
    expect(errorOf((await provider().pushUsage([usageEvent({ timestamp: new Date("not a date") })]))[0])).toMatchObject({ code: "INVALID_USAGE", field: "timestamp" });
    expect(stripe.calls()).toHaveLength(0);
  });

  it("reports a 429 as retryable PROVIDER_RATE_LIMITED, and leaves the customer's later events unsent when Retry-After is longer than a claim waits", async () => {
    stripe.inject("meter_events", { kind: "rate_limit", retryAfter: "30" });
    const events = usageEvents(3);
    const outcomes = await provider().pushUsage(events);
    expect(outcomes.map((o) => o.status)).toEqual(["retryable", "retryable", "retryable"]);
    expect(errorOf(outcomes[0])).toMatchObject({ code: "PROVIDER_RATE_LIMITED", retryable: true, retryAfterSeconds: 30, provider: "stripe" });
    expect(errorOf(outcomes[2])).toMatchObject({ code: "PROVIDER_RATE_LIMITED", retryable: true, retryAfterSeconds: 30 });
    expect(errorOf(outcomes[2]).message).toMatch(/^Not sent: stripe asked to wait 30 s/);
    expect(stripe.calls("meter_events")).toHaveLength(1);
  });

  it("waits out a short Retry-After and then delivers the rest of the batch, the rate-limited event included on the next push", async () => {
    stripe.inject("meter_events", { kind: "rate_limit", retryAfter: "1" });
    const events = usageEvents(3);
    const started = Date.now();
    const outcomes = await provider().pushUsage(events);
    expect(outcomes.map((o) => o.status)).toEqual(["retryable", "delivered", "delivered"]);
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
    expect((await provider().pushUsage([events[0]!]))[0]!.status).toBe("delivered");
    expect(stripe.events().map((event) => event.identifier).sort()).toEqual(events.map((event) => event.transactionId).sort());
  });

  it("sends each customer's events for a meter in the order given", async () => {
    const events = [...usageEvents(4), ...usageEvents(4, { customerId: "globex", providerCustomerId: "cus_globex" })];
    const outcomes = await provider().pushUsage(events);
    expect(outcomes.every((o) => o.status === "delivered")).toBe(true);
    const order = (customer: string) => stripe.events().filter((event) => event.payload.stripe_customer_id === customer).map((event) => event.identifier);
    expect(order("cus_acme")).toEqual(events.slice(0, 4).map((event) => event.transactionId));
    expect(order("cus_globex")).toEqual(events.slice(4).map((event) => event.transactionId));
  });

  it("reports a 500 as retryable PROVIDER_UNAVAILABLE after exactly one call: the SDK does not retry on its own", async () => {
    stripe.inject("meter_events", { kind: "server_error" });
    const outcomes = await provider().pushUsage([usageEvent()]);
    expect(errorOf(outcomes[0])).toMatchObject({ code: "PROVIDER_UNAVAILABLE", retryable: true });
    expect(stripe.calls("meter_events")).toHaveLength(1);
  });

  it("reports a dropped connection as retryable PROVIDER_UNAVAILABLE, and the resend is delivered once", async () => {
    stripe.inject("meter_events", { kind: "reset" });
    const event = usageEvent();
    expect(errorOf((await provider().pushUsage([event]))[0])).toMatchObject({ code: "PROVIDER_UNAVAILABLE", retryable: true });
    expect((await provider().pushUsage([event]))[0]!.status).toBe("delivered");
    expect(stripe.events()).toHaveLength(1);
  });

  it("reports a refused API key as permanent PROVIDER_AUTH_FAILED naming the option", async () => {
    const config = parseConfig({ provider: { default: "stripe" }, stripe: { secretKey: "bad_key", meters: { api_calls: { eventName: "api_call" } } } }).stripe!;
    const outcomes = await createStripeProvider({ client: createStripeClient(config), config, now: () => NOW }).pushUsage(usageEvents(2));
    expect(errorOf(outcomes[0])).toMatchObject({ code: "PROVIDER_AUTH_FAILED", retryable: false });
    expect(errorOf(outcomes[0]).message).toContain("STRIPE_SECRET_KEY");
    expect(outcomes[1]!.status).toBe("permanent");
  });

  it("reports another 400 as permanent PROVIDER_REJECTED with Stripe's message", async () => {
    stripe.inject("meter_events", { kind: "response", status: 400, body: { error: { message: "No such meter event name: api_call", type: "invalid_request_error", param: "event_name" } } });
    const error = errorOf((await provider().pushUsage([usageEvent()]))[0]);
    expect(error).toMatchObject({ code: "PROVIDER_REJECTED", retryable: false });
    expect(error.message).toContain("No such meter event name");
  });

  it("sends to a local Stripe stand-in when stripe.apiBase (STRIPE_API_BASE) is set", async () => {
    const event = usageEvent();
    await provider({ apiBase: "http://127.0.0.1:12111" }).pushUsage([event]);
    expect(local.events().map((e) => e.identifier)).toEqual([event.transactionId]);
    expect(stripe.calls()).toHaveLength(0);
  });

  it("returns one outcome per event in input order when outcomes are mixed", async () => {
    const good = usageEvent();
    const unmapped = usageEvent({ meter: "nope" });
    const good2 = usageEvent();
    const outcomes = await provider().pushUsage([good, unmapped, good2]);
    expect(outcomes.map((o) => [o.transactionId, o.status])).toEqual([
      [good.transactionId, "delivered"],
      [unmapped.transactionId, "permanent"],
      [good2.transactionId, "delivered"],
    ]);
  });
});
