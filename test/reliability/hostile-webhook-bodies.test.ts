import fc from "fast-check";
import { setupServer } from "msw/node";
import { afterAll, beforeAll, describe, expect, it, vi, type MockInstance } from "vitest";
import type { Hub } from "../../src/hub.ts";
import { createApp } from "../../src/server/app.ts";
import { createFlowgladStandIn } from "../support/msw/flowglad.ts";
import { createStripeStandIn } from "../support/msw/stripe.ts";
import { stripeObject, stripeSignature } from "../support/stripe-events.ts";
import { expectRefusal, hostileAmount, jsonText, mutated, nested, notAnObjectBody, notAString, Raw, rowsAdded, SEED, tableCounts, Tally } from "../support/hostile.ts";
import { openTestStore, type TestStore } from "../support/store.ts";
import { FLOWGLAD_BASE, webhookHub } from "../support/webhook-hub.ts";
import { STRIPE_WEBHOOK_SECRET, stripePrice, svixSignature } from "../support/webhooks.ts";

const NOW = new Date("2026-03-10T12:00:00.000Z");
const NOW_S = NOW.getTime() / 1000;
const OPTIONS = { seed: SEED, numRuns: 100, endOnFailure: true };
const stripe = createStripeStandIn({ now: () => NOW });
const flowglad = createFlowgladStandIn({ baseUrl: FLOWGLAD_BASE, now: () => NOW });
const server = setupServer(...stripe.handlers, ...flowglad.handlers);
let store: TestStore;
let hub: Hub;
let app: ReturnType<typeof createApp>;
let baseline: Record<string, number>;
const tally = new Tally();
// The route says on the console why it refused each signed body; hundreds of those here.
let warn: MockInstance<typeof console.warn>;

beforeAll(async () => {
  warn = vi.spyOn(console, "warn").mockImplementation(() => {});
  server.listen({ onUnhandledRequest: "error" });
  store = await openTestStore();
  hub = await webhookHub(store, () => NOW);
  app = createApp(hub);
  baseline = await tableCounts(store);
});
afterAll(async () => {
  console.info(`hostile webhook bodies: ${tally.cases} cases, ${tally.refused} refused with 4xx, ${rowsAdded(baseline, await tableCounts(store))} rows written`);
  warn.mockRestore();
  server.close();
  await hub.close();
  await store.cleanup();
});

/** POSTs through the service and expects a refusal that leaves every table as it was. */
async function refused(provider: "stripe" | "flowglad", body: string | Uint8Array, headers: Record<string, string>, code: string): Promise<void> {
  const before = await tableCounts(store);
  const response = await app.fetch(new Request(`http://billhub.test/webhooks/${provider}`, { method: "POST", headers, body }));
  tally.count(response.status);
  const answer = (await response.json()) as { error: { code: string } };
  expectRefusal(response.status, answer);
  expect({ status: response.status, code: answer.error.code }).toEqual({ status: 400, code });
  expect(await tableCounts(store)).toEqual(before);
}

const anyBody: fc.Arbitrary<string | Uint8Array> = fc.oneof(notAnObjectBody, fc.json(), fc.string({ unit: "grapheme", maxLength: 200 }), fc.uint8Array({ maxLength: 200 }));
const stripeHeader = fc.oneof(
  fc.string({ maxLength: 120 }),
  fc.tuple(fc.integer(), fc.stringMatching(/^[0-9a-f]{0,64}$/)).map(([t, sig]) => `t=${t},v1=${sig}`),
  fc.constant(`t=${NOW_S},v1=${"0".repeat(64)}`),
);

describe("unsigned and badly signed webhook bodies", () => {
  it("refuses any body to /webhooks/stripe without a valid Stripe-Signature with 400, writing nothing", async () => {
    await fc.assert(
      fc.asyncProperty(anyBody, fc.option(stripeHeader, { nil: undefined }), (body, signature) =>
        refused("stripe", body, { "content-type": "application/json", ...(signature === undefined ? {} : { "stripe-signature": signature }) }, "WEBHOOK_SIGNATURE_INVALID"),
      ),
      OPTIONS,
    );
  });

  it("refuses any body to /webhooks/flowglad without a valid Svix signature with 400, writing nothing", async () => {
    const headers = fc.record(
      { "svix-id": fc.string({ minLength: 1, maxLength: 40 }).filter((s) => /^[\x21-\x7e]+$/.test(s)), "svix-timestamp": fc.oneof(fc.constant(String(NOW_S)), fc.string({ maxLength: 12 }).filter((s) => /^[\x21-\x7e]*$/.test(s))), "svix-signature": fc.oneof(fc.base64String({ maxLength: 44 }).map((s) => `v1,${s}`), fc.string({ maxLength: 60 }).filter((s) => /^[\x20-\x7e]*$/.test(s))) },
      { requiredKeys: [] },
    );
    await fc.assert(fc.asyncProperty(anyBody, headers, (body, h) => refused("flowglad", body, { "content-type": "application/json", ...h }, "WEBHOOK_SIGNATURE_INVALID")), OPTIONS);
  });
});

