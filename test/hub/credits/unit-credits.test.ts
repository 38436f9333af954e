import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHub, type Hub } from "../../../src/hub.ts";
import { openTestStore, type TestStore } from "../../support/store.ts";
import { testClock } from "../entitlements-catalog.ts";
import { creditsCatalog } from "./credits-catalog.ts";
import { refusalOf } from "../../support/errors.ts";

let store: TestStore;
let hub: Hub;
const clock = testClock("2026-03-18T10:30:00Z");
let n = 0;
async function customer(plan?: string): Promise<string> {
  const id = `cu_${++n}`;
  await hub.upsertCustomer({ id });
  if (plan) await hub.assign(id, plan);
  return id;
}

beforeAll(async () => {
  store = await openTestStore();
  hub = await createHub({ catalog: creditsCatalog }, { store, now: clock.now });
});
afterAll(async () => {
  await hub.close();
  await store.cleanup();
});

describe("unit credits at consume and check", () => {
  it("lets a customer with a limit of 0 and 500 credited units consume exactly 500", async () => {
    const id = await customer();
    await hub.credits.grant(id, { id: "welcome", feature: "api", amount: 500 });
    expect(await hub.check(id, "api", { amount: 500 })).toMatchObject({ allowed: true, limit: 0, remaining: 500, exact: { credits: "500" } });
    expect(await hub.consume(id, "api", 499, "c-1")).toMatchObject({ status: "created", allowed: true, used: 499, remaining: 1, exact: { credits: "1" } });
    expect(await hub.consume(id, "api", 2, "c-2")).toMatchObject({ status: "refused", refusal: { code: "LIMIT_EXCEEDED" } });
    expect(await hub.consume(id, "api", 1, "c-3")).toMatchObject({ status: "created", remaining: 0 });
    expect((await hub.check(id, "api")).allowed).toBe(false);
    const balance = await hub.credits.balance(id);
    expect(balance.units.api).toEqual({ available: "0", scheduled: "0", granted: "500", drawn: "500", expired: "0" });
  });

  it("uses the plan's limit first and draws credits only for what the limit does not cover", async () => {
    const id = await customer("starter");
    await hub.credits.grant(id, { id: "extra", feature: "api", amount: "10.5" });
    expect((await hub.check(id, "api")).exact.remaining).toBe("110.5");
    await hub.consume(id, "api", 98, "s-1");
    expect((await hub.credits.balance(id)).units.api!.drawn).toBe("0");
    const result = await hub.consume(id, "api", "4.25", "s-2");
    expect(result).toMatchObject({ status: "created", exact: { used: "102.25", remaining: "8.25", credits: "8.25" } });
    expect((await hub.credits.history(id)).entries.map((entry) => [entry.kind, entry.amount, entry.reference])).toEqual([
      ["grant", "10.5", "extra"],
      ["draw", "2.25", "s-2"],
    ]);
  });

  it("draws by priority, then the soonest expiry, then the oldest grant", async () => {
    const id = await customer();
    await hub.credits.grant(id, { id: "late-low", feature: "api", amount: 5, priority: 1, effectiveAt: "2026-03-01T00:00:00Z" });
    await hub.credits.grant(id, { id: "newer", feature: "api", amount: 5, effectiveAt: "2026-03-10T00:00:00Z" });
    await hub.credits.grant(id, { id: "older", feature: "api", amount: 5, effectiveAt: "2026-03-02T00:00:00Z" });
    await hub.credits.grant(id, { id: "expiring", feature: "api", amount: 5, effectiveAt: "2026-03-15T00:00:00Z", expiresAt: "2026-06-01T00:00:00Z" });
    await hub.consume(id, "api", 18, "order-1");
    const draws = (await hub.credits.history(id)).entries.filter((entry) => entry.kind === "draw").map((entry) => [entry.grantId, entry.amount]);
    expect(draws).toEqual([
      ["expiring", "5"],
      ["older", "5"],
      ["newer", "5"],
      ["late-low", "3"],
    ]);
  });

  it("draws nothing for a refused consume and nothing again for a retried one", async () => {
    const id = await customer();
    await hub.credits.grant(id, { id: "g", feature: "api", amount: 10 });
    expect((await hub.consume(id, "api", 11, "r-1")).status).toBe("refused");
    expect((await hub.consume(id, "api", 4, "r-2")).status).toBe("created");
    expect((await hub.consume(id, "api", 4, "r-2")).status).toBe("duplicate");
    expect((await hub.credits.balance(id)).units.api).toMatchObject({ available: "6", drawn: "4" });
  });

  it("expires what is left at expiresAt and rolls over per policy at each billing period end", async () => {
    const local = testClock("2026-03-18T10:30:00Z");
    const timed = await createHub({ catalog: creditsCatalog }, { store, now: local.now });
    const id = await customer();
    await timed.credits.grant(id, { id: "none", feature: "api", amount: 10, rollover: "none" });
    await timed.credits.grant(id, { id: "cap", feature: "api", amount: 10, rollover: { cap: 4 } });
    await timed.credits.grant(id, { id: "all", feature: "api", amount: 10 });
    await timed.credits.grant(id, { id: "dated", feature: "api", amount: 10, priority: 5, expiresAt: "2026-04-10T00:00:00Z" });
    // Priority 0 first, in id order (same start, no expiry): "all" gives 10, "cap" 2.
    await timed.consume(id, "api", 12, "x-1");
    expect((await timed.credits.expiring(id)).expiries.map((e) => [e.grantId, e.amount, e.reason, e.at.toISOString()])).toEqual([
      ["cap", "4", "rollover", "2026-04-01T00:00:00.000Z"],
      ["none", "10", "rollover", "2026-04-01T00:00:00.000Z"],
      ["dated", "10", "expiry", "2026-04-10T00:00:00.000Z"],
    ]);
    local.set("2026-04-02T00:00:00Z");
    expect((await timed.check(id, "api")).exact.credits).toBe("14");
    local.set("2026-04-11T00:00:00Z");
    expect((await timed.check(id, "api")).exact.credits).toBe("4");
    const balance = await timed.credits.balance(id);
    expect(balance.units.api).toEqual({ available: "4", scheduled: "0", granted: "40", drawn: "12", expired: "24" });
    const expired = (await timed.credits.history(id)).entries
      .filter((entry) => entry.kind === "expire")
      .sort((a, b) => a.at.getTime() - b.at.getTime() || (a.grantId < b.grantId ? -1 : 1))
      .map((entry) => [entry.grantId, entry.amount, entry.reference]);
    expect(expired).toEqual([
      ["cap", "4", "rollover:2026-04-01T00:00:00.000Z"],
      ["none", "10", "rollover:2026-04-01T00:00:00.000Z"],
      ["dated", "10", "expiry"],
    ]);
    await timed.close();
  });

  it("draws credits before overage on a plan that allows usage past the limit, and never more than there is", async () => {
    const id = await customer("open");
    await hub.credits.grant(id, { id: "some", feature: "api", amount: 5 });
    const result = await hub.consume(id, "api", 20, "o-1");
    expect(result).toMatchObject({ status: "created", used: 20, exact: { credits: "0" }, overage: { inOverage: true, units: "10" } });
    expect((await hub.credits.balance(id)).units.api).toMatchObject({ available: "0", drawn: "5" });
  });

  it("does not count a grant before its effectiveAt", async () => {
    const id = await customer();
    await hub.credits.grant(id, { id: "future", feature: "api", amount: 10, effectiveAt: "2026-04-01T00:00:00Z" });
    expect((await hub.consume(id, "api", 1, "f-1")).status).toBe("refused");
    expect((await hub.credits.balance(id)).units.api).toMatchObject({ available: "0", scheduled: "10" });
  });
});

