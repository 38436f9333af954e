import { describe, expect, it } from "vitest";
import { BillingError } from "../../src/core/errors.ts";
import type { RequestLimiter } from "../../src/providers/request-limiter.ts";
import { allOutcomes, prepareEach, sendInChunks, sendOrSplit, type ReadyEvent } from "../../src/providers/send-in-chunks.ts";
import { usageEvents } from "../support/usage-events.ts";

/** A limiter that lets everything through at once and records what it was told. */
function openLimiter() {
  const told: (number | undefined)[] = [];
  const limiter: RequestLimiter = { run: (send) => send(), rateLimited: (seconds) => void told.push(seconds), currentRate: () => Infinity };
  return { limiter, told };
}

const refused = (message: string) => new BillingError("PROVIDER_REJECTED", message, { provider: "test" });
const authFailed = new BillingError("PROVIDER_AUTH_FAILED", "bad key", { provider: "test" });

/** Sends a batch of events whose item is their quantity; `answer` decides each request's fate. */
async function send(quantities: string[], size: number, answer: (items: string[]) => BillingError | undefined, refusedAlone?: (ready: ReadyEvent<string>, failure: BillingError) => BillingError) {
  const batch = usageEvents(quantities.length).map((event, i) => ({ ...event, quantity: quantities[i]! }));
  const requests: string[][] = [];
  const { limiter, told } = openLimiter();
  const { outcomes, ready } = prepareEach(batch, (event) => (event.quantity === "bad" ? refused(`cannot send ${event.transactionId}`) : event.quantity));
  await sendInChunks(ready, outcomes, size, (chunk) =>
    sendOrSplit(chunk, outcomes, {
      limiter,
      send: async (items) => {
        requests.push(items);
        const failure = answer(items);
        if (failure) throw failure;
        return "ok";
      },
      accepted: (_, sent) => sent.map((r) => ({ transactionId: r.event.transactionId, status: "delivered" as const })),
      toError: (error) => error as BillingError,
      ...(refusedAlone === undefined ? {} : { refusedAlone }),
    }),
  );
  return { outcomes: allOutcomes(outcomes, "test"), requests, told };
}

describe("sending a batch in chunks", () => {
  it("sends requests of at most the batch size, in order, and keeps a refusal made before sending in its place", async () => {
    const { outcomes, requests } = await send(["1", "2", "bad", "3", "4"], 2, () => undefined);
    expect(requests).toEqual([["1", "2"], ["3", "4"]]);
    expect(outcomes.map((o) => o.status)).toEqual(["delivered", "delivered", "permanent", "delivered", "delivered"]);
  });

  it("sends the events of a refused request one by one, so only the one at fault is refused", async () => {
    const { outcomes, requests } = await send(["1", "x", "3"], 10, (items) => (items.includes("x") ? refused("x is wrong") : undefined), (_, failure) => new BillingError("USAGE_TOO_OLD", `alone: ${failure.message}`));
    expect(requests).toEqual([["1", "x", "3"], ["1"], ["x"], ["3"]]);
    expect(outcomes.map((o) => ("error" in o ? `${o.status} ${o.error.code} ${o.error.message}` : o.status))).toEqual(["delivered", "permanent USAGE_TOO_OLD alone: x is wrong", "delivered"]);
  });

  it("stops the batch on a refused key: the rest, in later requests or later in a one-by-one run, is not sent", async () => {
    const later = await send(["1", "2", "3", "4"], 2, (items) => (items.includes("1") ? authFailed : undefined));
    expect(later.requests).toEqual([["1", "2"]]);
    expect(later.outcomes.map((o) => ("error" in o ? o.error.message : o.status))).toEqual(["bad key", "bad key", expect.stringMatching(/^Not sent: .*PROVIDER_AUTH_FAILED/), expect.stringMatching(/^Not sent/)]);

    const split = await send(["x", "1", "2"], 10, (items) => (items.length > 1 ? refused("some event is wrong") : items[0] === "1" ? authFailed : undefined));
    expect(split.requests).toEqual([["x", "1", "2"], ["x"], ["1"]]);
    expect(split.outcomes.map((o) => ("error" in o ? o.error.code : o.status))).toEqual(["delivered", "PROVIDER_AUTH_FAILED", "PROVIDER_AUTH_FAILED"]);
    expect("error" in split.outcomes[2]! && split.outcomes[2].error.message).toMatch(/^Not sent/);
  });

  it("tells the limiter about a rate limit, with its Retry-After, and fails the request's events as retryable", async () => {
    const limited = new BillingError("PROVIDER_RATE_LIMITED", "slow down", { provider: "test", retryAfterSeconds: 4 });
    const { outcomes, told, requests } = await send(["1", "2", "3"], 2, () => limited);
    expect(told).toEqual([4]);
    expect(requests).toHaveLength(1);
    expect(outcomes.map((o) => o.status)).toEqual(["retryable", "retryable", "retryable"]);
  });
});
