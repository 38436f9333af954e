import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHub, type Hub } from "../../../src/hub.ts";
import { driverName, openTestStore, type TestStore } from "../../support/store.ts";
import { createCustomer, ledgerCatalog, ledgerCount, outboxOf, testClock } from "../../support/ledger.ts";

let store: TestStore;
let routed: Hub;
let manual: Hub;
const clock = testClock("2026-03-10T12:00:00.000Z");

beforeAll(async () => {
  store = await openTestStore();
  routed = await createHub(
    {
      catalog: ledgerCatalog,
      provider: { default: "stripe", routes: { cus_fg: "flowglad", cus_self: "manual" }, mirror: ["flowglad"] },
      stripe: { secretKey: "sk_test_outbox" },
      flowglad: { secretKey: "sk_flowglad_outbox" },
    },
    { store, now: clock.now },
  );
  manual = await createHub({ catalog: ledgerCatalog }, { store, now: clock.now });
  for (const id of ["cus_1", "cus_fg", "cus_self"]) await createCustomer(store, id);
});
afterAll(() => store.cleanup());

const usage = (transactionId: string, customerId = "cus_1") => ({ customerId, meter: "api_calls", quantity: 1, transactionId });

describe(`outbox rows (${driverName})`, () => {
  it("queues one pending row per provider the customer routes to: the primary and each mirror", async () => {
    await routed.record(usage("ob_default"));
    expect(await outboxOf(store, ["ob_default"])).toEqual([
      { transaction_id: "ob_default", provider: "flowglad", role: "mirror", status: "pending", attempts: 0 },
      { transaction_id: "ob_default", provider: "stripe", role: "primary", status: "pending", attempts: 0 },
    ]);
  });

  it("follows a per-customer route and does not mirror to the customer's own provider", async () => {
    await routed.record(usage("ob_routed", "cus_fg"));
    expect(await outboxOf(store, ["ob_routed"])).toEqual([{ transaction_id: "ob_routed", provider: "flowglad", role: "primary", status: "pending", attempts: 0 }]);
  });

  it("writes no row for the manual provider, which has nothing to deliver", async () => {
    await routed.record(usage("ob_self", "cus_self"));
    expect((await outboxOf(store, ["ob_self"])).map((r) => [r.provider, r.role])).toEqual([["flowglad", "mirror"]]);
    await manual.record(usage("ob_manual"));
    expect(await outboxOf(store, ["ob_manual"])).toEqual([]);
    expect(await ledgerCount(store, ["ob_manual"])).toBe(1);
  });

  it("writes no second row for a duplicate", async () => {
    await routed.record(usage("ob_dup"));
    expect((await routed.record(usage("ob_dup"))).status).toBe("duplicate");
    await routed.recordBatch([usage("ob_dup"), usage("ob_dup_2")]);
    expect((await outboxOf(store, ["ob_dup"])).length).toBe(2);
    expect((await outboxOf(store, ["ob_dup_2"])).length).toBe(2);
  });

  it("queues refunds and bonuses like usage, so a provider that cannot take one fails it visibly", async () => {
    await routed.adjust({ customerId: "cus_1", meter: "api_calls", kind: "refund", quantity: 1, reason: "failed requests", transactionId: "ob_refund" });
    expect((await outboxOf(store, ["ob_refund"])).map((r) => r.provider)).toEqual(["flowglad", "stripe"]);
  });

  it("writes outbox rows in the ledger row's transaction: a refused batch leaves neither", async () => {
    await expect(routed.recordBatch([usage("ob_refused_ok"), { ...usage("ob_refused_bad"), customerId: "cus_ghost" }])).rejects.toMatchObject({ code: "CUSTOMER_NOT_FOUND" });
    expect(await outboxOf(store, ["ob_refused_ok", "ob_refused_bad"])).toEqual([]);
  });

  it("finds due pending rows through the partial index the forwarder claims with", async () => {
    const { rows } = await store.query<{ indexdef: string }>("SELECT indexdef FROM pg_indexes WHERE schemaname = current_schema() AND tablename = 'usage_outbox' AND indexname = 'usage_outbox_due'");
    expect(rows[0]!.indexdef).toMatch(/\(next_attempt_at\) WHERE \(status = 'pending'::text\)/);
    const claimed = await store.transaction((tx) =>
      tx.query<{ transaction_id: string }>("SELECT transaction_id FROM usage_outbox WHERE status = 'pending' AND next_attempt_at <= now() ORDER BY next_attempt_at FOR UPDATE SKIP LOCKED"),
    );
    expect(claimed.rows.map((r) => r.transaction_id)).toContain("ob_default");
  });
});
