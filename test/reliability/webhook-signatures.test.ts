import { describe, expect, it } from "vitest";
import { createFlowgladStandIn } from "../support/msw/flowglad.ts";
import { createStripeStandIn } from "../support/msw/stripe.ts";
import { stripeEventBody, stripeSignature } from "../support/stripe-events.ts";
import { tableCounts } from "../support/hostile.ts";
import { FLOWGLAD_BASE, useWebhookHub, webhookHub } from "../support/webhook-hub.ts";
import { answer, FLOWGLAD_WEBHOOK_SECRET, flowgladRequest, signedStripeRequest, STRIPE_WEBHOOK_SECRET, stripePrice, svixSignature } from "../support/webhooks.ts";

// Covered elsewhere, not repeated here: Stripe's missing header, forged secret, re-serialized
// body, stale and truncated signature (test/webhooks/delivery.test.ts); Flowglad's forged
// secret, tampered body and stale timestamp (test/webhooks/flowglad.test.ts); replays of one
// event id answered 200 duplicate with no second effect (test/webhooks/stripe-prices.test.ts,
// test/webhooks/flowglad.test.ts, test/webhooks/concurrency.test.ts).

const NOW = new Date("2026-03-10T12:00:00.000Z");
const NOW_S = NOW.getTime() / 1000;
const stripe = createStripeStandIn({ now: () => NOW });
const flowglad = createFlowgladStandIn({ baseUrl: FLOWGLAD_BASE, now: () => NOW });
const env = useWebhookHub(() => NOW, [stripe, flowglad]);

/** Delivers and expects a 400 refusal with `code` naming `field`, with no row written anywhere. */
async function refused(deliver: () => Promise<Response>, code: string, field: string | RegExp): Promise<string> {
  const before = await tableCounts(env.store);
  const { status, body } = await answer(await deliver());
  expect(status, JSON.stringify(body)).toBe(400);
  expect(body.error).toMatchObject({ code, field: typeof field === "string" ? field : expect.stringMatching(field), message: expect.any(String) });
  expect(await tableCounts(env.store)).toEqual(before);
  return (body.error as { message: string }).message;
}

const priceBody = (eventId: string, options: { livemode?: boolean } = {}) =>
  stripeEventBody("price.created", stripePrice({ id: `price_${eventId}`, lookup_key: `key_${eventId}` }), { id: eventId, created: NOW_S, ...options });

describe("Stripe signatures", () => {
  it("refuses a signed body that arrives truncated", async () => {
    const body = priceBody("evt_cut_body");
    const signature = stripeSignature(body, STRIPE_WEBHOOK_SECRET, NOW_S);
    await refused(() => env.hub.webhooks.stripe(signedStripeRequest(body.slice(0, body.length / 2), { signedAt: NOW, signature })), "WEBHOOK_SIGNATURE_INVALID", "headers.stripe-signature");
  });

  it("refuses headers without a v1 signature, with only a timestamp, or with a signature of another body", async () => {
    const body = priceBody("evt_headers");
    const other = stripeSignature(priceBody("evt_other"), STRIPE_WEBHOOK_SECRET, NOW_S);
    for (const signature of [`t=${NOW_S}`, `t=${NOW_S},v0=${"ab".repeat(32)}`, `v1=${"ab".repeat(32)}`, "garbage", `t=${NOW_S},v1=`, other]) {
      await refused(() => env.hub.webhooks.stripe(signedStripeRequest(body, { signedAt: NOW, signature })), "WEBHOOK_SIGNATURE_INVALID", "headers.stripe-signature");
    }
  });

  it("refuses a replay of a captured delivery once its signature is older than the tolerance", async () => {
    const body = priceBody("evt_captured");
    const signature = stripeSignature(body, STRIPE_WEBHOOK_SECRET, NOW_S - 3600);
    const message = await refused(() => env.hub.webhooks.stripe(signedStripeRequest(body, { signedAt: NOW, signature })), "WEBHOOK_SIGNATURE_INVALID", "headers.stripe-signature");
    expect(message).toContain("Timestamp outside the tolerance zone");
  });
});

