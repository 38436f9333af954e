import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHub, type Hub } from "../../../src/hub.ts";
import { closePeriod, featureUsage, meterUsage, type RecordResult } from "../../../src/hub/ledger.ts";
import type { HubContext } from "../../../src/hub/context.ts";
import { contextOf } from "../../../src/hub/hub-internals.ts";
import { isBillingError } from "../../../src/core/errors.ts";
import { windowAt, type Window } from "../../../src/core/periods.ts";
import { driverName, openTestStore, type TestStore } from "../../support/store.ts";
import { createCustomer, ledgerCatalog, testClock } from "../../support/ledger.ts";
import { LedgerModel, type ModelInput, type Outcome } from "../../support/ledger-model.ts";

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const METERS = ["api_calls", "requests", "peak_seats", "storage_level", "active_models"] as const;
const ADDITIVE = ["api_calls", "requests"] as const;
const FEATURES = ["api", "models"] as const;

let store: TestStore;
let hub: Hub;
let ctx: HubContext;
const clock = testClock("2026-03-10T12:00:00.000Z");
let run = 0;

beforeAll(async () => {
  store = await openTestStore();
  hub = await createHub({ catalog: ledgerCatalog }, { store, now: clock.now });
  ctx = contextOf(hub);
});
afterAll(() => store.cleanup());

// Operations are generated abstractly (small pools of ids, so collisions are frequent) and turned
// into concrete inputs when they run, relative to the clock at that moment.
const recordArb = fc.record({
  tx: fc.integer({ min: 0, max: 5 }),
  customer: fc.integer({ min: 0, max: 1 }),
  meter: fc.constantFrom(...METERS),
  quantity: fc.constantFrom("0", "1", "0.25", "2.5", "7", "1500"),
  daysBack: fc.option(fc.integer({ min: 0, max: 40 }), { nil: null }),
  model: fc.option(fc.constantFrom("a", "b", "c"), { nil: null }),
  correction: fc.option(fc.boolean(), { nil: null, freq: 4 }),
});
type RecordOp = typeof recordArb extends fc.Arbitrary<infer T> ? T : never;

const opArb = fc.record({
  advanceMs: fc.integer({ min: 0, max: 8 * HOUR }),
  op: fc.oneof(
    { weight: 5, arbitrary: recordArb.map((r) => ({ type: "record" as const, r })) },
    { weight: 2, arbitrary: fc.array(recordArb, { minLength: 1, maxLength: 4 }).map((rs) => ({ type: "batch" as const, rs })) },
    { weight: 3, arbitrary: fc.nat().map((pick) => ({ type: "retry" as const, pick })) },
    {
      weight: 2,
      arbitrary: fc
        .record({
          tx: fc.integer({ min: 0, max: 5 }),
          customer: fc.integer({ min: 0, max: 1 }),
          meter: fc.constantFrom(...ADDITIVE),
          kind: fc.constantFrom("refund" as const, "bonus" as const),
          quantity: fc.constantFrom("1", "0.5", "3"),
        })
        .map((a) => ({ type: "adjust" as const, a })),
    },
    { weight: 1, arbitrary: fc.record({ customer: fc.integer({ min: 0, max: 1 }), feature: fc.constantFrom(...FEATURES) }).map((r) => ({ type: "reset" as const, ...r })) },
    { weight: 1, arbitrary: fc.integer({ min: 0, max: 1 }).map((customer) => ({ type: "close" as const, customer })) },
  ),
});

function toInput(prefix: string, r: RecordOp, now: Date): ModelInput {
  const kind = r.correction === null ? "usage" : "correction";
  const negative = kind === "correction" && r.correction === true && (ADDITIVE as readonly string[]).includes(r.meter) && r.quantity !== "0";
  return {
    transactionId: `${prefix}_t${r.tx}`,
    customerId: `${prefix}_c${r.customer}`,
    meter: r.meter,
    quantity: negative ? `-${r.quantity}` : r.quantity,
    kind,
    ...(kind === "correction" ? { reason: "fix" } : {}),
    ...(r.daysBack === null ? {} : { timestamp: new Date(now.getTime() - r.daysBack * DAY - 3 * HOUR) }),
    ...(r.model === null ? {} : { properties: { model: r.model } }),
  };
}

