import { describe, expect, it } from "vitest";
import { loadConfig, parseConfig } from "../../src/config/load.ts";
import { thrownBillingError } from "../support/errors.ts";

const STRIPE = { STRIPE_SECRET_KEY: "sk_test_123" };
const FLOWGLAD = { FLOWGLAD_SECRET_KEY: "sk_fg" };

describe("forwarder settings from the environment", () => {
  it("sets concurrency, batch size and lease from BILLHUB_FORWARDER_*", () => {
    const config = loadConfig({ env: { BILLHUB_FORWARDER_CONCURRENCY: "16", BILLHUB_FORWARDER_BATCH_SIZE: "5000", BILLHUB_FORWARDER_LEASE_MS: "30000" } });
    expect(config.forwarder).toMatchObject({ concurrency: 16, batchSize: 5000, leaseMs: 30_000 });
  });

  it.each([
    ["BILLHUB_FORWARDER_CONCURRENCY", "forwarder.concurrency", "4x"],
    ["BILLHUB_FORWARDER_BATCH_SIZE", "forwarder.batchSize", "1e3"],
    ["BILLHUB_FORWARDER_LEASE_MS", "forwarder.leaseMs", "10s"],
  ])("refuses %s that is not a whole number, naming %s and the variable", (name, option, raw) => {
    const error = thrownBillingError(() => loadConfig({ env: { [name]: raw } }));
    expect(error.code).toBe("CONFIG_INVALID");
    expect(error.field).toBe(option);
    expect(error.message).toBe(`Invalid configuration: ${option} (${name}) must be a whole number, got "${raw}"`);
  });

  it.each([
    ["BILLHUB_FORWARDER_CONCURRENCY", "forwarder.concurrency", "0", "must be at least 1"],
    ["BILLHUB_FORWARDER_CONCURRENCY", "forwarder.concurrency", "65", "must be at most 64"],
    ["BILLHUB_FORWARDER_BATCH_SIZE", "forwarder.batchSize", "0", "must be at least 1"],
    ["BILLHUB_FORWARDER_BATCH_SIZE", "forwarder.batchSize", "5001", "must be at most 5000"],
    ["BILLHUB_FORWARDER_LEASE_MS", "forwarder.leaseMs", "999", "must be at least 1000 (milliseconds)"],
  ])("refuses %s out of range (%s = %s), naming the option, the variable and the limit", (name, option, raw, limit) => {
    const error = thrownBillingError(() => loadConfig({ env: { [name]: raw } }));
    expect(error.field).toBe(option);
    expect(error.message).toBe(`Invalid configuration: ${option} (${name}) ${limit}`);
  });
});

describe("provider send settings", () => {
  it("leaves the send limits unset by default, so each provider's documented limit applies", () => {
    const config = parseConfig({ stripe: { secretKey: "sk_test_123" }, flowglad: { secretKey: "sk_fg" } });
    expect(config.stripe?.maxRequestsPerSecond).toBeUndefined();
    expect(config.stripe?.maxInFlight).toBeUndefined();
    expect(config.flowglad?.maxRequestsPerSecond).toBeUndefined();
    expect(config.flowglad?.maxInFlight).toBeUndefined();
  });

  it("sets the Stripe mode and send limits from STRIPE_MODE and STRIPE_MAX_*", () => {
    const config = loadConfig({ env: { ...STRIPE, STRIPE_MODE: "meter_event_stream", STRIPE_MAX_REQUESTS_PER_SECOND: "0.5", STRIPE_MAX_IN_FLIGHT: "1024" } });
    expect(config.stripe).toMatchObject({ mode: "meter_event_stream", maxRequestsPerSecond: 0.5, maxInFlight: 1024 });
  });

  it("sets the Flowglad send limits from FLOWGLAD_MAX_*", () => {
    const config = loadConfig({ env: { ...FLOWGLAD, FLOWGLAD_MAX_REQUESTS_PER_SECOND: "25", FLOWGLAD_MAX_IN_FLIGHT: "1" } });
    expect(config.flowglad).toMatchObject({ maxRequestsPerSecond: 25, maxInFlight: 1 });
  });

  it("refuses a STRIPE_MODE that is not a Stripe sending mode, naming stripe.mode and the valid modes", () => {
    const error = thrownBillingError(() => loadConfig({ env: { ...STRIPE, STRIPE_MODE: "stream" } }));
    expect(error.field).toBe("stripe.mode");
    expect(error.message).toContain("stripe.mode (STRIPE_MODE)");
    expect(error.message).toContain("meter_event_stream");
  });

  it.each([
    ["STRIPE_MAX_REQUESTS_PER_SECOND", "stripe.maxRequestsPerSecond", STRIPE],
    ["FLOWGLAD_MAX_REQUESTS_PER_SECOND", "flowglad.maxRequestsPerSecond", FLOWGLAD],
  ])("refuses %s that is not a plain positive number, naming %s and the variable", (name, option, credentials) => {
    for (const raw of ["fast", "-5", "1e3", "0x10", "1,5"]) {
      const error = thrownBillingError(() => loadConfig({ env: { ...credentials, [name]: raw } }));
      expect(error.code).toBe("CONFIG_INVALID");
      expect(error.field).toBe(option);
      expect(error.message).toBe(`Invalid configuration: ${option} (${name}) must be a positive number such as 25 or 0.5, got "${raw}"`);
    }
  });

  it.each([
    ["STRIPE_MAX_REQUESTS_PER_SECOND", "stripe.maxRequestsPerSecond", STRIPE],
    ["FLOWGLAD_MAX_REQUESTS_PER_SECOND", "flowglad.maxRequestsPerSecond", FLOWGLAD],
  ])("refuses %s of 0, naming %s and the variable", (name, option, credentials) => {
    const error = thrownBillingError(() => loadConfig({ env: { ...credentials, [name]: "0" } }));
    expect(error.field).toBe(option);
    expect(error.message).toBe(`Invalid configuration: ${option} (${name}) must be a number above 0`);
  });

  it.each([
    ["STRIPE_MAX_IN_FLIGHT", "stripe.maxInFlight", STRIPE],
    ["FLOWGLAD_MAX_IN_FLIGHT", "flowglad.maxInFlight", FLOWGLAD],
  ])("refuses %s outside 1..1024 or not whole, naming %s and the variable", (name, option, credentials) => {
    expect(thrownBillingError(() => loadConfig({ env: { ...credentials, [name]: "0" } })).message).toBe(`Invalid configuration: ${option} (${name}) must be at least 1`);
    expect(thrownBillingError(() => loadConfig({ env: { ...credentials, [name]: "1025" } })).message).toBe(`Invalid configuration: ${option} (${name}) must be at most 1024`);
    expect(thrownBillingError(() => loadConfig({ env: { ...credentials, [name]: "2.5" } })).message).toBe(`Invalid configuration: ${option} (${name}) must be a whole number, got "2.5"`);
  });

  it("refuses a fractional maxInFlight given in code, naming the option", () => {
    const error = thrownBillingError(() => parseConfig({ stripe: { secretKey: "sk_test_123", maxInFlight: 2.5 } }));
    expect(error.field).toBe("stripe.maxInFlight");
    expect(error.message).toContain("must be a whole number");
  });
});
