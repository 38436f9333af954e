import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Hub } from "../../src/hub.ts";
import { apiHub, type Call } from "../support/api.ts";
import { expectRefusal, hostileAmount, jsonText, mutated, nested, notAnObjectBody, notAString, rowsAdded, SEED, tableCounts, Tally } from "../support/hostile.ts";
import { openTestStore, type TestStore } from "../support/store.ts";

const NOW = new Date("2026-03-10T12:00:00.000Z");
const RUNS = 100;
const METERS = ["api_calls", "llm_tokens", "storage_gb_hours", "active_models"];
let store: TestStore;
let hub: Hub;
let call: Call;
let baseline: Record<string, number>;
const tallies: Record<string, Tally> = {};

beforeAll(async () => {
  store = await openTestStore();
  ({ hub, call } = await apiHub(store, { hub: { now: () => NOW } }));
  await hub.upsertCustomer({ id: "c_fuzz", periodStart: new Date("2026-03-01T00:00:00Z"), periodEnd: new Date("2026-04-01T00:00:00Z") });
  await hub.assign("c_fuzz", "pro");
  baseline = await tableCounts(store);
});
afterAll(async () => {
  const cases = Object.values(tallies).reduce((sum, t) => sum + t.cases, 0);
  const refused = Object.values(tallies).reduce((sum, t) => sum + t.refused, 0);
  const written = rowsAdded(baseline, await tableCounts(store));
  console.info(`hostile usage bodies: ${cases} cases, ${refused} refused with 4xx, ${written} rows written`);
  await hub.close();
  await store.cleanup();
});

const txId = fc.stringMatching(/^[a-z0-9_]{1,40}$/).map((s) => `fz_${s}`);
const outsideAscii = (max: number) => fc.string({ unit: "grapheme", minLength: 1, maxLength: 40 }).filter((s) => !new RegExp(`^[\\x21-\\x7e]{1,${max}}$`).test(s));

const hostileTransactionId = fc.oneof(fc.constant(""), fc.constant("x".repeat(101)), fc.constant("has space"), fc.constant("nul\u0000"), outsideAscii(100), notAString);
const hostileCustomerId = fc.oneof(fc.constant(""), fc.constant("x".repeat(256)), fc.constant("nul\u0000id"), notAString, fc.string({ unit: "grapheme", minLength: 1, maxLength: 30 }).filter((s) => s !== "c_fuzz" && !s.includes("\u0000")));
const hostileMeter = fc.oneof(notAString, fc.string({ unit: "grapheme", maxLength: 30 }).filter((s) => !METERS.includes(s)));
const hostileTimestamp = fc.oneof(
  fc.constantFrom("yesterday", "2026-13-01T00:00:00Z", "2026-03-01", "2026-03-01T12:00:00", "9999-12-31T23:59:59Z", "NaN", "Infinity", ""),
  notAString.filter((v) => v !== null),
  fc.constant(null),
);
const hostileProperties = fc.oneof(
  fc.constantFrom<unknown>([], "props", 5, true, null, { "": 1 }, { "k\u0000": 1 }, { k: "nul\u0000" }, { k: "x".repeat(9000) }),
  fc.integer({ min: 12, max: 30 }).map((depth) => nested(depth)),
  fc.constant(Object.fromEntries(Array.from({ length: 51 }, (_, i) => [`k${i}`, i]))),
);
const extraKey = fc.constantFrom<[string, unknown]>(["extra", 1], ["__proto__", { admin: true }], ["constructor", "x"], ["Quantity", 1], ["customer_id", "c_fuzz"]);

/** Usage event fields, each replaced by a value that can never be valid. */
const usageMutation: fc.Arbitrary<[string, unknown]> = fc.oneof(
  hostileCustomerId.map((v): [string, unknown] => ["customerId", v]),
  hostileMeter.map((v): [string, unknown] => ["meter", v]),
  hostileAmount.map((v): [string, unknown] => ["quantity", v]),
  hostileTransactionId.map((v): [string, unknown] => ["transactionId", v]),
  hostileTimestamp.map((v): [string, unknown] => ["timestamp", v]),
  hostileProperties.map((v): [string, unknown] => ["properties", v]),
  fc.constantFrom<[string, unknown]>(["kind", "refund"], ["kind", "USAGE"], ["kind", 1], ["reason", "x".repeat(501)], ["reason", ""], ["reason", 7]),
  extraKey,
);

const validEvent = txId.map((transactionId) => ({ customerId: "c_fuzz", meter: "api_calls", quantity: "1", transactionId }));
const hostileEvent = validEvent.chain((event) => mutated(event, usageMutation));

/** Sends `body` (text) and checks the refusal and that no table gained or lost a row. */
async function refused(tally: Tally, method: string, path: string, body: string): Promise<void> {
  const before = await tableCounts(store);
  const answer = await call(method, path, body);
  tally.count(answer.status);
  expectRefusal(answer.status, answer.body);
  expect(await tableCounts(store)).toEqual(before);
}

const OPTIONS = { seed: SEED, numRuns: RUNS, endOnFailure: true };
const tally = (name: string) => (tallies[name] ??= new Tally());

