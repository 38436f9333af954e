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
  const id = `tb_${++n}`;
  await hub.customers.upsert({ id });
  if (plan) await hub.customers.assign(id, plan);
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

describe("taking back what is left of a grant (a refunded purchase)", () => {
  it("takes back what a partly drawn unit grant has left, keeps what was drawn, and stops later consumes drawing it", async () => {
    const id = await customer();
    await hub.credits.grant(id, { id: "flowglad:prch_1:1", feature: "api", amount: 500, source: "purchase" });
    expect(await hub.consume(id, "api", 120, "tx_before_refund")).toMatchObject({ status: "created", allowed: true });

    const taken = await hub.credits.takeBack(id, "flowglad:prch_1:1", { reason: "refund pay_31n0b4p4" });
    expect(taken).toMatchObject({ amount: "380", status: "taken_back", grant: { id: "flowglad:prch_1:1", remaining: "0" } });

    const balance = await hub.credits.balance(id);
    expect(balance.units.api).toMatchObject({ available: "0", granted: "500", drawn: "120", expired: "380" });
    expect(balance.grants).toEqual([]);
    expect(await hub.consume(id, "api", 1, "tx_after_refund")).toMatchObject({ status: "refused", refusal: { code: "LIMIT_EXCEEDED" } });
    const { entries } = await hub.credits.history(id);
    expect(entries.map(({ kind, amount, reference }) => ({ kind, amount, reference }))).toEqual([
      { kind: "grant", amount: "500", reference: "flowglad:prch_1:1" },
      { kind: "draw", amount: "120", reference: "tx_before_refund" },
      { kind: "expire", amount: "380", reference: "take-back:refund pay_31n0b4p4" },
    ]);
  });

  it("takes nothing twice: the same reason again is a duplicate with what it took, another reason finds nothing left", async () => {
    const id = await customer();
    await hub.credits.grant(id, { id: "pack", feature: "api", amount: 50 });
    await hub.credits.takeBack(id, "pack", { reason: "refund 1" });
    expect(await hub.credits.takeBack(id, "pack", { reason: "refund 1" })).toMatchObject({ amount: "50", status: "duplicate" });
    expect(await hub.credits.takeBack(id, "pack", { reason: "chargeback 1" })).toMatchObject({ amount: "0", status: "nothing_left" });
    expect((await hub.credits.history(id, { grantId: "pack" })).entries.filter((entry) => entry.kind === "expire")).toHaveLength(1);
  });

  it("takes back a money grant before an invoice run, which then draws nothing from it (the same grant kept is drawn)", async () => {
    const creditLines = async (customerId: string) => (await hub.invoices.preview(customerId, { period: "2026-03" })).lineItems.filter((line) => line.model === "credit");
    const kept = await customer("starter");
    const refunded = await customer("starter");
    for (const id of [kept, refunded]) await hub.credits.grant(id, { id: "stripe:cs_1:1", currency: "USD", amount: 1500, source: "purchase", effectiveAt: "2026-03-01T00:00:00Z" });
    expect(await hub.credits.takeBack(refunded, "stripe:cs_1:1", { reason: "refund re_1" })).toMatchObject({ amount: "1500", status: "taken_back" });
    expect((await creditLines(kept)).map((line) => line.amount)).toEqual([-1500]);
    expect(await creditLines(refunded)).toEqual([]);
    expect((await hub.credits.balance(refunded)).money).toMatchObject({ available: "0", granted: "1500", expired: "1500" });
  });

  it("counts an expiry already due as expired, not as taken back", async () => {
    const id = await customer();
    await hub.credits.grant(id, { id: "old", feature: "api", amount: 30, effectiveAt: "2026-03-01T00:00:00Z", expiresAt: "2026-03-10T00:00:00Z" });
    expect(await hub.credits.takeBack(id, "old", { reason: "refund late" })).toMatchObject({ amount: "0", status: "nothing_left" });
    expect((await hub.credits.history(id, { grantId: "old" })).entries.map((entry) => entry.reference)).toEqual(["old", "expiry"]);
  });

  it("refuses an unknown grant, an unknown customer and a missing or unstorable reason, writing nothing", async () => {
    const id = await customer();
    await hub.credits.grant(id, { id: "kept", feature: "api", amount: 10 });
    expect(await refusalOf(hub.credits.takeBack(id, "no-such-grant", { reason: "refund" }))).toMatchObject({ code: "NOT_FOUND", field: "grantId" });
    expect(await refusalOf(hub.credits.takeBack("nobody", "kept", { reason: "refund" }))).toMatchObject({ code: "CUSTOMER_NOT_FOUND" });
    expect(await refusalOf(hub.credits.takeBack(id, "kept", { reason: "" }))).toMatchObject({ code: "VALIDATION_FAILED", field: "reason" });
    expect(await refusalOf(hub.credits.takeBack(id, "kept", {} as { reason: string }))).toMatchObject({ code: "VALIDATION_FAILED", field: "reason" });
    expect(await refusalOf(hub.credits.takeBack(id, "kept", { reason: "refund\u0000" }))).toMatchObject({ code: "VALIDATION_FAILED", field: "reason" });
    expect((await hub.credits.balance(id)).units.api).toMatchObject({ available: "10", expired: "0" });
  });
});

