import fc from "fast-check";
import { setupServer } from "msw/node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
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

beforeAll(async () => {
  server.listen({ onUnhandledRequest: "error" });
  store = await openTestStore();
  hub = await webhookHub(store, () => NOW);
  app = createApp(hub);
  baseline = await tableCounts(store);
});
afterAll(async () => {
  console.info(`hostile webhook bodies: ${tally.cases} cases, ${tally.refused} refused with 4xx, ${rowsAdded(baseline, await tableCounts(store))} rows written`);
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
      fc.oneof(notAString.filter((v) => v !== null), fc.constant("")).map((v): [string, unknown] => ["type", v]),
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
