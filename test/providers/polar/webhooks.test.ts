import { describe, expect, it } from "vitest";
import { Webhook } from "standardwebhooks";
import { webhooks } from "@polar-sh/sdk/2026-10";
import { parsePolarWebhook } from "../../../src/providers/polar/webhooks.ts";
import { POLAR_WEBHOOK_SECRET, polarEvent, polarHeaders, polarProduct, polarSubscription } from "../../support/polar-objects.ts";
import { NOW } from "../../support/usage-events.ts";

const parse = (rawBody: string, headers: Headers, secret = POLAR_WEBHOOK_SECRET, now = NOW) => parsePolarWebhook({ rawBody, headers }, { secret, now: () => now });

describe("Polar webhooks: verification", () => {
  it("accepts what the official SDK's validateEvent accepts, signed with the UTF-8 secret as Polar signs", async () => {
    const body = polarEvent("subscription.updated", polarSubscription());
    const headers = polarHeaders(body);
    await expect(webhooks.validateEvent(body, Object.fromEntries(headers), POLAR_WEBHOOK_SECRET)).resolves.toMatchObject({ type: "subscription.updated" });
    expect(parse(body, headers, POLAR_WEBHOOK_SECRET, new Date()).kind).toBe("subscription_changed");
  });

  it("accepts a whsec_ secret's Standard Webhooks key (the standardwebhooks library's signature), as the SDK does", async () => {
    const secret = `whsec_${Buffer.from("a standard webhooks key of 32 b!").toString("base64")}`;
    const body = polarEvent("product.updated", polarProduct());
    const at = new Date();
    const signature = new Webhook(secret).sign("msg_std_1", at, body);
    const headers = new Headers({ "webhook-id": "msg_std_1", "webhook-timestamp": String(Math.floor(at.getTime() / 1000)), "webhook-signature": signature });
    await expect(webhooks.validateEvent(body, Object.fromEntries(headers), secret)).resolves.toMatchObject({ type: "product.updated" });
    expect(parse(body, headers, secret, at).kind).toBe("product_upserted");
  });

  it("refuses another secret, a tampered body, a missing header and a bad signature list with WEBHOOK_SIGNATURE_INVALID", () => {
    const body = polarEvent("subscription.updated", polarSubscription());
    const headers = polarHeaders(body, { at: NOW });
    expect(() => parse(body, polarHeaders(body, { at: NOW, secret: "another" }))).toThrow(expect.objectContaining({ code: "WEBHOOK_SIGNATURE_INVALID", field: "headers.webhook-signature" }));
    expect(() => parse(body.replace("acme", "evil"), headers)).toThrow(expect.objectContaining({ code: "WEBHOOK_SIGNATURE_INVALID" }));
    for (const name of ["webhook-id", "webhook-timestamp", "webhook-signature"]) {
      const without = new Headers(headers);
      without.delete(name);
      expect(() => parse(body, without)).toThrow(expect.objectContaining({ code: "WEBHOOK_SIGNATURE_INVALID", field: `headers.${name}` }));
    }
    const garbled = new Headers(headers);
    garbled.set("webhook-signature", "v2,abc v1 v1,");
    expect(() => parse(body, garbled)).toThrow(expect.objectContaining({ code: "WEBHOOK_SIGNATURE_INVALID" }));
  });

  it("refuses a timestamp more than 5 minutes old or ahead, as the SDK does", () => {
    const body = polarEvent("subscription.updated", polarSubscription());
    expect(() => parse(body, polarHeaders(body, { at: new Date(NOW.getTime() - 301_000) }))).toThrow(expect.objectContaining({ code: "WEBHOOK_SIGNATURE_INVALID", message: expect.stringContaining("old") }));
    expect(() => parse(body, polarHeaders(body, { at: new Date(NOW.getTime() + 301_000) }))).toThrow(expect.objectContaining({ message: expect.stringContaining("ahead") }));
    expect(parse(body, polarHeaders(body, { at: new Date(NOW.getTime() - 299_000) })).kind).toBe("subscription_changed");
  });

  it("says which setting is missing when no secret is configured", () => {
    const body = polarEvent("product.created", polarProduct());
    expect(() => parsePolarWebhook({ rawBody: body, headers: polarHeaders(body, { at: NOW }) }, { secret: undefined, now: () => NOW })).toThrow(expect.objectContaining({ code: "CONFIG_INVALID", field: "polar.webhookSecret" }));
  });
});