describe("taking back part of a grant (a partial refund)", () => {
  const expires = async (customerId: string, grantId: string) =>
    (await hub.credits.history(customerId, { grantId })).entries.filter((entry) => entry.kind === "expire").map(({ amount, reference }) => ({ amount, reference }));

  it("takes back the amount of a money grant and leaves the rest for the invoice run to draw", async () => {
    const id = await customer("starter");
    await hub.credits.grant(id, { id: "stripe:cs_2:1", currency: "USD", amount: 1500, source: "purchase", effectiveAt: "2026-03-01T00:00:00Z" });
    const taken = await hub.credits.takeBack(id, "stripe:cs_2:1", { reason: "refund re_2", amount: 500 });
    expect(taken).toMatchObject({ amount: "500", status: "taken_back", grant: { id: "stripe:cs_2:1", amount: "1500", remaining: "1000" } });
    expect((await hub.credits.balance(id)).money).toMatchObject({ available: "1000", granted: "1500", expired: "500" });
    expect(await expires(id, "stripe:cs_2:1")).toEqual([{ amount: "500", reference: "take-back:refund re_2" }]);
    const lines = (await hub.invoices.preview(id, { period: "2026-03" })).lineItems.filter((line) => line.model === "credit");
    expect(lines.map((line) => line.amount)).toEqual([-1000]);
  });

  it("takes back a decimal amount of a unit grant after a draw, and later consumes draw the rest", async () => {
    const id = await customer();
    await hub.credits.grant(id, { id: "flowglad:prch_2:1", feature: "api", amount: "50.5", source: "purchase" });
    await hub.consume(id, "api", 10, "tx_partial_1");
    const taken = await hub.credits.takeBack(id, "flowglad:prch_2:1", { reason: "partial_refund prch_2", amount: "12.25" });
    expect(taken).toMatchObject({ amount: "12.25", status: "taken_back", grant: { remaining: "28.25" } });
    expect((await hub.credits.balance(id)).units.api).toMatchObject({ available: "28.25", granted: "50.5", drawn: "10", expired: "12.25" });
    expect(await hub.consume(id, "api", 28, "tx_partial_2")).toMatchObject({ status: "created", allowed: true });
    expect((await hub.credits.balance(id)).units.api).toMatchObject({ available: "0.25", drawn: "38" });
  });

  it("takes only what is left when the amount is more than that", async () => {
    const id = await customer();
    await hub.credits.grant(id, { id: "pack", feature: "api", amount: 100 });
    await hub.consume(id, "api", 30, "tx_over_1");
    expect(await hub.credits.takeBack(id, "pack", { reason: "refund big", amount: 500 })).toMatchObject({ amount: "70", status: "taken_back", grant: { remaining: "0" } });
    expect(await hub.credits.takeBack(id, "pack", { reason: "refund after", amount: 1 })).toMatchObject({ amount: "0", status: "nothing_left" });
    expect(await expires(id, "pack")).toEqual([{ amount: "70", reference: "take-back:refund big" }]);
  });

  it("takes nothing twice for one reason: a repeat with the same, another or no amount is a duplicate with what the first call took", async () => {
    const id = await customer();
    await hub.credits.grant(id, { id: "pack", currency: "USD", amount: 2000 });
    expect(await hub.credits.takeBack(id, "pack", { reason: "refund re_3", amount: 300 })).toMatchObject({ amount: "300", status: "taken_back", grant: { remaining: "1700" } });
    expect(await hub.credits.takeBack(id, "pack", { reason: "refund re_3", amount: 300 })).toMatchObject({ amount: "300", status: "duplicate", grant: { remaining: "1700" } });
    expect(await hub.credits.takeBack(id, "pack", { reason: "refund re_3", amount: "800" })).toMatchObject({ amount: "300", status: "duplicate", grant: { remaining: "1700" } });
    expect(await hub.credits.takeBack(id, "pack", { reason: "refund re_3" })).toMatchObject({ amount: "300", status: "duplicate", grant: { remaining: "1700" } });
    expect(await expires(id, "pack")).toEqual([{ amount: "300", reference: "take-back:refund re_3" }]);
    // A second partial refund of the same purchase is a new reason.
    expect(await hub.credits.takeBack(id, "pack", { reason: "refund re_4", amount: 200 })).toMatchObject({ amount: "200", status: "taken_back", grant: { remaining: "1500" } });
    expect((await hub.credits.balance(id)).money).toMatchObject({ available: "1500", expired: "500" });
  });

  it("refuses a bad amount naming the field, as a grant does, and takes nothing", async () => {
    const id = await customer();
    await hub.credits.grant(id, { id: "money", currency: "USD", amount: 1000 });
    await hub.credits.grant(id, { id: "units", feature: "api", amount: "10.5" });
    await hub.credits.takeBack(id, "money", { reason: "refund done", amount: 100 });
    const before = await hub.credits.history(id);
    const refused = [
      { grant: "money", amount: 0, code: "INVALID_AMOUNT", message: "amount must be positive, got 0" },
      { grant: "money", amount: -5, code: "INVALID_AMOUNT", message: "amount must be positive, got -5" },
      { grant: "money", amount: 12.5, code: "INVALID_AMOUNT", message: "amount is whole minor units of USD (1000 = 10.00 in a 2-decimal currency), got 12.5" },
      { grant: "money", amount: "0.001", code: "INVALID_AMOUNT", message: "amount is whole minor units of USD (1000 = 10.00 in a 2-decimal currency), got 0.001" },
      { grant: "money", amount: "1e300", code: "INVALID_AMOUNT", message: "amount must be at most 9007199254740991, got 1" + "0".repeat(300) },
      { grant: "units", amount: "0", code: "INVALID_AMOUNT", message: "amount must be positive, got 0" },
      { grant: "units", amount: "-0.5", code: "INVALID_AMOUNT", message: "amount must be positive, got -0.5" },
      { grant: "units", amount: "ten", code: "INVALID_AMOUNT", message: 'amount must be a decimal number such as "12.5", got "ten"' },
      { grant: "units", amount: "", code: "INVALID_AMOUNT", message: 'amount must be a decimal number such as "12.5", got ""' },
      { grant: "units", amount: Number.NaN, code: "VALIDATION_FAILED", message: "amount: Invalid input" },
      { grant: "units", amount: true, code: "VALIDATION_FAILED", message: "amount: Invalid input" },
      { grant: "units", amount: null, code: "VALIDATION_FAILED", message: "amount: Invalid input" },
      // A repeat of a reason with a bad amount is refused too, not answered as a duplicate.
      { grant: "money", amount: 0.5, reason: "refund done", code: "INVALID_AMOUNT", message: "amount is whole minor units of USD (1000 = 10.00 in a 2-decimal currency), got 0.5" },
    ];
    for (const bad of refused) {
      const refusal = await refusalOf(hub.credits.takeBack(id, bad.grant, { reason: bad.reason ?? `refund bad ${String(bad.amount)}`, amount: bad.amount as never }));
      expect(refusal, `${bad.grant} ${String(bad.amount)}`).toEqual({ code: bad.code, field: "amount", message: bad.message });
    }
    expect(await hub.credits.history(id)).toEqual(before);
    expect((await hub.credits.balance(id)).grants.map(({ id: grantId, remaining }) => ({ grantId, remaining }))).toEqual([
      { grantId: "money", remaining: "900" },
      { grantId: "units", remaining: "10.5" },
    ]);
  });
});