describe("correctly signed webhook bodies that are not valid events", () => {
  const envelope = (i: number) => ({ ...stripeObject("event"), id: `evt_fuzz_${i}`, type: "price.created", created: NOW_S, livemode: false, data: { object: stripePrice({ id: `price_fuzz_${i}` }) } });
  const envelopeMutation: fc.Arbitrary<[string, unknown]> = fc.oneof(
    fc.oneof(notAString, fc.constant(""), fc.integer({ min: 300, max: 1000 }).map((depth) => nested(depth))).map((v): [string, unknown] => ["id", v]),
    fc.oneof(notAString, fc.constantFrom("", "Event", "price")).map((v): [string, unknown] => ["object", v]),
    fc.oneof(notAString, fc.constant("")).map((v): [string, unknown] => ["type", v]),
    fc.oneof(hostileAmount.filter((v) => typeof v !== "number"), fc.constantFrom<unknown>(-1, 1.5, new Raw("1e400"), "1773144000")).map((v): [string, unknown] => ["created", v]),
    fc.oneof(notAString.filter((v) => typeof v !== "boolean"), fc.constantFrom("true", "false")).map((v): [string, unknown] => ["livemode", v]),
    fc.constantFrom<unknown>(null, "data", [], {}, { object: null }, { object: [] }, { object: "price_1" }).map((v): [string, unknown] => ["data", v]),
    fc.constantFrom<unknown>({ currency: 5 }, { id: null }, { unit_amount_decimal: "NaN" }, { recurring: "monthly" }, { billing_scheme: "tiered", tiers_mode: 5 }).map((v): [string, unknown] => ["data.object", v]),
  );
  const hostileEvent = fc.nat().chain((i) =>
    mutated(envelope(i), envelopeMutation).map((event) => {
      // "data.object" stands for fields of the price inside the event.
      const { ["data.object"]: priceFields, ...rest } = event;
      return priceFields === undefined ? rest : { ...rest, data: { object: { ...stripePrice({ id: `price_fuzz_${i}` }), ...(priceFields as object) } } };
    }),
  );

  it("refuses a Stripe event with a broken envelope or price with 400 WEBHOOK_PAYLOAD_INVALID, logging and writing nothing", async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(hostileEvent.map(jsonText), notAnObjectBody.filter((b) => b.trim() !== "")), async (body) => {
        const signature = stripeSignature(body, STRIPE_WEBHOOK_SECRET, NOW_S);
        await refused("stripe", body, { "content-type": "application/json", "stripe-signature": signature }, "WEBHOOK_PAYLOAD_INVALID");
      }),
      OPTIONS,
    );
  });

  it("refuses a Flowglad event that is not a thin event (id, object, customer reference) with 400 WEBHOOK_PAYLOAD_INVALID, writing nothing", async () => {
    const flowgladMutation: fc.Arbitrary<[string, unknown]> = fc.oneof(
      fc.oneof(notAString, fc.constant("")).map((v): [string, unknown] => ["id", v]),
      fc.oneof(notAString, fc.constant("")).map((v): [string, unknown] => ["object", v]),
      fc.constantFrom<unknown>("cust_1", 5, [], { id: 5, externalId: "x" }, { id: "cust_1" }, { id: "cust_1", externalId: "" }).map((v): [string, unknown] => ["customer", v]),
      fc.constantFrom<unknown>(5, true, [], {}).map((v): [string, unknown] => ["pricingModelId", v]),
    );
    const body = fc.oneof(mutated({ id: "sub_fuzz", object: "subscription", customer: { id: "cust_fuzz", externalId: "fuzz" } }, flowgladMutation).map(jsonText), notAnObjectBody);
    await fc.assert(
      fc.asyncProperty(body, fc.nat(), async (text, i) => {
        const id = `msg_fuzz_${i}`;
        await refused("flowglad", text, { "content-type": "application/json", "svix-id": id, "svix-timestamp": String(NOW_S), "svix-signature": svixSignature(text, id, NOW_S) }, "WEBHOOK_PAYLOAD_INVALID");
      }),
      OPTIONS,
    );
  });

  it("answers 413 PAYLOAD_TOO_LARGE for a webhook body over the limit, before verifying it, on both routes", async () => {
    const body = JSON.stringify({ pad: "x".repeat(1024 * 1024) });
    for (const provider of ["stripe", "flowglad"] as const) {
      const before = await tableCounts(store);
      const response = await app.fetch(new Request(`http://billhub.test/webhooks/${provider}`, { method: "POST", headers: { "stripe-signature": stripeSignature(body, STRIPE_WEBHOOK_SECRET, NOW_S) }, body }));
      tally.count(response.status);
      expect({ status: response.status, body: await response.json() }).toMatchObject({ status: 413, body: { error: { code: "PAYLOAD_TOO_LARGE" } } });
      expect(await tableCounts(store)).toEqual(before);
    }
  });
});

