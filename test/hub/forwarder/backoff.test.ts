import { describe, expect, it } from "vitest";
import { BillingError } from "../../../src/core/errors.ts";
import { backoffDelay, retryDelay } from "../../../src/hub/forwarder/backoff.ts";
import { settlementFor } from "../../../src/hub/forwarder/settlement.ts";
import type { ClaimedRow } from "../../../src/store/outbox/claim.ts";

const policy = { baseMs: 1000, capMs: 60_000 };

describe("backoff with equal jitter", () => {
  it("waits between half and all of the exponential step: base × 2^(attempt−1)", () => {
    expect([1, 2, 3, 4].map((attempt) => backoffDelay(attempt, policy, () => 0))).toEqual([500, 1000, 2000, 4000]);
    expect([1, 2, 3, 4].map((attempt) => backoffDelay(attempt, policy, () => 0.999999))).toEqual([1000, 2000, 4000, 8000]);
  });

  it("never waits more than the cap, however many attempts", () => {
    expect(backoffDelay(7, policy, () => 1)).toBe(60_000);
    expect(backoffDelay(1000, policy, () => 0)).toBe(30_000);
  });

  it("lets a longer Retry-After win over the backoff, and the backoff win over a shorter one", () => {
    expect(retryDelay(1, 30, policy, () => 0)).toBe(30_000);
    expect(retryDelay(4, 1, policy, () => 0)).toBe(4000);
    expect(retryDelay(1, undefined, policy, () => 0)).toBe(500);
  });
});

const row = (attempts: number): ClaimedRow => ({
  transactionId: "tx_1",
  provider: "stripe",
  role: "primary",
  customerId: "acme",
  attempts,
  priorSentAt: null,
  claimedAt: new Date("2026-03-10T12:00:00Z"),
  event: { meter: "api_calls", quantity: "1", timestamp: new Date("2026-03-10T11:59:00Z"), properties: {} },
  providerIds: { stripe: "cus_acme" },
});
const rules = { maxAttempts: 3, backoff: policy, random: () => 0 };
const failure = (code: ConstructorParameters<typeof BillingError>[0], options: ConstructorParameters<typeof BillingError>[2] = {}) => new BillingError(code, `${code} happened`, { provider: "stripe", ...options });

describe("what a claimed row becomes after the provider's answer", () => {
  it("is delivered when the provider took it or already had it", () => {
    expect(settlementFor(row(1), { transactionId: "tx_1", status: "delivered" }, rules)).toMatchObject({ status: "delivered", outcome: "delivered" });
    expect(settlementFor(row(1), { transactionId: "tx_1", status: "already_delivered" }, rules)).toMatchObject({ status: "delivered", outcome: "already_delivered" });
  });

  it("is dead at once, its error kept, when the provider refused it on the merits", () => {
    expect(settlementFor(row(1), { transactionId: "tx_1", status: "permanent", error: failure("PROVIDER_REJECTED") }, rules)).toMatchObject({
      status: "dead",
      error: { code: "PROVIDER_REJECTED", message: "PROVIDER_REJECTED happened" },
      mayHaveReached: false,
    });
  });

  it("waits for a retry after a retryable failure, Retry-After included", () => {
    expect(settlementFor(row(2), { transactionId: "tx_1", status: "retryable", error: failure("PROVIDER_UNAVAILABLE") }, rules)).toMatchObject({ status: "pending", delayMs: 1000, mayHaveReached: true });
    expect(settlementFor(row(1), { transactionId: "tx_1", status: "retryable", error: failure("PROVIDER_RATE_LIMITED", { retryAfterSeconds: 30 }) }, rules)).toMatchObject({
      status: "pending",
      delayMs: 30_000,
      mayHaveReached: false,
    });
  });

  it("is dead once the row has used every attempt, saying so", () => {
    const settlement = settlementFor(row(3), { transactionId: "tx_1", status: "retryable", error: failure("PROVIDER_UNAVAILABLE") }, rules);
    expect(settlement).toMatchObject({ status: "dead", error: { code: "PROVIDER_UNAVAILABLE", message: "Gave up after 3 attempts: PROVIDER_UNAVAILABLE happened" } });
  });

  it("keeps the provider's error text without any secret in it (a read key can list it)", () => {
    const echoed = new BillingError("PROVIDER_AUTH_FAILED", "401 from proxy: Authorization: Bearer sk_live_51Hsecret was refused", { provider: "stripe" });
    const settlement = settlementFor(row(1), { transactionId: "tx_1", status: "permanent", error: echoed }, rules);
    expect(settlement).toMatchObject({ status: "dead", error: { code: "PROVIDER_AUTH_FAILED", message: "401 from proxy: Authorization: Bearer [redacted] was refused" } });
  });
});
