import { describe, expect, it } from "vitest";
import { BillingError, ERROR_CODES, httpStatusOf, listKeys } from "../../src/core/errors.ts";

describe("BillingError", () => {
  it("takes its HTTP status and retryability from the one code table", () => {
    const error = new BillingError("IDEMPOTENCY_CONFLICT", "transaction tx_1 was recorded with different content", { field: "transactionId" });
    expect(error.status).toBe(409);
    expect(error.retryable).toBe(false);
    expect(new BillingError("PROVIDER_RATE_LIMITED", "slow down").retryable).toBe(true);
  });

  it("lets a provider override retryability for one error", () => {
    expect(new BillingError("PROVIDER_REJECTED", "x", { retryable: true }).retryable).toBe(true);
  });

  it("serializes as { error: { code, message, field } } without undefined members", () => {
    const error = new BillingError("UNKNOWN_FEATURE", "Unknown feature apicalls; valid: api_calls", { field: "feature" });
    expect(JSON.parse(JSON.stringify(error))).toEqual({ error: { code: "UNKNOWN_FEATURE", message: "Unknown feature apicalls; valid: api_calls", field: "feature" } });
    expect(new BillingError("INTERNAL", "boom").toJSON()).toEqual({ error: { code: "INTERNAL", message: "boom" } });
  });

  it("maps anything that is not a BillingError to 500", () => {
    expect(httpStatusOf(new Error("x"))).toBe(500);
    expect(httpStatusOf(new BillingError("UNAUTHORIZED", "no key"))).toBe(401);
  });

  it("declares a status for every code", () => {
    for (const [code, spec] of Object.entries(ERROR_CODES)) {
      expect(spec.status, code).toBeGreaterThanOrEqual(400);
      expect(code).toMatch(/^[A-Z_]+$/);
    }
  });

  it("lists valid keys sorted, and says when there are none", () => {
    expect(listKeys(["seats", "api_calls"])).toBe("api_calls, seats");
    expect(listKeys([])).toBe("(none declared)");
  });
});
