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
