import { createHmac, randomBytes } from "node:crypto";
import { verifyWebhook } from "@flowglad/server";
import { describe, expect, it } from "vitest";
import { parseFlowgladWebhook } from "../../../src/providers/flowglad/webhooks.ts";
import type { ProviderChange, WebhookDelivery } from "../../../src/providers/types.ts";
import { NOW } from "../../support/usage-events.ts";
import { thrownBillingError } from "../../support/errors.ts";
import { FLOWGLAD_EVENT_BODIES, FLOWGLAD_SUPERSEDED_ENVELOPE } from "../../support/webhooks.ts";

const SECRET = `whsec_${randomBytes(24).toString("base64")}`;
const NOW_S = Math.floor(NOW.getTime() / 1000);

/** Signs as Svix does: base64 HMAC-SHA256 with the decoded key over `${id}.${timestamp}.${body}`. */
function svixSign(body: string, secret: string, id: string, timestamp: number): string {
  const key = Buffer.from(secret.slice("whsec_".length), "base64");
  return `v1,${createHmac("sha256", key).update(`${id}.${timestamp}.${body}`).digest("base64")}`;
}

function delivery(payload: unknown, options: { secret?: string; id?: string; timestamp?: number; signature?: string } = {}): WebhookDelivery {
  const body = typeof payload === "string" ? payload : JSON.stringify(payload);
  const id = options.id ?? "msg_2mQ8vTzx";
  const timestamp = options.timestamp ?? NOW_S;
  return {
    rawBody: body,
    headers: { "svix-id": id, "svix-timestamp": String(timestamp), "svix-signature": options.signature ?? svixSign(body, options.secret ?? SECRET, id, timestamp) },
  };
}

function parse(input: WebhookDelivery, secret = SECRET): ProviderChange {
  return parseFlowgladWebhook(input, { secret, now: () => NOW });
}

const subscriptionUpdated = { id: "sub_1", object: "subscription", customer: { id: "cust_1", externalId: "acme" }, pricingModelId: "pm_default" };

