import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHub, type Hub } from "../../../src/hub.ts";
import { driverName, openTestStore, type TestStore } from "../../support/store.ts";
import { createCustomer, ledgerCatalog, ledgerCount, testClock } from "../../support/ledger.ts";

let store: TestStore;
let hub: Hub;
const clock = testClock("2026-03-10T12:00:00.000Z");
const march = { from: "2026-03-01T00:00:00Z", to: "2026-04-01T00:00:00Z" };

beforeAll(async () => {
  store = await openTestStore();
  hub = await createHub({ catalog: ledgerCatalog }, { store, now: clock.now });
  await createCustomer(store, "cus_adj");
  await createCustomer(store, "cus_count");
  await hub.record({ customerId: "cus_adj", meter: "llm_tokens", quantity: 10000, transactionId: "adj_base" });
});
afterAll(() => store.cleanup());

const refund = (transactionId: string, extra: Record<string, unknown> = {}) => ({
  customerId: "cus_adj",
  meter: "llm_tokens",
  kind: "refund" as const,
  quantity: 1500,
  reason: "completion failed upstream",
  transactionId,
  ...extra,
});

describe(`adjustments (${driverName})`, () => {
  it("stores a refund as a negative entry with its reason and counts it in the sum", async () => {
    const result = await hub.adjust(refund("adj_refund"));
    expect(result).toMatchObject({ status: "created", event: { kind: "refund", quantity: "-1500", reason: "completion failed upstream" } });
    expect((await hub.usage({ customerId: "cus_adj", meter: "llm_tokens", window: march })).value).toBe("8500");
  });

  it("stores a bonus as usage given back too, with its own kind for audit", async () => {
    const result = await hub.adjust({ ...refund("adj_bonus"), kind: "bonus", quantity: "500.5", reason: "launch week gift" });
    expect(result.event).toMatchObject({ kind: "bonus", quantity: "-500.5" });
    expect((await hub.usage({ customerId: "cus_adj", meter: "llm_tokens", window: march })).value).toBe("7999.5");
  });

  it("answers duplicate for a retried adjustment and IDEMPOTENCY_CONFLICT for a changed one", async () => {
    expect((await hub.adjust(refund("adj_refund"))).status).toBe("duplicate");
    await expect(hub.adjust(refund("adj_refund", { quantity: 1600 }))).rejects.toMatchObject({ code: "IDEMPOTENCY_CONFLICT" });
    await expect(hub.adjust(refund("adj_refund", { reason: "another reason" }))).rejects.toMatchObject({ code: "IDEMPOTENCY_CONFLICT" });
    expect((await hub.usage({ customerId: "cus_adj", meter: "llm_tokens", window: march })).value).toBe("7999.5");
  });

  it("refuses an adjustment without a reason, or with a zero or negative amount", async () => {
    await expect(hub.adjust({ ...refund("adj_no_reason"), reason: undefined } as never)).rejects.toMatchObject({ code: "INVALID_USAGE", field: "reason" });
    await expect(hub.adjust({ ...refund("adj_empty_reason"), reason: "" })).rejects.toMatchObject({ code: "INVALID_USAGE", field: "reason" });
    await expect(hub.adjust(refund("adj_zero", { quantity: 0 }))).rejects.toMatchObject({ code: "INVALID_AMOUNT", field: "quantity" });
    await expect(hub.adjust(refund("adj_negative", { quantity: "-5" }))).rejects.toMatchObject({ code: "INVALID_AMOUNT", field: "quantity" });
    await expect(hub.adjust(refund("adj_kind", { kind: "credit" }))).rejects.toMatchObject({ code: "INVALID_USAGE", field: "kind" });
    expect(await ledgerCount(store, ["adj_no_reason", "adj_empty_reason", "adj_zero", "adj_negative", "adj_kind"])).toBe(0);
  });

  it("refuses adjustments on max, last and unique_count meters, where giving usage back has no meaning", async () => {
    for (const meter of ["peak_seats", "storage_level", "active_models"]) {
      await expect(hub.adjust(refund(`adj_${meter}`, { meter }))).rejects.toMatchObject({ code: "INVALID_USAGE", field: "meter" });
    }
  });

  it("counts an adjustment on a count meter as the number of events it gives back", async () => {
    for (let i = 0; i < 5; i += 1) await hub.record({ customerId: "cus_count", meter: "requests", quantity: 250, transactionId: `cnt_${i}` });
    await hub.adjust({ customerId: "cus_count", meter: "requests", kind: "refund", quantity: 2, reason: "two requests failed", transactionId: "cnt_refund" });
    expect((await hub.usage({ customerId: "cus_count", meter: "requests", window: march })).value).toBe("3");
  });

  it("refuses a negative correction on a max meter but accepts one on a count meter", async () => {
    await expect(
      hub.record({ customerId: "cus_count", meter: "peak_seats", quantity: -1, transactionId: "corr_max", kind: "correction", reason: "x" }),
    ).rejects.toMatchObject({ code: "INVALID_AMOUNT", field: "quantity" });
    await hub.record({ customerId: "cus_count", meter: "requests", quantity: -1, transactionId: "corr_count", kind: "correction", reason: "duplicate request" });
    expect((await hub.usage({ customerId: "cus_count", meter: "requests", window: march })).value).toBe("2");
  });

  it("keeps every adjustment in the ledger for audit", async () => {
    const { rows } = await store.query("SELECT transaction_id, kind, quantity::text AS quantity, reason FROM usage_events WHERE customer_id = 'cus_adj' ORDER BY transaction_id");
    expect(rows).toEqual([
      { transaction_id: "adj_base", kind: "usage", quantity: "10000", reason: null },
      { transaction_id: "adj_bonus", kind: "bonus", quantity: "-500.5", reason: "launch week gift" },
      { transaction_id: "adj_refund", kind: "refund", quantity: "-1500", reason: "completion failed upstream" },
    ]);
  });
});
