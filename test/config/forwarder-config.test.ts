import { describe, expect, it } from "vitest";
import { loadConfig, parseConfig } from "../../src/config/load.ts";

describe("forwarder settings", () => {
  it("defaults to running inside billhub serve with 4 claims of 1000 rows in flight, 20 attempts, 2 quick retries, 1 s–30 min backoff and a 10 s lease", () => {
    expect(parseConfig({}).forwarder).toEqual({
      enabled: true,
      batchSize: 1000,
      concurrency: 4,
      maxAttempts: 20,
      quickRetries: 2,
      backoffBaseMs: 1000,
      backoffCapMs: 1_800_000,
      leaseMs: 10_000,
      pollIntervalMs: 1000,
    });
  });

  it("is turned off in billhub serve with BILLHUB_FORWARDER_ENABLED=false, and refuses any other word", () => {
    expect(loadConfig({ env: { BILLHUB_FORWARDER_ENABLED: "false" } }).forwarder.enabled).toBe(false);
    expect(loadConfig({ env: { BILLHUB_FORWARDER_ENABLED: "1" } }).forwarder.enabled).toBe(true);
    expect(() => loadConfig({ env: { BILLHUB_FORWARDER_ENABLED: "off" } })).toThrow(
      expect.objectContaining({ code: "CONFIG_INVALID", field: "forwarder.enabled", message: 'Invalid configuration: forwarder.enabled (BILLHUB_FORWARDER_ENABLED) must be true or false, got "off"' }),
    );
  });

  it("refuses settings that cannot work, naming the option", () => {
    expect(() => parseConfig({ forwarder: { backoffBaseMs: 5000, backoffCapMs: 1000 } })).toThrow(expect.objectContaining({ code: "CONFIG_INVALID", field: "forwarder.backoffCapMs" }));
    expect(() => parseConfig({ forwarder: { leaseMs: 10 } })).toThrow(expect.objectContaining({ field: "forwarder.leaseMs" }));
    expect(() => parseConfig({ forwarder: { batchSize: 0 } })).toThrow(expect.objectContaining({ field: "forwarder.batchSize" }));
    expect(() => parseConfig({ forwarder: { retries: 3 } })).toThrow(expect.objectContaining({ field: "forwarder.retries", message: expect.stringContaining("unknown option(s): retries") }));
  });
});
