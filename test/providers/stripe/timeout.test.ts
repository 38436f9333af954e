import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseConfig } from "../../../src/config/load.ts";
import { createStripeClient } from "../../../src/providers/stripe/client.ts";
import { createStripeProvider } from "../../../src/providers/stripe/provider.ts";
import { startStripeStandIn, type StripeServer } from "../../support/stand-ins/stripe-server.ts";
import { NOW, usageEvents } from "../../support/usage-events.ts";

let stripe: StripeServer;
beforeAll(async () => {
  stripe = await startStripeStandIn({ now: () => NOW });
});
afterAll(() => stripe.close());

function provider(timeoutMs?: number) {
  const config = parseConfig({
    provider: { default: "stripe" },
    stripe: { secretKey: "sk_test_timeout", apiBase: stripe.url, meters: { api_calls: { eventName: "api_call" } }, ...(timeoutMs === undefined ? {} : { timeoutMs }) },
  }).stripe!;
  return { config, stripe: createStripeProvider({ client: createStripeClient(config), config, now: () => NOW }) };
}

describe("stripe.timeoutMs", () => {
  it("defaults to 30 seconds", () => {
    expect(provider().config.timeoutMs).toBe(30_000);
  });

  it("abandons a request Stripe does not answer in time as retryable PROVIDER_UNAVAILABLE, and still sends the rest of the batch", async () => {
    stripe.state.inject("meter_events", { kind: "timeout", holdMs: 5_000 });
    const [first, second] = await provider(100).stripe.pushUsage(usageEvents(2));
    expect(first).toMatchObject({ status: "retryable", error: { code: "PROVIDER_UNAVAILABLE", retryable: true } });
    expect(first!.status === "retryable" && first!.error.message).toContain("timeout");
    expect(second).toMatchObject({ status: "delivered" });
    expect(stripe.state.events().map((event) => event.identifier)).toEqual([second!.transactionId]);
  });

  it("refuses a timeout that is not a positive whole number of milliseconds, naming the option", () => {
    expect(() => provider(0)).toThrow(/stripe\.timeoutMs/);
  });
});