describe("Polar webhooks: what each event becomes", () => {
  it("maps a subscription event to the subscription with its customer's external id, status, period and each price keyed by the product", () => {
    const body = polarEvent("subscription.active", polarSubscription({ product: polarProduct({ metadata: { billhub_plan: "pro", tier: 2 } }) }));
    const change = parse(body, polarHeaders(body, { id: "msg_sub_1", at: NOW }));
    expect(change).toEqual({
      provider: "polar",
      eventId: "msg_sub_1",
      eventType: "subscription.active",
      created: new Date("2026-03-10T11:59:30.123Z"),
      livemode: null,
      kind: "subscription_changed",
      deleted: false,
      subscription: {
        id: "0e3a7c52-6f1d-4b8e-9c2a-7d4f1e5b3a90",
        providerCustomerId: "acme",
        status: "active",
        cancelAtPeriodEnd: false,
        items: ["b9a1c0f4-8d2e-4f6a-a1c3-5e7d9f0b2a11", "c2d4e6f8-1a3b-4c5d-8e9f-0a1b2c3d4e22"].map((priceId) => ({
          id: priceId,
          priceId,
          lookupKey: "7f5a2a9e-4b1c-4c0e-9a57-2b8f3e1d6c01",
          productId: "7f5a2a9e-4b1c-4c0e-9a57-2b8f3e1d6c01",
          priceMetadata: { billhub_plan: "pro", tier: "2" },
          quantity: null,
          currentPeriodStart: new Date("2026-03-01T10:00:00Z"),
          currentPeriodEnd: new Date("2026-04-01T10:00:00Z"),
        })),
      },
    });
  });

  it("names a customer without an external id by Polar's customer id, and keeps a revoked subscription as canceled", () => {
    const subscription = polarSubscription({ status: "canceled", cancel_at_period_end: true });
    const body = polarEvent("subscription.revoked", { ...subscription, customer: { ...subscription.customer, external_id: null } });
    const change = parse(body, polarHeaders(body, { at: NOW }));
    if (change.kind !== "subscription_changed") throw new Error(change.kind);
    expect(change.subscription).toMatchObject({ providerCustomerId: "5c8e1f2a-3b4d-4e6f-8a9b-0c1d2e3f4a5b", status: "canceled", cancelAtPeriodEnd: true });
  });

  it("maps product.created and product.updated to the product, archived as inactive", () => {
    const body = polarEvent("product.updated", polarProduct({ is_archived: true, metadata: { billhub_plan: "team" } }));
    expect(parse(body, polarHeaders(body, { at: NOW }))).toMatchObject({
      kind: "product_upserted",
      product: { id: "7f5a2a9e-4b1c-4c0e-9a57-2b8f3e1d6c01", name: "Pro", active: false, defaultPriceId: null, metadata: { billhub_plan: "team" }, updated: new Date("2026-03-01T10:00:00Z") },
    });
  });

  it("logs every other event type as ignored, with the reason", () => {
    for (const type of ["order.paid", "customer.state_changed", "benefit_grant.created", "checkout.updated", "some.future_type"]) {
      const body = polarEvent(type, { id: "x" });
      expect(parse(body, polarHeaders(body, { at: NOW }))).toMatchObject({ kind: "ignored", eventType: type, reason: expect.stringContaining(type) });
    }
  });

  it("refuses a signed body that is not a Polar event with WEBHOOK_PAYLOAD_INVALID naming the field", () => {
    const cases: [string, string][] = [
      ["not json", "rawBody"],
      [JSON.stringify({ timestamp: "2026-03-10T12:00:00Z", data: {} }), "type"],
      [polarEvent("subscription.updated", { id: "sub_without_the_rest" }), "data.status"],
      [JSON.stringify({ type: "product.updated", timestamp: "yesterday", data: polarProduct() }), "timestamp"],
    ];
    for (const [body, field] of cases) expect(() => parse(body, polarHeaders(body, { at: NOW }))).toThrow(expect.objectContaining({ code: "WEBHOOK_PAYLOAD_INVALID", field }));
    const long = polarEvent("product.updated", polarProduct());
    expect(() => parse(long, polarHeaders(long, { at: NOW, id: "m".repeat(300) }))).toThrow(expect.objectContaining({ code: "WEBHOOK_PAYLOAD_INVALID", field: "headers.webhook-id" }));
  });
});
