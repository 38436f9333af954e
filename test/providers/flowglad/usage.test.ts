import { setupServer } from "msw/node";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { parseConfig } from "../../../src/config/load.ts";
import type { HubConfigInput } from "../../../src/config/schema.ts";
import { createFlowgladClient } from "../../../src/providers/flowglad/client.ts";
import { createFlowgladProvider } from "../../../src/providers/flowglad/provider.ts";
import type { PushOutcome } from "../../../src/providers/types.ts";
import { createFlowgladStandIn } from "../../support/msw/flowglad.ts";
import { NOW, usageEvent, usageEvents } from "../../support/usage-events.ts";

const BASE = "https://flowglad.test";
let clock = NOW;
const flowglad = createFlowgladStandIn({ baseUrl: BASE, now: () => clock, pricingModel: { meters: [{ id: "um_api_calls", slug: "api_calls", priceSlug: "api_calls_overage" }, { id: "um_seats", slug: "seats" }] } });
const server = setupServer(...flowglad.handlers);

beforeAll(() => server.listen({ onUnhandledRequest: "error" }));
beforeEach(() => {
  flowglad.addCustomer({ externalId: "acme", subscriptions: [{ id: "sub_acme" }] });
  flowglad.addCustomer({ externalId: "globex", subscriptions: [{ id: "sub_globex" }] });
});
afterEach(() => {
  server.resetHandlers();
  flowglad.reset();
  clock = NOW;
});
afterAll(() => server.close());

function provider(flowgladConfig: Partial<NonNullable<HubConfigInput["flowglad"]>> = {}) {
  const config = parseConfig({
    provider: { default: "flowglad" },
    flowglad: { secretKey: "sk_test_fg", baseUrl: BASE, meters: { api_calls: { usageMeterSlug: "api_calls" } }, ...flowgladConfig },
  }).flowglad!;
  return createFlowgladProvider({ client: createFlowgladClient(config), config, now: () => clock });
}

/** Events as the hub builds them for Flowglad: its customer id is the external id. */
const event = (overrides: Parameters<typeof usageEvent>[0] = {}) => usageEvent({ providerCustomerId: undefined, ...overrides });

function errorOf(outcome: PushOutcome | undefined) {
  if (outcome === undefined || !("error" in outcome)) throw new Error(`expected a failed outcome, got ${JSON.stringify(outcome)}`);
  return outcome.error;
}