describe("Stripe signatures dated ahead of the server's clock", () => {
  it("refuses a signature dated a year ahead, and one just past the tolerance ahead, saying to check the clock", async () => {
    for (const [eventId, ahead] of [["evt_year_ahead", 365 * 24 * 3600], ["evt_301_ahead", 301]] as const) {
      const body = priceBody(eventId);
      const signature = stripeSignature(body, STRIPE_WEBHOOK_SECRET, NOW_S + ahead);
      const message = await refused(() => env.hub.webhooks.stripe(signedStripeRequest(body, { signedAt: NOW, signature })), "WEBHOOK_SIGNATURE_INVALID", "headers.stripe-signature");
      expect(message).toContain(`dated ${ahead}s ahead of this server's clock, more than the 300s tolerance`);
      expect(message).toContain("clock");
    }
  });

  it("takes a signature dated within the tolerance ahead (a clock a little fast)", async () => {
    const body = priceBody("evt_299_ahead");
    const signature = stripeSignature(body, STRIPE_WEBHOOK_SECRET, NOW_S + 299);
    expect(await answer(await env.hub.webhooks.stripe(signedStripeRequest(body, { signedAt: NOW, signature })))).toMatchObject({ status: 200, body: { outcome: "applied" } });
  });
});

describe("Stripe thin events (event destinations with the thin payload style)", () => {
  // The shape of a thin event notification as Stripe documents it (stripe-node's parseEventNotification).
  const thinBody = JSON.stringify({
    id: "evt_test_65R9Ijk8bO9Q0mYWN9S16Q4cnAySQdcAbqBMZkaQY6KEHq",
    object: "v2.core.event",
    type: "v1.billing.meter.error_report_triggered",
    livemode: false,
    created: "2026-03-10T11:59:58.000Z",
    related_object: { id: "mtr_test_61R9IjK8bO9Q0mYWN41J4PGKs4wDQrqS", type: "billing.meter", url: "/v1/billing/meters/mtr_test_61R9IjK8bO9Q0mYWN41J4PGKs4wDQrqS" },
  });

  it("refuses a correctly signed thin event with 400 WEBHOOK_EVENT_UNSUPPORTED saying to point a snapshot-event endpoint here, not as a bad signature", async () => {
    const signature = stripeSignature(thinBody, STRIPE_WEBHOOK_SECRET, NOW_S);
    const message = await refused(() => env.hub.webhooks.stripe(signedStripeRequest(thinBody, { signedAt: NOW, signature })), "WEBHOOK_EVENT_UNSUPPORTED", "object");
    expect(message).toContain("thin event v1.billing.meter.error_report_triggered (v2.core.event) is not consumed");
    expect(message).toContain("snapshot payload style");
  });

  it("still refuses a thin event with a wrong signature as WEBHOOK_SIGNATURE_INVALID", async () => {
    const signature = stripeSignature(thinBody, "whsec_someone_else", NOW_S);
    await refused(() => env.hub.webhooks.stripe(signedStripeRequest(thinBody, { signedAt: NOW, signature })), "WEBHOOK_SIGNATURE_INVALID", "headers.stripe-signature");
  });
});

describe("Stripe events of the other mode", () => {
  const logged = async (eventId: string) => (await env.hub.webhooks.events({ provider: "stripe", limit: 1000 })).filter((e) => e.eventId === eventId);

  it("refuses a live-mode event at a test-mode key with 400 WEBHOOK_MODE_MISMATCH, applies nothing and logs it failed, again on every redelivery", async () => {
    const deliver = () => env.hub.webhooks.stripe(signedStripeRequest(priceBody("evt_live_at_test", { livemode: true }), { signedAt: NOW }));
    for (const attempt of [1, 2]) {
      const { status, body } = await answer(await deliver());
      expect(status).toBe(400);
      expect(body.error).toMatchObject({ code: "WEBHOOK_MODE_MISMATCH", field: "livemode", message: expect.stringContaining("live-mode event, but the configured stripe secret key is a test-mode key") });
      expect(await env.hub.priceHistory({ priceId: "price_evt_live_at_test" })).toEqual([]);
      expect(await logged("evt_live_at_test")).toEqual([expect.objectContaining({ outcome: "failed", attempts: attempt, error: expect.stringContaining("WEBHOOK_MODE_MISMATCH") })]);
    }
    expect(await env.hub.metrics.render()).toMatch(/billhub_webhook_events_total\{outcome="rejected",provider="stripe"\} [1-9]/);
  });

  it("refuses a test-mode event at a live-mode key the same way", async () => {
    const live = await webhookHub(env.store, () => NOW, { config: { stripe: { secretKey: "sk_live_billhub_reliability", webhookSecret: STRIPE_WEBHOOK_SECRET } } });
    const { status, body } = await answer(await live.webhooks.stripe(signedStripeRequest(priceBody("evt_test_at_live"), { signedAt: NOW })));
    expect(status).toBe(400);
    expect(body.error).toMatchObject({ code: "WEBHOOK_MODE_MISMATCH", message: expect.stringContaining("test-mode event, but the configured stripe secret key is a live-mode key") });
    expect(await env.hub.priceHistory({ priceId: "price_evt_test_at_live" })).toEqual([]);
    expect(await logged("evt_test_at_live")).toEqual([expect.objectContaining({ outcome: "failed" })]);

    const applied = await answer(await live.webhooks.stripe(signedStripeRequest(priceBody("evt_live_at_live", { livemode: true }), { signedAt: NOW })));
    expect(applied).toMatchObject({ status: 200, body: { outcome: "applied" } });
    await live.close();
  });

  it("applies events of either mode when the key's prefix says no mode (a stand-in's key)", async () => {
    const unknown = await webhookHub(env.store, () => NOW, { config: { stripe: { secretKey: "stand_in_key", webhookSecret: STRIPE_WEBHOOK_SECRET } } });
    expect(await answer(await unknown.webhooks.stripe(signedStripeRequest(priceBody("evt_any_mode", { livemode: true }), { signedAt: NOW })))).toMatchObject({ status: 200, body: { outcome: "applied" } });
    await unknown.close();
  });
});