describe("hostile usage bodies", () => {
  it("refuses every invalid usage event with a 4xx naming the problem, and writes nothing", async () => {
    await fc.assert(fc.asyncProperty(hostileEvent, (event) => refused(tally("usage"), "POST", "/v1/usage", jsonText(event))), OPTIONS);
  });

  it("refuses a batch holding one invalid event among valid ones as a whole, and writes none of it", async () => {
    const batch = fc.tuple(fc.array(validEvent, { maxLength: 5 }), hostileEvent, fc.nat()).map(([valid, bad, at]) => {
      const events: unknown[] = valid.map((e, i) => ({ ...e, transactionId: `${e.transactionId}_${i}` }));
      events.splice(at % (events.length + 1), 0, bad);
      return { events };
    });
    await fc.assert(fc.asyncProperty(batch, (body) => refused(tally("batch"), "POST", "/v1/usage/batch", jsonText(body))), OPTIONS);
  });

  it("refuses bodies that are not a JSON object (broken JSON, arrays, scalars, deep nesting) on every write route", async () => {
    const routes = fc.constantFrom(["POST", "/v1/usage"], ["POST", "/v1/usage/batch"], ["POST", "/v1/entitlements/consume"], ["PUT", "/v1/customers/c_fuzz"], ["POST", "/v1/usage/adjustments"]);
    await fc.assert(fc.asyncProperty(routes, notAnObjectBody, ([method, path], body) => refused(tally("shape"), method!, path!, body)), OPTIONS);
  });

  it("refuses every invalid consume and records no usage", async () => {
    const consumeMutation: fc.Arbitrary<[string, unknown]> = fc.oneof(
      hostileCustomerId.map((v): [string, unknown] => ["customerId", v]),
      fc.oneof(notAString, fc.string({ maxLength: 20 }).filter((s) => !["api", "tokens", "models", "seats", "sso"].includes(s))).map((v): [string, unknown] => ["feature", v]),
      hostileAmount.map((v): [string, unknown] => ["amount", v]),
      hostileTransactionId.map((v): [string, unknown] => ["transactionId", v]),
      hostileProperties.filter((v) => v !== null && typeof v === "object").map((v): [string, unknown] => ["properties", v]),
      fc.constantFrom<[string, unknown]>(["variant", ""], ["variant", "no_such_variant"], ["variant", 3], ["amount", "1000000000"]),
      extraKey,
    );
    const body = txId.chain((transactionId) => mutated({ customerId: "c_fuzz", feature: "api", amount: "1", transactionId }, consumeMutation));
    await fc.assert(fc.asyncProperty(body, (b) => refused(tally("consume"), "POST", "/v1/entitlements/consume", jsonText(b))), OPTIONS);
  });

  it("refuses every invalid customer upsert, whatever the path id, and creates or changes no customer", async () => {
    const customerMutation: fc.Arbitrary<[string, unknown]> = fc.oneof(
      fc.constantFrom<unknown>("not-an-email", "@", "a@@b.c", 5, "x".repeat(330)).map((v): [string, unknown] => ["email", v]),
      fc.oneof(notAString.filter((v) => v !== null), fc.constant("x".repeat(201))).map((v): [string, unknown] => ["name", v]),
      fc.oneof(notAString, fc.constantFrom("", "x".repeat(65))).map((v): [string, unknown] => ["referenceType", v]),
      fc.constantFrom<unknown>({ paypal: "x" }, { stripe: 5 }, { stripe: "" }, "cus_1", [], null).map((v): [string, unknown] => ["providerIds", v]),
      fc.constantFrom<unknown>("yesterday", "2026-13-01T00:00:00Z", "2026-03-01", 5, true).map((v): [string, unknown] => ["periodStart", v]),
      fc.constantFrom<unknown>("2026-02-01T00:00:00Z", "2026-03-01T00:00:00Z", "soon").map((v): [string, unknown] => ["periodEnd", v]),
      fc.constantFrom<unknown>([], "meta", 1, null, { ["k".repeat(201)]: 1 }).map((v): [string, unknown] => ["metadata", v]),
      fc.constantFrom<[string, unknown]>(["plan", "pro"], ["id", "someone_else"], ["__proto__", { plan: "enterprise" }]),
    );
    const base = { name: "Fuzz", periodStart: "2026-03-01T00:00:00Z", periodEnd: "2026-04-01T00:00:00Z" };
    const id = fc.oneof(fc.constant("c_fuzz"), fc.constant("x".repeat(256)), fc.string({ unit: "grapheme", minLength: 1, maxLength: 20 }));
    await fc.assert(fc.asyncProperty(id, mutated(base, customerMutation), (customerId, body) => refused(tally("customers"), "PUT", `/v1/customers/${encodeURIComponent(customerId)}`, jsonText(body))), OPTIONS);
    expect(await hub.getCustomer("c_fuzz")).toMatchObject({ name: null, plan: "pro" });
  });

  it("answers 413 PAYLOAD_TOO_LARGE for a body over the limit on every write route, and writes nothing", async () => {
    const events = Array.from({ length: 9000 }, (_, i) => ({ customerId: "c_fuzz", meter: "api_calls", quantity: "1", transactionId: `big_${i}`, properties: { pad: "x".repeat(80) } }));
    const body = JSON.stringify({ events });
    expect(body.length).toBeGreaterThan(1024 * 1024);
    for (const [method, path] of [["POST", "/v1/usage/batch"], ["POST", "/v1/usage"], ["POST", "/v1/entitlements/consume"], ["PUT", "/v1/customers/c_big"]] as const) {
      const before = await tableCounts(store);
      const answer = await call(method, path, body);
      tally("oversized").count(answer.status);
      expect(answer).toMatchObject({ status: 413, body: { error: { code: "PAYLOAD_TOO_LARGE", message: "Request body is larger than 1048576 bytes" } } });
      expect(await tableCounts(store)).toEqual(before);
    }
  });
});