describe("Flowglad usage", () => {
  it("sends a batch in one bulk request with billhub's transactionId, the amount, usage date and the customer's subscription", async () => {
    const events = [event({ quantity: "3" }), event({ quantity: "7", properties: { model: "large" } })];
    const outcomes = await provider().pushUsage(events);
    expect(outcomes).toEqual(events.map((e) => ({ transactionId: e.transactionId, status: "delivered" })));
    expect(flowglad.calls("usage_bulk")).toHaveLength(1);
    expect(flowglad.usageEvents().map((e) => ({ transactionId: e.transactionId, amount: e.amount, subscriptionId: e.subscriptionId, usageMeterId: e.usageMeterId, usageDate: e.usageDate, properties: e.properties }))).toEqual([
      { transactionId: events[0]!.transactionId, amount: 3, subscriptionId: "sub_acme", usageMeterId: "um_api_calls", usageDate: events[0]!.timestamp.getTime(), properties: null },
      { transactionId: events[1]!.transactionId, amount: 7, subscriptionId: "sub_acme", usageMeterId: "um_api_calls", usageDate: events[1]!.timestamp.getTime(), properties: { model: "large" } },
    ]);
  });

  it("authenticates with the raw key, as Flowglad expects", async () => {
    await provider().pushUsage([event()]);
    expect(flowglad.calls("usage_bulk")[0]!.authorization).toBe("sk_test_fg");
  });

  it("resolves a price slug mapping to its usage meter", async () => {
    await provider({ meters: { api_calls: { priceSlug: "api_calls_overage" } } }).pushUsage([event()]);
    expect(flowglad.usageEvents()[0]!.usageMeterId).toBe("um_api_calls");
  });

  it("counts a resend as already delivered: Flowglad leaves duplicates out of the bulk response and keeps one event", async () => {
    const events = usageEvents(2, { providerCustomerId: undefined });
    const flowgladProvider = provider();
    await flowgladProvider.pushUsage(events);
    const again = await flowgladProvider.pushUsage([...events, event()]);
    expect(again.map((o) => o.status)).toEqual(["already_delivered", "already_delivered", "delivered"]);
    expect(flowglad.usageEvents()).toHaveLength(3);
  });

  it("fetches a customer's billing once per cache TTL, not once per event", async () => {
    const flowgladProvider = provider({ billingCacheTtlMs: 60_000 });
    await flowgladProvider.pushUsage(usageEvents(3, { providerCustomerId: undefined }));
    await flowgladProvider.pushUsage([event()]);
    expect(flowglad.calls("billing")).toHaveLength(1);
    clock = new Date(NOW.getTime() + 60_000);
    await flowgladProvider.pushUsage([event()]);
    expect(flowglad.calls("billing")).toHaveLength(2);
  });

  it("names the customer by provider_ids.flowglad when set, else by billhub's customer id", async () => {
    const flowgladProvider = provider();
    expect(flowgladProvider.customerIdFor({ id: "acme", providerIds: {} })).toBe("acme");
    expect(flowgladProvider.customerIdFor({ id: "acme", providerIds: { flowglad: "globex" } })).toBe("globex");
    await flowgladProvider.pushUsage([event({ customerId: "acme", providerCustomerId: "globex" })]);
    expect(flowglad.usageEvents()[0]!.subscriptionId).toBe("sub_globex");
  });

  it("maps Flowglad's CONFLICT for a transactionId held by another subscription to PROVIDER_CONFLICT, and still delivers the rest", async () => {
    const taken = event({ customerId: "globex" });
    await provider().pushUsage([taken]);
    const mine = event();
    const outcomes = await provider().pushUsage([{ ...taken, customerId: "acme" }, mine]);
    expect(outcomes.map((o) => o.status)).toEqual(["permanent", "delivered"]);
    expect(errorOf(outcomes[0])).toMatchObject({ code: "PROVIDER_CONFLICT", retryable: false, provider: "flowglad" });
    expect(errorOf(outcomes[0]).message).toContain("different subscription");
    expect(flowglad.usageEvents().map((e) => [e.transactionId, e.subscriptionId])).toEqual([
      [taken.transactionId, "sub_globex"],
      [mine.transactionId, "sub_acme"],
    ]);
  });

  it("reports a repeat that Flowglad holds with a different amount as PROVIDER_CONFLICT rather than delivered", async () => {
    const original = event({ quantity: "5" });
    await provider().pushUsage([original]);
    flowglad.inject("usage_bulk", { kind: "response", status: 400, body: { error: "Invalid input", code: "BAD_REQUEST" } });
    const outcomes = await provider().pushUsage([{ ...original, quantity: "3" }]);
    expect(errorOf(outcomes[0])).toMatchObject({ code: "PROVIDER_CONFLICT", details: { held: 5, sent: 3 } });
  });

  it("maps Flowglad's NOT_FOUND for an unknown customer to PROVIDER_NOT_FOUND that says how to fix it", async () => {
    const outcomes = await provider().pushUsage([event({ customerId: "initech" })]);
    const error = errorOf(outcomes[0]);
    expect(error).toMatchObject({ code: "PROVIDER_NOT_FOUND", retryable: false, field: "provider_ids.flowglad" });
    expect(error.message).toContain("set provider_ids.flowglad");
    expect(flowglad.calls("usage_bulk")).toHaveLength(0);
  });

  it("refuses usage of a customer with no current subscription with PROVIDER_NOT_FOUND", async () => {
    flowglad.addCustomer({ externalId: "acme", subscriptions: [] });
    const error = errorOf((await provider().pushUsage([event()]))[0]);
    expect(error.code).toBe("PROVIDER_NOT_FOUND");
    expect(error.message).toContain("no current subscription");
  });

  it("refuses a meter slug that is not in the customer's pricing model, naming the config option and the meters", async () => {
    const error = errorOf((await provider({ meters: { api_calls: { usageMeterSlug: "api_call" } } }).pushUsage([event()]))[0]);
    expect(error).toMatchObject({ code: "PROVIDER_NOT_FOUND", field: "flowglad.meters.api_calls" });
    expect(error.message).toContain("meters: api_calls, seats");
  });

  it("uses the subscription that carries the meter when a customer has several, and refuses to guess when none or both do", async () => {
    flowglad.addCustomer({ externalId: "acme", subscriptions: [{ id: "sub_seats", meterIds: ["um_seats"] }, { id: "sub_api", meterIds: ["um_api_calls"] }] });
    await provider().pushUsage([event()]);
    expect(flowglad.usageEvents()[0]!.subscriptionId).toBe("sub_api");

    flowglad.addCustomer({ externalId: "acme", subscriptions: [{ id: "sub_a" }, { id: "sub_b" }] });
    const error = errorOf((await provider().pushUsage([event()]))[0]);
    expect(error.code).toBe("PROVIDER_CONFLICT");
    expect(error.message).toContain("sub_a, sub_b");
  });

  it("refuses negative, zero and fractional amounts before sending with PROVIDER_UNSUPPORTED", async () => {
    const refund = event({ quantity: "-2" });
    const zero = event({ quantity: "0" });
    const half = event({ quantity: "2.5" });
    const outcomes = await provider().pushUsage([refund, zero, half]);
    expect(outcomes.map((o) => o.status)).toEqual(["permanent", "permanent", "permanent"]);
    expect(errorOf(outcomes[0])).toMatchObject({ code: "PROVIDER_UNSUPPORTED", field: "quantity" });
    expect(errorOf(outcomes[0]).message).toContain("negative adjustment");
    expect(errorOf(outcomes[2]).message).toContain("fractional");
    expect(flowglad.calls()).toHaveLength(0);
  });

  it("refuses a quantity that is not a decimal, or a timestamp that is not a date, with INVALID_USAGE", async () => {
    const outcomes = await provider().pushUsage([event({ quantity: "3 units" }), event({ timestamp: new Date(Number.NaN) })]);
    expect(errorOf(outcomes[0])).toMatchObject({ code: "INVALID_USAGE", field: "quantity" });
    expect(errorOf(outcomes[1])).toMatchObject({ code: "INVALID_USAGE", field: "timestamp" });
    expect(flowglad.calls()).toHaveLength(0);
  });

  it("refuses a meter with no Flowglad mapping with UNKNOWN_METER", async () => {
    expect(errorOf((await provider().pushUsage([event({ meter: "storage" })]))[0])).toMatchObject({ code: "UNKNOWN_METER", field: "flowglad.meters.storage" });
  });

  it("reports a 429 as retryable PROVIDER_RATE_LIMITED with Retry-After after one call: the SDK does not retry", async () => {
    flowglad.inject("usage_bulk", { kind: "rate_limit", retryAfter: "4" });
    const outcomes = await provider().pushUsage(usageEvents(2, { providerCustomerId: undefined }));
    expect(outcomes.map((o) => o.status)).toEqual(["retryable", "retryable"]);
    expect(errorOf(outcomes[0])).toMatchObject({ code: "PROVIDER_RATE_LIMITED", retryAfterSeconds: 4 });
    expect(flowglad.calls("usage_bulk")).toHaveLength(1);
  });

  it("reads Flowglad's retry-after-ms, and obeys x-should-retry", async () => {
    flowglad.inject("usage_bulk", { kind: "response", status: 429, body: { error: "Too many requests", code: "TOO_MANY_REQUESTS" }, headers: { "retry-after-ms": "1500" } });
    expect(errorOf((await provider().pushUsage([event()]))[0])).toMatchObject({ code: "PROVIDER_RATE_LIMITED", retryAfterSeconds: 2 });
    flowglad.inject("usage_bulk", { kind: "response", status: 500, body: { error: "Invalid state", code: "INTERNAL_SERVER_ERROR" }, headers: { "x-should-retry": "false" } });
    expect(errorOf((await provider().pushUsage([event()]))[0])).toMatchObject({ code: "PROVIDER_UNAVAILABLE", retryable: false });
  });

  it("reports a 500 as retryable PROVIDER_UNAVAILABLE after one call", async () => {
    flowglad.inject("usage_bulk", { kind: "server_error" });
    expect(errorOf((await provider().pushUsage([event()]))[0])).toMatchObject({ code: "PROVIDER_UNAVAILABLE", retryable: true });
    expect(flowglad.calls("usage_bulk")).toHaveLength(1);
  });

  it("reports a dropped connection as retryable, and the resend is delivered once", async () => {
    flowglad.inject("usage_bulk", { kind: "reset" });
    const events = usageEvents(2, { providerCustomerId: undefined });
    expect((await provider().pushUsage(events)).map((o) => o.status)).toEqual(["retryable", "retryable"]);
    expect((await provider().pushUsage(events)).map((o) => o.status)).toEqual(["delivered", "delivered"]);
    expect(flowglad.usageEvents()).toHaveLength(2);
  });

  it("reports a failed billing fetch as retryable for that customer and leaves the other customers unsent", async () => {
    flowglad.inject("billing", { kind: "server_error", status: 503 });
    const outcomes = await provider().pushUsage([event({ customerId: "acme" }), event({ customerId: "globex" })]);
    expect(outcomes.map((o) => o.status)).toEqual(["retryable", "retryable"]);
    expect(errorOf(outcomes[1]).message).toMatch(/^Not sent/);
    expect(flowglad.calls("billing")).toHaveLength(1);
  });

  it("reports a refused API key as permanent PROVIDER_AUTH_FAILED naming the option", async () => {
    const config = parseConfig({ provider: { default: "flowglad" }, flowglad: { secretKey: "Bearer sk", baseUrl: BASE, meters: { api_calls: { usageMeterSlug: "api_calls" } } } }).flowglad!;
    const outcomes = await createFlowgladProvider({ client: createFlowgladClient(config), config, now: () => clock }).pushUsage([event()]);
    expect(errorOf(outcomes[0])).toMatchObject({ code: "PROVIDER_AUTH_FAILED", retryable: false });
    expect(errorOf(outcomes[0]).message).toContain("FLOWGLAD_SECRET_KEY");
  });
});
