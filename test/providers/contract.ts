import { describe, expect, it } from "vitest";
import { BillingError } from "../../src/core/errors.ts";
import type { BillingProvider, ProviderUsageEvent, PushOutcome } from "../../src/providers/types.ts";

/**
 * What a provider under contract test needs from its test setup. Remote providers run against
 * the msw stand-ins in test/support/msw, so "held at the provider" is the stand-in's state.
 */
export interface ContractHarness {
  provider: BillingProvider;
  /** A fresh event the provider accepts. */
  event(overrides?: Partial<ProviderUsageEvent>): ProviderUsageEvent;
  /** The transactionIds the provider side holds, one entry per held event (so duplicates show). */
  heldAtProvider(): string[];
  /** An event the provider must refuse permanently, if there is one it cannot express. */
  refusedEvent?(): ProviderUsageEvent;
  /** The next request to the provider answers 429 with Retry-After. */
  injectRateLimit?(retryAfterSeconds: number): void;
  /** The next request to the provider loses its connection. */
  injectConnectionReset?(): void;
}

const statuses = (outcomes: readonly PushOutcome[]) => outcomes.map((outcome) => outcome.status);
const ids = (events: readonly ProviderUsageEvent[]) => events.map((event) => event.transactionId);

/**
 * The behaviour every BillingProvider owes the forwarder. `setup` runs per test and returns a
 * harness on a clean provider-side state.
 */
export function describeProviderContract(name: string, setup: () => ContractHarness | Promise<ContractHarness>): void {
  describe(`BillingProvider contract: ${name}`, () => {
    it("answers an empty batch with no outcomes and sends nothing", async () => {
      const harness = await setup();
      expect(await harness.provider.pushUsage([])).toEqual([]);
      expect(harness.heldAtProvider()).toEqual([]);
    });

    it("returns exactly one outcome per event, in input order", async () => {
      const harness = await setup();
      const events = Array.from({ length: 5 }, () => harness.event());
      const outcomes = await harness.provider.pushUsage(events);
      expect(outcomes.map((outcome) => outcome.transactionId)).toEqual(ids(events));
      expect(statuses(outcomes)).toEqual(events.map(() => "delivered"));
    });

    it("delivers each event to the provider once (remote), or keeps it in the ledger only (manual)", async () => {
      const harness = await setup();
      const events = [harness.event(), harness.event()];
      await harness.provider.pushUsage(events);
      expect(harness.heldAtProvider().sort()).toEqual(harness.provider.remote ? ids(events).sort() : []);
    });

    it("uses the transactionId as the provider-side idempotency key: a resent batch is a success and nothing is counted twice", async () => {
      const harness = await setup();
      const events = [harness.event(), harness.event(), harness.event()];
      await harness.provider.pushUsage(events);
      const again = await harness.provider.pushUsage(events);
      for (const status of statuses(again)) expect(["delivered", "already_delivered"]).toContain(status);
      expect(harness.heldAtProvider().sort()).toEqual(harness.provider.remote ? ids(events).sort() : []);
    });

    it("survives a crash mid-batch: resending the whole batch after part of it went through delivers the rest, each once", async () => {
      const harness = await setup();
      const events = Array.from({ length: 4 }, () => harness.event());
      await harness.provider.pushUsage(events.slice(0, 2));
      const resent = await harness.provider.pushUsage(events);
      for (const status of statuses(resent)) expect(["delivered", "already_delivered"]).toContain(status);
      expect(statuses(resent).slice(2)).toEqual(["delivered", "delivered"]);
      expect(harness.heldAtProvider().sort()).toEqual(harness.provider.remote ? ids(events).sort() : []);
    });

    it("names customers from their provider_ids", async () => {
      const harness = await setup();
      const id = harness.provider.customerIdFor({ id: "acme", providerIds: { [harness.provider.id]: "provider_acme" } });
      expect(id).toBe(harness.provider.id === "manual" ? "acme" : "provider_acme");
    });

    it("declares a usable batch size", async () => {
      const harness = await setup();
      expect(Number.isInteger(harness.provider.maxBatchSize) && harness.provider.maxBatchSize > 0).toBe(true);
    });

    it("reports an event it cannot express as permanent, without throwing, and still delivers the others", async (context) => {
      const harness = await setup();
      if (!harness.refusedEvent) return context.skip(`${harness.provider.id} can express every event`);
      const good = harness.event();
      const refused = harness.refusedEvent();
      const good2 = harness.event();
      const outcomes = await harness.provider.pushUsage([good, refused, good2]);
      expect(statuses(outcomes)).toEqual(["delivered", "permanent", "delivered"]);
      const failed = outcomes[1]!;
      if (!("error" in failed)) throw new Error("expected an error");
      expect(failed.error).toBeInstanceOf(BillingError);
      expect(failed.error.retryable).toBe(false);
      expect(failed.error.provider).toBe(harness.provider.id);
      expect(harness.heldAtProvider().sort()).toEqual(ids([good, good2]).sort());
    });

    it("reports a rate limit as retryable with the provider's Retry-After, and the retry delivers each event once", async (context) => {
      const harness = await setup();
      if (!harness.injectRateLimit) return context.skip(`${harness.provider.id} makes no remote calls to rate-limit`);
      const events = [harness.event(), harness.event()];
      harness.injectRateLimit(1);
      const outcomes = await harness.provider.pushUsage(events);
      // A provider may send the batch's other requests after the limited one (after the pause).
      const limited = outcomes.filter((outcome) => outcome.status === "retryable");
      expect(limited.length).toBeGreaterThan(0);
      for (const status of statuses(outcomes)) expect(["retryable", "delivered"]).toContain(status);
      const first = limited[0]!;
      if (!("error" in first)) throw new Error("expected an error");
      expect(first.error).toMatchObject({ code: "PROVIDER_RATE_LIMITED", retryable: true, retryAfterSeconds: 1, provider: harness.provider.id });
      const again = events.filter((_, index) => outcomes[index]!.status === "retryable");
      expect(statuses(await harness.provider.pushUsage(again))).toEqual(again.map(() => "delivered"));
      expect(harness.heldAtProvider().sort()).toEqual(ids(events).sort());
    });

    it("reports a dropped connection as retryable, and the retry delivers each event once", async (context) => {
      const harness = await setup();
      if (!harness.injectConnectionReset) return context.skip(`${harness.provider.id} makes no remote calls to drop`);
      const events = [harness.event(), harness.event()];
      harness.injectConnectionReset();
      const outcomes = await harness.provider.pushUsage(events);
      expect(statuses(outcomes)).toContain("retryable");
      for (const status of statuses(outcomes)) expect(["retryable", "delivered"]).toContain(status);
      const again = events.filter((_, index) => outcomes[index]!.status === "retryable");
      const resent = await harness.provider.pushUsage(again);
      for (const status of statuses(resent)) expect(["delivered", "already_delivered"]).toContain(status);
      expect(harness.heldAtProvider().sort()).toEqual(ids(events).sort());
    });
  });
}
