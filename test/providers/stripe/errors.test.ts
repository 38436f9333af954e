import Stripe from "stripe";
import { describe, expect, it } from "vitest";
import { isDuplicateIdentifier, stripeErrorToBillingError } from "../../../src/providers/stripe/errors.ts";
import { NOW } from "../../support/usage-events.ts";

function raw(statusCode: number, extra: Record<string, unknown> = {}) {
  return { statusCode, message: `status ${statusCode}`, headers: { "request-id": "req_123" }, ...extra };
}

describe("stripeErrorToBillingError", () => {
  it("maps each kind of Stripe failure to the code the forwarder acts on", () => {
    const { StripeAuthenticationError, StripePermissionError, StripeInvalidRequestError, StripeAPIError, StripeIdempotencyError } = Stripe.errors;
    expect(stripeErrorToBillingError(new StripeAuthenticationError(raw(401)), NOW)).toMatchObject({ code: "PROVIDER_AUTH_FAILED", retryable: false });
    expect(stripeErrorToBillingError(new StripePermissionError(raw(403)), NOW)).toMatchObject({ code: "PROVIDER_AUTH_FAILED", retryable: false });
    expect(stripeErrorToBillingError(new StripeInvalidRequestError(raw(404)), NOW)).toMatchObject({ code: "PROVIDER_NOT_FOUND", retryable: false });
    expect(stripeErrorToBillingError(new StripeAPIError(raw(409)), NOW)).toMatchObject({ code: "PROVIDER_CONFLICT", retryable: true });
    expect(stripeErrorToBillingError(new StripeAPIError(raw(503)), NOW)).toMatchObject({ code: "PROVIDER_UNAVAILABLE", retryable: true });
    expect(stripeErrorToBillingError(new StripeIdempotencyError(raw(400)), NOW)).toMatchObject({ code: "PROVIDER_CONFLICT", retryable: false });
  });

  it("lets Stripe's stripe-should-retry: true make a 400 retryable", () => {
    const error = new Stripe.errors.StripeInvalidRequestError(raw(400, { headers: { "stripe-should-retry": "true" } }));
    expect(stripeErrorToBillingError(error, NOW)).toMatchObject({ code: "PROVIDER_REJECTED", retryable: true });
  });

  it("lets Stripe's stripe-should-retry: false make a 5xx or 409 permanent, but never a rate limit", () => {
    const header = { headers: { "stripe-should-retry": "false" } };
    expect(stripeErrorToBillingError(new Stripe.errors.StripeAPIError(raw(500, header)), NOW)).toMatchObject({ code: "PROVIDER_UNAVAILABLE", retryable: false });
    expect(stripeErrorToBillingError(new Stripe.errors.StripeAPIError(raw(409, header)), NOW)).toMatchObject({ code: "PROVIDER_CONFLICT", retryable: false });
    expect(stripeErrorToBillingError(new Stripe.errors.StripeRateLimitError(raw(429, header)), NOW)).toMatchObject({ code: "PROVIDER_RATE_LIMITED", retryable: true });
  });

  it("keeps Stripe's request id in the message and details", () => {
    const error = stripeErrorToBillingError(new Stripe.errors.StripeAPIError(raw(500)), NOW);
    expect(error.message).toContain("req_123");
    expect(error.details).toMatchObject({ status: 500, requestId: "req_123" });
  });

  it("rethrows anything that is not a Stripe error: that is a bug, not an outcome", () => {
    const bug = new TypeError("undefined is not a function");
    expect(() => stripeErrorToBillingError(bug, NOW)).toThrow(bug);
  });
});

describe("isDuplicateIdentifier", () => {
  const duplicate = (message: string) => new Stripe.errors.StripeInvalidRequestError({ statusCode: 400, type: "invalid_request_error", message });

  it("recognizes Stripe's duplicate 400 for the identifier sent, and nothing else", () => {
    expect(isDuplicateIdentifier(duplicate("An event already exists with identifier tx_1."), "tx_1")).toBe(true);
    expect(isDuplicateIdentifier(duplicate("An event already exists with identifier tx_10."), "tx_1")).toBe(false);
    expect(isDuplicateIdentifier(duplicate("Missing required param: event_name."), "tx_1")).toBe(false);
  });
});
