import { describe, expect, it } from "vitest";
import { parseConfig } from "../../src/config/load.ts";
import { createStripeClient } from "../../src/providers/stripe/client.ts";
import { thrownBillingError } from "../support/errors.ts";

describe("provider config", () => {
  it("fills in Stripe's defaults: v1 meter events, Stripe's default payload keys, whole-number values", () => {
    const config = parseConfig({ stripe: { secretKey: "sk_test_1", meters: { api_calls: { eventName: "api_call" } } } });
    expect(config.stripe).toMatchObject({ mode: "meter_events", meters: { api_calls: { eventName: "api_call", customerPayloadKey: "stripe_customer_id", valuePayloadKey: "value", decimalValues: false } } });
  });

  it("refuses an unknown Stripe mode, naming the option", () => {
    const error = thrownBillingError(() => parseConfig({ stripe: { secretKey: "sk_test_1", mode: "stream" } }));
    expect(error).toMatchObject({ code: "CONFIG_INVALID", field: "stripe.mode" });
  });

  it("refuses a Stripe meter whose customer and value payload keys are the same", () => {
    const error = thrownBillingError(() => parseConfig({ stripe: { secretKey: "sk_test_1", meters: { api_calls: { eventName: "api_call", customerPayloadKey: "id", valuePayloadKey: "id" } } } }));
    expect(error).toMatchObject({ code: "CONFIG_INVALID", field: "stripe.meters.api_calls.valuePayloadKey" });
  });

  it("takes a Flowglad meter as a usage meter slug or a price slug, not both", () => {
    expect(parseConfig({ flowglad: { secretKey: "sk", meters: { a: { usageMeterSlug: "a" }, b: { priceSlug: "b" } } } }).flowglad?.meters).toEqual({ a: { usageMeterSlug: "a" }, b: { priceSlug: "b" } });
    const error = thrownBillingError(() => parseConfig({ flowglad: { secretKey: "sk", meters: { a: { usageMeterSlug: "a", priceSlug: "b" } } } }));
    expect(error.code).toBe("CONFIG_INVALID");
    expect(error.field).toMatch(/^flowglad\.meters\.a/);
  });

  it("takes host, port and protocol from STRIPE_API_BASE and refuses a path", () => {
    const client = createStripeClient({ secretKey: "sk_test_1", apiBase: "http://127.0.0.1:12111" });
    expect(client.getApiField("host")).toBe("127.0.0.1");
    expect(client.getApiField("port")).toBe(12111);
    expect(client.getApiField("protocol")).toBe("http");
    expect(thrownBillingError(() => createStripeClient({ secretKey: "sk_test_1", apiBase: "http://127.0.0.1:12111/v1" }))).toMatchObject({ code: "CONFIG_INVALID", field: "stripe.apiBase" });
  });

  it("turns the Stripe SDK's own retries off: the forwarder owns retries", () => {
    expect(createStripeClient({ secretKey: "sk_test_1" }).getMaxNetworkRetries()).toBe(0);
  });
});