describe("Flowglad (Svix) signatures", () => {
  const payload = { id: "sub_sig", object: "subscription", customer: { id: "cust_sig", externalId: "sig" } };
  const sentS = NOW_S;

  function svixRequest(headers: Record<string, string | undefined>, body = JSON.stringify(payload)): Request {
    const all: Record<string, string> = { "content-type": "application/json" };
    for (const [name, value] of Object.entries(headers)) if (value !== undefined) all[name] = value;
    return new Request("http://billhub.test/webhooks/flowglad", { method: "POST", headers: all, body });
  }
  const good = (id: string, body = JSON.stringify(payload), timestamp = sentS) => ({ "svix-id": id, "svix-timestamp": String(timestamp), "svix-signature": svixSignature(body, id, timestamp) });

  it("refuses a delivery missing any one of svix-id, svix-timestamp and svix-signature, naming it", async () => {
    for (const name of ["svix-id", "svix-timestamp", "svix-signature"]) {
      const message = await refused(() => env.hub.webhooks.flowglad(svixRequest({ ...good("msg_missing"), [name]: undefined })), "WEBHOOK_SIGNATURE_INVALID", `headers.${name}`);
      expect(message).toContain(`Missing ${name} header`);
    }
  });

  it("refuses a truncated signature, a truncated body, another version tag and a signature over another id", async () => {
    const headers = good("msg_cut");
    const body = JSON.stringify(payload);
    await refused(() => env.hub.webhooks.flowglad(svixRequest({ ...headers, "svix-signature": headers["svix-signature"].slice(0, -8) })), "WEBHOOK_SIGNATURE_INVALID", "headers.svix-signature");
    await refused(() => env.hub.webhooks.flowglad(svixRequest(headers, body.slice(0, -5))), "WEBHOOK_SIGNATURE_INVALID", "headers.svix-signature");
    await refused(() => env.hub.webhooks.flowglad(svixRequest({ ...headers, "svix-signature": headers["svix-signature"].replace("v1,", "v2,") })), "WEBHOOK_SIGNATURE_INVALID", "headers.svix-signature");
    await refused(() => env.hub.webhooks.flowglad(svixRequest({ ...headers, "svix-id": "msg_other" })), "WEBHOOK_SIGNATURE_INVALID", "headers.svix-signature");
  });

  it("refuses a timestamp more than 60 s ahead, a year ahead, and one that is not unix seconds", async () => {
    const ahead = await refused(() => env.hub.webhooks.flowglad(svixRequest(good("msg_ahead", undefined, sentS + 61))), "WEBHOOK_SIGNATURE_INVALID", "headers.svix-timestamp");
    expect(ahead).toContain("ahead");
    const yearAhead = await refused(() => env.hub.webhooks.flowglad(svixRequest(good("msg_year_ahead", undefined, sentS + 365 * 24 * 3600))), "WEBHOOK_SIGNATURE_INVALID", "headers.svix-timestamp");
    expect(yearAhead).toContain("check the server clock");
    for (const timestamp of ["1e9", "-1", "soon", `${sentS}.5`]) {
      await refused(() => env.hub.webhooks.flowglad(svixRequest({ ...good("msg_ts"), "svix-timestamp": timestamp })), "WEBHOOK_SIGNATURE_INVALID", "headers.svix-timestamp");
    }
  });

  it("takes a correctly signed delivery (the control for the refusals above)", async () => {
    const { status, body } = await answer(await env.hub.webhooks.flowglad(flowgladRequest({ id: "prod_x", object: "product" }, { id: "msg_control", sentAt: NOW, secret: FLOWGLAD_WEBHOOK_SECRET })));
    expect({ status, outcome: body.outcome }).toEqual({ status: 200, outcome: "ignored" });
  });
});