describe("correctly signed events that PostgreSQL cannot store as sent", () => {
  const stripeEvent = (id: string, object: Record<string, unknown>, type = "price.created") => JSON.stringify({ ...stripeObject("event"), id, type, created: NOW_S, livemode: false, data: { object } });
  const signedStripe = (body: string) => ({ "content-type": "application/json", "stripe-signature": stripeSignature(body, STRIPE_WEBHOOK_SECRET, NOW_S) });
  const signedFlowglad = (body: string, id: string) => ({ "content-type": "application/json", "svix-id": id, "svix-timestamp": String(NOW_S), "svix-signature": svixSignature(body, id, NOW_S) });

  /** Refuses the same delivery twice (a redelivery is refused the same way, never a 500), naming the field, and logs why. */
  async function refusedTwice(provider: "stripe" | "flowglad", body: string, headers: Record<string, string>, field: string): Promise<void> {
    warn.mockClear();
    for (const _delivery of [1, 2]) {
      const before = await tableCounts(store);
      const response = await app.fetch(new Request(`http://billhub.test/webhooks/${provider}`, { method: "POST", headers, body }));
      tally.count(response.status);
      const answer = (await response.json()) as { error: { code: string; field?: string; message: string } };
      expect({ status: response.status, code: answer.error.code, field: answer.error.field }).toEqual({ status: 400, code: "WEBHOOK_PAYLOAD_INVALID", field });
      expect(await tableCounts(store)).toEqual(before);
    }
    expect(warn).toHaveBeenCalledWith(expect.stringContaining(`billhub: refused a ${provider} webhook event (400 WEBHOOK_PAYLOAD_INVALID)`));
  }

  it("refuses a Stripe event with a NUL character in a price's field, its metadata or its type with 400, on every redelivery, writing nothing", async () => {
    const nickname = stripeEvent("evt_nul_1", stripePrice({ id: "price_nul_1", nickname: "a\u0000b" }));
    await refusedTwice("stripe", nickname, signedStripe(nickname), "data.object.nickname");
    const metadata = stripeEvent("evt_nul_2", stripePrice({ id: "price_nul_2", metadata: { "k\u0000": "v" } }));
    await refusedTwice("stripe", metadata, signedStripe(metadata), "data.object.metadata");
    const type = stripeEvent("evt_nul_3", { id: "ch_1", object: "charge" }, "charge.\u0000succeeded");
    await refusedTwice("stripe", type, signedStripe(type), "type");
  });

  it("refuses a Stripe event with a lone UTF-16 surrogate in a field (jsonb cannot hold it) with 400, writing nothing", async () => {
    const body = stripeEvent("evt_surrogate_1", stripePrice({ id: "price_surrogate_1", lookup_key: "key\ud800" }));
    await refusedTwice("stripe", body, signedStripe(body), "data.object.lookup_key");
  });

  it("refuses a Stripe event whose id is longer than the webhook log's 255 characters with 400, writing nothing", async () => {
    const body = stripeEvent(`evt_${"x".repeat(252)}`, stripePrice({ id: "price_long_id" }));
    await refusedTwice("stripe", body, signedStripe(body), "event.id");
  });

  it("refuses a Flowglad delivery whose svix-id is longer than 255 characters, or with a NUL in the customer's external id, with 400, writing nothing", async () => {
    const body = JSON.stringify({ id: "sub_long", object: "subscription", customer: { id: "cust_long", externalId: "long" } });
    await refusedTwice("flowglad", body, signedFlowglad(body, `msg_${"y".repeat(252)}`), "headers.svix-id");
    const nul = JSON.stringify({ id: "sub_nul", object: "subscription", customer: { id: "cust_nul", externalId: "org\u0000" } });
    await refusedTwice("flowglad", nul, signedFlowglad(nul, "msg_nul"), "customer.externalId");
  });

  it("still takes a Stripe event whose id is exactly 255 characters (the control)", async () => {
    const id = `evt_${"z".repeat(251)}`;
    const body = stripeEvent(id, stripePrice({ id: "price_id_255", lookup_key: "id_255" }));
    const response = await app.fetch(new Request("http://billhub.test/webhooks/stripe", { method: "POST", headers: signedStripe(body), body }));
    expect({ status: response.status, body: await response.json() }).toMatchObject({ status: 200, body: { eventId: id, outcome: "applied" } });
  });
});
