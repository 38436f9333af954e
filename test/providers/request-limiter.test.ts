import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { createRequestLimiter, PausedByProvider } from "../../src/providers/request-limiter.ts";

/** A request that stays in flight until `finish()` is called. */
function pending() {
  let finish!: () => void;
  const done = new Promise<void>((resolve) => (finish = resolve));
  return { done, finish: () => finish() };
}

describe("request limiter", () => {
  beforeEach(() => vi.useFakeTimers({ now: new Date("2026-03-10T12:00:00Z") }));
  afterEach(() => vi.useRealTimers());

  it("starts no more requests per second than the rate, after a burst of a tenth of a second's worth", async () => {
    const limiter = createRequestLimiter({ requestsPerSecond: 100, maxInFlight: 1000 });
    let started = 0;
    const all = Array.from({ length: 500 }, () => limiter.run(async () => void (started += 1)));
    await vi.advanceTimersByTimeAsync(0);
    expect(started).toBe(10);
    await vi.advanceTimersByTimeAsync(1000);
    expect(started).toBeGreaterThanOrEqual(105);
    expect(started).toBeLessThanOrEqual(111);
    await vi.advanceTimersByTimeAsync(4000);
    await Promise.all(all);
    expect(started).toBe(500);
  });

  it("frees the slot of a send that throws at once", async () => {
    const limiter = createRequestLimiter({ requestsPerSecond: 1000, maxInFlight: 1 });
    const broken = (): Promise<void> => {
      throw new Error("bug");
    };
    await expect(limiter.run(broken, "acme")).rejects.toThrow("bug");
    await expect(limiter.run(async () => "sent", "acme")).resolves.toBe("sent");
  });

  it("keeps at most maxInFlight requests in flight", async () => {
    const limiter = createRequestLimiter({ requestsPerSecond: 1000, maxInFlight: 2 });
    const requests = Array.from({ length: 5 }, pending);
    let inFlight = 0;
    let most = 0;
    const all = requests.map((request) =>
      limiter.run(async () => {
        inFlight += 1;
        most = Math.max(most, inFlight);
        await request.done;
        inFlight -= 1;
      }),
    );
    await vi.advanceTimersByTimeAsync(100);
    expect(inFlight).toBe(2);
    for (const request of requests) {
      request.finish();
      await vi.advanceTimersByTimeAsync(10);
    }
    await Promise.all(all);
    expect(most).toBe(2);
  });

  it("runs requests of one key one at a time, in the order asked, while other keys go alongside", async () => {
    const limiter = createRequestLimiter({ requestsPerSecond: 1000, maxInFlight: 100 });
    const order: string[] = [];
    const gates = new Map<string, ReturnType<typeof pending>>();
    const ask = (key: string, name: string) =>
      limiter.run(async () => {
        order.push(`start ${name}`);
        const gate = pending();
        gates.set(name, gate);
        await gate.done;
        order.push(`end ${name}`);
      }, key);
    const all = [ask("acme", "a1"), ask("acme", "a2"), ask("globex", "g1"), ask("acme", "a3")];
    await vi.advanceTimersByTimeAsync(10);
    expect(order).toEqual(["start a1", "start g1"]);
    gates.get("a1")!.finish();
    await vi.advanceTimersByTimeAsync(10);
    expect(order).toEqual(["start a1", "start g1", "end a1", "start a2"]);
    gates.get("a2")!.finish();
    await vi.advanceTimersByTimeAsync(10);
    gates.get("a3")!.finish();
    gates.get("g1")!.finish();
    await Promise.all(all);
    expect(order.filter((step) => step.startsWith("start a"))).toEqual(["start a1", "start a2", "start a3"]);
  });

  it("lowers the rate by 30% on a 429, once per second however many answer 429, and grows it back without 429s", async () => {
    const limiter = createRequestLimiter({ requestsPerSecond: 1000, maxInFlight: 100 });
    limiter.rateLimited();
    limiter.rateLimited();
    expect(limiter.currentRate()).toBe(700);
    await vi.advanceTimersByTimeAsync(1000);
    limiter.rateLimited();
    // It grew back by 10% of the limit during that second (800), then dropped 30%.
    expect(limiter.currentRate()).toBeCloseTo(560, 5);
    await vi.advanceTimersByTimeAsync(1000);
    limiter.run(async () => undefined);
    await vi.advanceTimersByTimeAsync(6000);
    await limiter.run(async () => undefined);
    expect(limiter.currentRate()).toBe(1000);
  });

  it("sends nothing during the provider's Retry-After, then goes on", async () => {
    const limiter = createRequestLimiter({ requestsPerSecond: 1000, maxInFlight: 100 });
    limiter.rateLimited(2);
    let started = 0;
    const all = Array.from({ length: 3 }, () => limiter.run(async () => void (started += 1)));
    await vi.advanceTimersByTimeAsync(1990);
    expect(started).toBe(0);
    await vi.advanceTimersByTimeAsync(20);
    await Promise.all(all);
    expect(started).toBe(3);
  });

  it("fails the waiting requests with PausedByProvider when Retry-After is longer than it waits, without sending them", async () => {
    const limiter = createRequestLimiter({ requestsPerSecond: 1000, maxInFlight: 100, maxPauseMs: 10_000 });
    limiter.rateLimited(30);
    let started = 0;
    const answers = await Promise.allSettled([limiter.run(async () => void (started += 1), "acme"), limiter.run(async () => void (started += 1), "acme"), limiter.run(async () => void (started += 1))]);
    expect(started).toBe(0);
    for (const answer of answers) {
      expect(answer.status).toBe("rejected");
      expect((answer as PromiseRejectedResult).reason).toBeInstanceOf(PausedByProvider);
      expect((answer as PromiseRejectedResult).reason.retryAfterSeconds).toBe(30);
    }
  });
});