describe("Flowglad webhooks: verification (Svix scheme)", () => {
  it("accepts exactly what @flowglad/server's own verifier accepts, and vice versa", () => {
    const signed = delivery(subscriptionUpdated);
    const headers = signed.headers as Record<string, string>;
    expect(verifyWebhook(signed.rawBody as string, headers, SECRET, null)).toEqual(subscriptionUpdated);
    expect(parse(signed).kind).toBe("customer_billing_stale");

    const forged = delivery(subscriptionUpdated, { secret: `whsec_${randomBytes(24).toString("base64")}` });
    expect(() => verifyWebhook(forged.rawBody as string, forged.headers as Record<string, string>, SECRET, null)).toThrow();
    expect(thrownBillingError(() => parse(forged)).code).toBe("WEBHOOK_SIGNATURE_INVALID");
  });

  it("verifies the signature Svix's own server computes for its published test message, and nothing one character off", () => {
    // Svix's vector (svix/svix-webhooks server/svix-server/src/worker.rs, test_generate_msg_headers_with_signing_key).
    const vector = { secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", id: "msg_p5jXN8AQM9LWM0D4loKWxJek", timestamp: 1614265330, body: '{"test": 2432232314}' };
    const signature = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";
    const at = { secret: vector.secret, now: () => new Date(vector.timestamp * 1000) };
    const signed = (sig: string): WebhookDelivery => ({ rawBody: vector.body, headers: { "svix-id": vector.id, "svix-timestamp": String(vector.timestamp), "svix-signature": sig } });
    // The signature passes; the body, no Flowglad event, is then refused as a payload.
    expect(thrownBillingError(() => parseFlowgladWebhook(signed(signature), at))).toMatchObject({ code: "WEBHOOK_PAYLOAD_INVALID", field: "id" });
    expect(thrownBillingError(() => parseFlowgladWebhook(signed(signature.replace("g0hM", "g0hN")), at)).code).toBe("WEBHOOK_SIGNATURE_INVALID");
  });

  it("passes when any of several space-separated signatures matches (secret rotation)", () => {
    const body = JSON.stringify(subscriptionUpdated);
    const old = svixSign(body, `whsec_${randomBytes(24).toString("base64")}`, "msg_1", NOW_S);
    const current = svixSign(body, SECRET, "msg_1", NOW_S);
    expect(parse(delivery(body, { id: "msg_1", signature: `${old} ${current}` })).kind).toBe("customer_billing_stale");
  });

  it("refuses a signature over another body with a message that points at the raw body", () => {
    const signed = delivery(subscriptionUpdated);
    const error = thrownBillingError(() => parse({ ...signed, rawBody: JSON.stringify(subscriptionUpdated, null, 2) }));
    expect(error).toMatchObject({ code: "WEBHOOK_SIGNATURE_INVALID", field: "headers.svix-signature", provider: "flowglad" });
    expect(error.message).toContain("raw, unparsed request body");
  });

  it("refuses timestamps older than 300 s or more than 60 s ahead, and accepts the edges", () => {
    expect(thrownBillingError(() => parse(delivery(subscriptionUpdated, { timestamp: NOW_S - 301 }))).message).toContain("301s old");
    expect(thrownBillingError(() => parse(delivery(subscriptionUpdated, { timestamp: NOW_S + 61 }))).message).toContain("61s ahead");
    expect(parse(delivery(subscriptionUpdated, { timestamp: NOW_S - 300 })).kind).toBe("customer_billing_stale");
    expect(parse(delivery(subscriptionUpdated, { timestamp: NOW_S + 60 })).kind).toBe("customer_billing_stale");
  });

  it("refuses a delivery missing a Svix header, naming it", () => {
    const signed = delivery(subscriptionUpdated);
    const { "svix-signature": _dropped, ...headers } = signed.headers as Record<string, string>;
    expect(thrownBillingError(() => parse({ ...signed, headers }))).toMatchObject({ code: "WEBHOOK_SIGNATURE_INVALID", field: "headers.svix-signature" });
  });

  it("refuses a signature that is not v1", () => {
    const body = JSON.stringify(subscriptionUpdated);
    const v2 = svixSign(body, SECRET, "msg_1", NOW_S).replace(/^v1,/, "v2,");
    expect(thrownBillingError(() => parse(delivery(body, { id: "msg_1", signature: v2 }))).code).toBe("WEBHOOK_SIGNATURE_INVALID");
  });

  it("says which option to set when the secret is missing or not whsec_<base64>", () => {
    expect(thrownBillingError(() => parseFlowgladWebhook(delivery(subscriptionUpdated), { secret: undefined, now: () => NOW }))).toMatchObject({ code: "CONFIG_INVALID", field: "flowglad.webhookSecret" });
    expect(thrownBillingError(() => parse(delivery(subscriptionUpdated), "whsec_not base64!")).message).toContain("FLOWGLAD_WEBHOOK_SECRET");
  });

  it("refuses a verified body that is not JSON, or lacks the object reference, with WEBHOOK_PAYLOAD_INVALID", () => {
    expect(thrownBillingError(() => parse(delivery("not json"))).code).toBe("WEBHOOK_PAYLOAD_INVALID");
    expect(thrownBillingError(() => parse(delivery({ object: "subscription" })))).toMatchObject({ code: "WEBHOOK_PAYLOAD_INVALID", field: "id" });
  });
});

describe("Flowglad webhooks: parsing into changes", () => {
  it("turns a subscription event into a 'refetch this customer's billing' change with the delivery id and time", () => {
    expect(parse(delivery(subscriptionUpdated, { id: "msg_abc", timestamp: NOW_S - 5 }))).toEqual({
      kind: "customer_billing_stale",
      provider: "flowglad",
      eventId: "msg_abc",
      eventType: "subscription",
      created: new Date((NOW_S - 5) * 1000),
      livemode: null,
      customer: { providerCustomerId: "cust_1", externalId: "acme" },
      object: { type: "subscription", id: "sub_1" },
      pricingModelId: "pm_default",
    });
  });

  it("does the same for customer, purchase and payment events", () => {
    for (const object of ["customer", "purchase", "payment"]) {
      expect(parse(delivery({ ...subscriptionUpdated, id: `${object}_1`, object })).kind).toBe("customer_billing_stale");
    }
  });

  it("reads every body Flowglad sends: a billing object's event to a refetch of its customer, the sync stream notice to ignored", () => {
    for (const [type, body] of Object.entries(FLOWGLAD_EVENT_BODIES)) {
      const change = parse(delivery(body, { id: `msg_${type}` }));
      if (body.object === "sync_stream") {
        expect(change, type).toMatchObject({ kind: "ignored", eventType: "sync_stream" });
      } else {
        expect(change, type).toMatchObject({
          kind: "customer_billing_stale",
          eventId: `msg_${type}`,
          customer: { providerCustomerId: "cust_bc91m2vk", externalId: "user_42" },
          object: { type: body.object, id: body.id },
          pricingModelId: "pricing_model_7fq2",
        });
      }
    }
  });

  it("names the change by its object, as the body carries no event type: a failed and a succeeded payment read alike", () => {
    const failed = parse(delivery(FLOWGLAD_EVENT_BODIES["payment.failed"]));
    const succeeded = parse(delivery(FLOWGLAD_EVENT_BODIES["payment.succeeded"]));
    expect([failed.eventType, succeeded.eventType]).toEqual(["payment", "payment"]);
    expect([failed.kind, succeeded.kind]).toEqual(["customer_billing_stale", "customer_billing_stale"]);
  });

  it("refuses the { eventType, data } envelope Flowglad's docs once showed, saying what Flowglad sends", () => {
    const error = thrownBillingError(() => parse(delivery(FLOWGLAD_SUPERSEDED_ENVELOPE)));
    expect(error).toMatchObject({ code: "WEBHOOK_PAYLOAD_INVALID", field: "id", provider: "flowglad" });
    expect(error.message).toContain("{ id, object, customer: { id, externalId }, pricingModelId }");
  });

  it("parses objects billhub does not act on, or events without a customer, to ignored", () => {
    expect(parse(delivery({ id: "inv_1", object: "invoice", customer: { id: "cust_1", externalId: "acme" } }))).toMatchObject({ kind: "ignored" });
    expect(parse(delivery({ id: "pay_1", object: "payment" }))).toMatchObject({ kind: "ignored", reason: expect.stringContaining("names no customer") });
  });
});
