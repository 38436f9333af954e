import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHub, type Hub } from "../../src/hub.ts";
import type { Store } from "../../src/store/types.ts";
import { createCustomer, ledgerCatalog, ledgerCount, outboxOf } from "../support/ledger.ts";
import { DATABASE_URL, driverName, openSecondPool, openTestStore, type TestStore } from "../support/store.ts";

const CONCURRENT = 50;
const config = { catalog: ledgerCatalog, provider: { default: "stripe" as const, mirror: ["flowglad" as const] }, stripe: { secretKey: "sk_test_c" }, flowglad: { secretKey: "fg_c" } };
const now = () => new Date("2026-03-10T12:00:00Z");

let store: TestStore;
let second: Store | undefined;
/** One hub per connection pool: on PostgreSQL a second pool stands for a second process. */
let hubs: Hub[];

beforeAll(async () => {
  store = await openTestStore({ connectTimeoutMs: 60_000 });
  hubs = [await createHub(config, { store, now })];
  if (DATABASE_URL) {
    second = await openSecondPool(store);
    hubs.push(await createHub(config, { store: second, now }));
  }
  for (const id of ["rc_same", "rc_consume"]) await createCustomer(store, id);
});
afterAll(async () => {
  for (const hub of hubs) await hub.close();
  await second?.close();
  await store.cleanup();
});

describe(`${CONCURRENT} concurrent identical writes (${driverName}, ${DATABASE_URL ? "two connection pools" : "one embedded store"})`, () => {
  it("ends 50 concurrent identical records, single and inside batches, as one ledger row and one outbox row per provider", async () => {
    const input = { customerId: "rc_same", meter: "llm_tokens", quantity: "7", transactionId: "rc_same_tx", properties: { model: "m1" } };
    const results = await Promise.all(
      Array.from({ length: CONCURRENT }, async (_, i) => {
        const hub = hubs[i % hubs.length]!;
        if (i % 2 === 0) return hub.record(input);
        const batch = await hub.recordBatch([{ ...input, transactionId: `rc_other_${i}` }, input]);
        return batch[1]!;
      }),
    );
    const created = results.filter((r) => r.status === "created").length;
    const duplicates = results.filter((r) => r.status === "duplicate").length;
    expect([created, duplicates]).toEqual([1, CONCURRENT - 1]);
    expect(new Set(results.map((r) => JSON.stringify(r.event))).size).toBe(1);
    expect(await ledgerCount(store, ["rc_same_tx"])).toBe(1);
    expect((await outboxOf(store, ["rc_same_tx"])).map((r) => `${r.provider}/${r.role}`)).toEqual(["flowglad/mirror", "stripe/primary"]);
    console.info(`concurrent identical records (${driverName}): ${CONCURRENT} at once → ${created} created, ${duplicates} duplicate, 1 ledger row, 2 outbox rows (primary + mirror)`);
  });

  it("grants 50 concurrent consumes retried with one transactionId once", async () => {
    await hubs[0]!.upsertCustomer({ id: "rc_consume" });
    const results = await Promise.all(Array.from({ length: CONCURRENT }, (_, i) => hubs[i % hubs.length]!.consume("rc_consume", "api", 3, "rc_consume_tx")));
    const created = results.filter((r) => r.status === "created").length;
    const duplicates = results.filter((r) => r.status === "duplicate").length;
    expect([created, duplicates]).toEqual([1, CONCURRENT - 1]);
    expect((await hubs[0]!.check("rc_consume", "api")).used).toBe(3);
    expect(await ledgerCount(store, ["rc_consume_tx"])).toBe(1);
    console.info(`concurrent identical consumes (${driverName}): ${CONCURRENT} at once → ${created} granted, ${duplicates} duplicate, 3 units used, 1 ledger row`);
  });
});