/** What the hub answers, in the model's terms. */
async function outcome(call: Promise<RecordResult | RecordResult[]>): Promise<Outcome> {
  try {
    const result = await call;
    return { statuses: (Array.isArray(result) ? result : [result]).map((r) => r.status) };
  } catch (error) {
    if (isBillingError(error)) return { error: error.code };
    throw error;
  }
}

function send(input: ModelInput): Promise<RecordResult> {
  if (input.kind === "refund" || input.kind === "bonus") {
    return hub.adjust({ ...input, kind: input.kind, reason: input.reason! });
  }
  return hub.record({ ...input, kind: input.kind });
}

describe(`the ledger against a reference model (${driverName})`, () => {
  it("answers every call and aggregates every window as the model does, whatever the interleaving", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(opArb, { minLength: 1, maxLength: 25 }), async (ops) => {
        run += 1;
        const prefix = `r${run}`;
        clock.set("2026-03-10T12:00:00.000Z");
        const model = new LedgerModel();
        const sent: ModelInput[][] = [];
        for (const c of [0, 1]) await createCustomer(store, `${prefix}_c${c}`);

        for (const { advanceMs, op } of ops) {
          clock.advance(advanceMs);
          const now = clock.now();
          switch (op.type) {
            case "record": {
              const input = toInput(prefix, op.r, now);
              sent.push([input]);
              expect(await outcome(send(input))).toEqual(model.record([input], now));
              break;
            }
            case "batch": {
              const inputs = op.rs.map((r) => toInput(prefix, r, now));
              sent.push(inputs);
              expect(await outcome(hub.recordBatch(inputs.map((input) => ({ ...input, kind: input.kind as "usage" | "correction" }))))).toEqual(model.record(inputs, now));
              break;
            }
            case "retry": {
              if (sent.length === 0) break;
              const inputs = sent[op.pick % sent.length]!;
              const call = inputs.length === 1 ? send(inputs[0]!) : hub.recordBatch(inputs.map((input) => ({ ...input, kind: input.kind as "usage" | "correction" })));
              expect(await outcome(call)).toEqual(model.record(inputs, now));
              break;
            }
            case "adjust": {
              const input: ModelInput = {
                transactionId: `${prefix}_t${op.a.tx}`,
                customerId: `${prefix}_c${op.a.customer}`,
                meter: op.a.meter,
                quantity: op.a.quantity,
                kind: op.a.kind,
                reason: "goodwill",
              };
              sent.push([input]);
              expect(await outcome(send(input))).toEqual(model.record([input], now));
              break;
            }
            case "reset": {
              await hub.resetUsage(`${prefix}_c${op.customer}`, op.feature, { reason: "reset" });
              model.reset(`${prefix}_c${op.customer}`, op.feature, now);
              break;
            }
            case "close": {
              const february = { from: new Date("2026-02-01T00:00:00Z"), to: new Date("2026-03-01T00:00:00Z") };
              await store.transaction((tx) => closePeriod(tx, { customerId: `${prefix}_c${op.customer}`, ...february }));
              model.close(`${prefix}_c${op.customer}`, february.from, february.to);
              break;
            }
            default: {
              const unknown: never = op;
              throw new Error(`unknown op ${JSON.stringify(unknown)}`);
            }
          }
        }

        const now = clock.now();
        const windows: Window[] = [
          { from: null, to: null },
          windowAt("month", now),
          windowAt("last_30_days", now),
          { from: new Date(now.getTime() - 10 * DAY), to: new Date(now.getTime() - 2 * DAY) },
        ];
        for (const c of [0, 1]) {
          const customerId = `${prefix}_c${c}`;
          for (const window of windows) {
            for (const meterKey of METERS) {
              const meter = ledgerCatalog.meters[meterKey]!;
              const expected = model.aggregate({ customerId, meter: meterKey, aggregation: meter.aggregation, property: meter.property, ...window });
              expect(await meterUsage(store, ctx, { customerId, meter: meterKey, window })).toBe(expected);
            }
            for (const featureKey of FEATURES) {
              const feature = ledgerCatalog.features[featureKey]!;
              if (feature.type !== "metered") throw new Error("metered features only");
              const meter = ledgerCatalog.meters[feature.meter]!;
              const since = model.lastReset(customerId, featureKey, window.to);
              const expected = model.aggregate({ customerId, meter: meter.key, aggregation: meter.aggregation, property: meter.property, ...window, since });
              expect(await featureUsage(store, ctx, { customerId, feature: featureKey, window })).toBe(expected);
            }
          }
        }
      }),
      { numRuns: 40 },
    );
  });
});