describe("credit grants", () => {
  it("answers a retry with the stored grant and refuses the same id with other content", async () => {
    const id = await customer();
    const first = await hub.credits.grant(id, { id: "g1", feature: "api", amount: 5, metadata: { b: 1, a: 2 } });
    expect(first.status).toBe("created");
    const again = await hub.credits.grant(id, { id: "g1", feature: "api", amount: "5.0", metadata: { a: 2, b: 1 } });
    expect(again).toEqual({ ...first, status: "duplicate" });
    expect(await refusalOf(hub.credits.grant(id, { id: "g1", feature: "api", amount: 6 }))).toMatchObject({ code: "IDEMPOTENCY_CONFLICT", field: "amount" });
    expect((await hub.credits.balance(id)).units.api!.granted).toBe("5");
  });

  it("refuses bad grants with a code, a message and the field, and writes nothing", async () => {
    const id = await customer();
    const cases: Array<[unknown, string, string]> = [
      [{ id: "b", feature: "api", amount: -5 }, "INVALID_AMOUNT", "amount"],
      [{ id: "b", feature: "api", amount: 0 }, "INVALID_AMOUNT", "amount"],
      [{ id: "b", feature: "api", amount: "abc" }, "INVALID_AMOUNT", "amount"],
      [{ id: "b", feature: "api", amount: 5, effectiveAt: "2026-04-01T00:00:00Z", expiresAt: "2026-03-01T00:00:00Z" }, "VALIDATION_FAILED", "expiresAt"],
      [{ id: "b", feature: "apii", amount: 5 }, "UNKNOWN_FEATURE", "feature"],
      [{ id: "b", feature: "storage", amount: 5 }, "VALIDATION_FAILED", "feature"],
      [{ id: "b", feature: "seats", amount: 5 }, "VALIDATION_FAILED", "feature"],
      [{ id: "b", currency: "EUR", amount: 500 }, "CURRENCY_MISMATCH", "currency"],
      [{ id: "b", currency: "USD", amount: "10.5" }, "INVALID_AMOUNT", "amount"],
      [{ id: "b", amount: 5 }, "VALIDATION_FAILED", "currency"],
      [{ id: "b", feature: "api", currency: "USD", amount: 5 }, "VALIDATION_FAILED", "feature"],
      [{ id: "b", feature: "api", amount: 5, rollover: { cap: -1 } }, "INVALID_AMOUNT", "rollover.cap"],
      [{ id: "b", feature: "api", amount: 5, source: "gift" }, "VALIDATION_FAILED", "source"],
      [{ id: "", feature: "api", amount: 5 }, "VALIDATION_FAILED", "id"],
    ];
    for (const [input, code, field] of cases) {
      const refusal = await refusalOf(hub.credits.grant(id, input as never));
      expect(refusal, JSON.stringify(input)).toMatchObject({ code, field });
      expect(refusal.message.length).toBeGreaterThan(10);
    }
    expect(await refusalOf(hub.credits.grant("nobody", { id: "b", feature: "api", amount: 5 }))).toMatchObject({ code: "CUSTOMER_NOT_FOUND" });
    expect((await hub.credits.balance(id)).grants).toEqual([]);
    expect((await hub.credits.history(id)).entries).toEqual([]);
  });
});
