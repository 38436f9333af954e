import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHub, type Hub } from "../../src/hub.ts";
import { meterUsage } from "../../src/hub/ledger.ts";
import { queryEventValues, queryUsageTotals } from "../../src/store/ledger/aggregate.ts";
import { createCustomer, ledgerCatalog, testClock } from "../support/ledger.ts";
import { driverName, openTestStore, type TestStore } from "../support/store.ts";
import { contextOf } from "../../src/hub/hub-internals.ts";

const METERS = ["api_calls", "requests", "peak_seats", "storage_level", "active_models"] as const;
const clock = testClock("2026-11-02T00:00:00.000Z");
const CUSTOMERS = ["tot_a", "tot_b", "tot_c"];
/** Each customer with its own window, as billing periods are. */
const SCOPES = [
  { customerId: "tot_a", from: new Date("2026-10-01T00:00:00Z"), to: new Date("2026-11-01T00:00:00Z") },
  { customerId: "tot_b", from: new Date("2026-10-10T00:00:00Z"), to: new Date("2026-10-20T00:00:00Z") },
  { customerId: "tot_c", from: new Date("2026-09-15T00:00:00Z"), to: new Date("2026-10-15T00:00:00Z") },
];
let store: TestStore;
let hub: Hub;
let run = 0;

beforeAll(async () => {
  store = await openTestStore();
  hub = await createHub({ catalog: ledgerCatalog }, { store, now: clock.now });
  for (const id of CUSTOMERS) await createCustomer(store, id);
});
afterAll(() => store.cleanup());

const entryArb = fc.record({
  customer: fc.constantFrom(...CUSTOMERS),
  meter: fc.constantFrom(...METERS),
  quantity: fc.constantFrom("0", "1", "0.25", "7", "1500"),
  day: fc.integer({ min: 10, max: 50 }),
  second: fc.integer({ min: 0, max: 2 }),
  model: fc.constantFrom("a", "b", "c"),
  kind: fc.constantFrom("usage", "usage", "usage", "correction", "refund", "bonus"),
});

describe(`batched usage totals (${driverName})`, () => {
  it("equal the single-customer aggregate of every meter and aggregation, adjustments and corrections included", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(entryArb, { minLength: 1, maxLength: 25 }), async (entries) => {
        run += 1;
        await store.query("DELETE FROM usage_events WHERE customer_id = ANY($1::text[])", [CUSTOMERS]);
        for (const [index, entry] of entries.entries()) {
          const at = new Date(Date.UTC(2026, 8, entry.day, 12, 0, entry.second)).toISOString();
          const additive = entry.meter === "api_calls" || entry.meter === "requests";
          const kind = additive ? entry.kind : entry.kind === "correction" ? "correction" : "usage";
          const transactionId = `tot_${run}_${index}`;
          if (kind === "refund" || kind === "bonus") {
            if (entry.quantity === "0") continue;
            await hub.adjust({ customerId: entry.customer, meter: entry.meter, kind, quantity: entry.quantity, reason: "test", transactionId });
          } else {
            await hub.record({ customerId: entry.customer, meter: entry.meter, quantity: entry.quantity, timestamp: at, transactionId, properties: { model: entry.model }, ...(kind === "correction" ? { kind, reason: "test" } : {}) });
          }
        }
        const totals = await queryUsageTotals(store, { scopes: SCOPES, meters: METERS.map((key) => ledgerCatalog.meters[key]!) });
        const batched = new Map(totals.map((row) => [`${row.customerId} ${row.meter}`, row.value]));
        for (const scope of SCOPES) {
          for (const meter of METERS) {
            const single = await meterUsage(store, contextOf(hub), { customerId: scope.customerId, meter, window: { from: scope.from, to: scope.to } });
            expect(batched.get(`${scope.customerId} ${meter}`) ?? "0").toBe(single);
          }
        }
      }),
      { numRuns: 15 },
    );
  });

  it("reads only the events whose delivery is dead with the given error when asked", async () => {
    await store.query("DELETE FROM usage_events WHERE customer_id = ANY($1::text[])", [CUSTOMERS]);
    await store.query("DELETE FROM usage_outbox");
    const ids = ["dead_old", "dead_other", "alive"];
    for (const [index, id] of ids.entries()) {
      await hub.record({ customerId: "tot_a", meter: "api_calls", quantity: 10 ** index, timestamp: "2026-10-05T00:00:00Z", transactionId: id });
    }
    await store.query(
      `INSERT INTO usage_outbox (transaction_id, customer_id, provider, role, status, attempts, last_error) VALUES
         ('dead_old', 'tot_a', 'stripe', 'primary', 'dead', 1, 'USAGE_TOO_OLD: older than 35 days'),
         ('dead_other', 'tot_a', 'stripe', 'primary', 'dead', 5, 'PROVIDER_REJECTED: no such customer'),
         ('alive', 'tot_a', 'stripe', 'primary', 'pending', 0, NULL)`,
    );
    const refused = await queryUsageTotals(store, { scopes: [SCOPES[0]!], meters: [ledgerCatalog.meters.api_calls!], deadAt: { provider: "stripe", errorCode: "USAGE_TOO_OLD" } });
    expect(refused).toEqual([{ customerId: "tot_a", from: SCOPES[0]!.from, meter: "api_calls", value: "1" }]);
    expect(await queryUsageTotals(store, { scopes: [SCOPES[0]!], meters: [ledgerCatalog.meters.api_calls!], deadAt: { provider: "flowglad", errorCode: "USAGE_TOO_OLD" } })).toEqual([]);
  });

  it("lists each event's signed value in the order it happened, per customer and meter", async () => {
    await hub.record({ customerId: "tot_b", meter: "api_calls", quantity: 5, timestamp: "2026-10-12T00:00:00Z", transactionId: "ev_b" });
    await hub.record({ customerId: "tot_b", meter: "api_calls", quantity: 3, timestamp: "2026-10-11T00:00:00Z", transactionId: "ev_a" });
    await hub.record({ customerId: "tot_b", meter: "api_calls", quantity: 4, timestamp: "2026-10-11T00:00:00Z", transactionId: "ev_Z" });
    await hub.record({ customerId: "tot_b", meter: "api_calls", quantity: 9, timestamp: "2026-10-25T00:00:00Z", transactionId: "ev_outside" });
    const values = await queryEventValues(store, { scopes: [SCOPES[1]!], meters: ["api_calls"] });
    // Ties on the timestamp go by transaction id, bytewise ("Z" before "a").
    expect(values.map((row) => row.value)).toEqual(["4", "3", "5"]);
  });
});
