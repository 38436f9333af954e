import { createHmac } from "node:crypto";
import Orb from "orb-billing";
import { describe, expect, it } from "vitest";
import { parseOrbWebhook } from "../../../src/providers/orb/webhooks.ts";
import { orbSubscription } from "../../support/msw/orb.ts";
import { NOW } from "../../support/usage-events.ts";

const SECRET = "orb_webhook_secret";
/** Orb's X-Orb-Timestamp: ISO 8601 without a zone (UTC). */
const orbTimestamp = (at: Date) => at.toISOString().replace("Z", "");

const subscriptionEvent = (type = "subscription.plan_changed", externalCustomerId: string | null = "acme") => ({
  id: "evt_Sub9xY2",
  created_at: "2026-03-10T11:59:58.123+00:00",
  type,
  subscription: { ...orbSubscription({ id: "sub_1", externalCustomerId: "acme", status: "active", plan: { id: "plan_pro", external_plan_id: "pro" } }), customer: { id: "cus_1", external_customer_id: externalCustomerId } },
  properties: { previous_plan_id: "plan_free" },
});

/** A webhook as Orb sends it: signed over `v1:<timestamp>:<body>`, the signature in `v1=<hex>` entries. */
function delivery(options: { body?: string; at?: Date; secret?: string; extraSignatures?: string[] } = {}) {
  const body = options.body ?? JSON.stringify(subscriptionEvent());
  const timestamp = orbTimestamp(options.at ?? NOW);
  const signature = createHmac("sha256", options.secret ?? SECRET).update(`v1:${timestamp}:${body}`).digest("hex");
  return { rawBody: body, headers: new Headers({ "X-Orb-Timestamp": timestamp, "X-Orb-Signature": [...(options.extraSignatures ?? []), `v1=${signature}`].join(" "), "content-type": "application/json" }) };
}

const parse = (d: ReturnType<typeof delivery>) => parseOrbWebhook(d, { secret: SECRET, now: () => NOW });

describe("Orb webhooks", () => {
  it("maps a verified subscription event to a re-read of the customer's subscriptions, named by external_customer_id and dated by created_at", () => {
    expect(parse(delivery())).toEqual({
      provider: "orb",
      eventId: "evt_Sub9xY2",
      eventType: "subscription.plan_changed",
      created: new Date("2026-03-10T11:59:58.123Z"),
      livemode: null,
      kind: "customer_billing_stale",
      customer: { providerCustomerId: "acme", externalId: "acme" },
      object: { type: "subscription", id: "sub_1" },
      pricingModelId: null,
    });
  });

  it("signs the way the official SDK verifies (its verifySignature accepts what billhub accepts)", () => {
    const d = delivery({ at: new Date() });
    const client = new Orb({ apiKey: "unused", webhookSecret: SECRET });
    expect(() => client.webhooks.verifySignature(d.rawBody, d.headers, SECRET)).not.toThrow();
    expect(parseOrbWebhook(d, { secret: SECRET, now: () => new Date() }).kind).toBe("customer_billing_stale");
  });

  it("accepts any matching v1 entry of a space-separated signature list (a secret being rolled)", () => {
    expect(parse(delivery({ extraSignatures: ["v1=00ff", "v0=abc"] })).eventId).toBe("evt_Sub9xY2");
  });

  it("logs other event types, and subscriptions of customers without an external id, as ignored with the reason", () => {
    const invoice = parse(delivery({ body: JSON.stringify({ id: "evt_inv", created_at: "2026-03-10T11:00:00+00:00", type: "invoice.issued", invoice: { id: "inv_1" }, properties: {} }) }));
    expect(invoice).toMatchObject({ kind: "ignored", eventType: "invoice.issued", reason: expect.stringContaining("only subscription events") });
    const anonymous = parse(delivery({ body: JSON.stringify(subscriptionEvent("subscription.started", null)) }));
    expect(anonymous).toMatchObject({ kind: "ignored", reason: expect.stringContaining("no external_customer_id") });
  });

  it("refuses a wrong signature, another secret, a tampered body and a missing header with WEBHOOK_SIGNATURE_INVALID", () => {
    const signed = delivery();
    expect(() => parse({ ...signed, rawBody: signed.rawBody.replace("plan_free", "plan_team") })).toThrow(expect.objectContaining({ code: "WEBHOOK_SIGNATURE_INVALID", field: "headers.x-orb-signature" }));
    expect(() => parse(delivery({ secret: "another" }))).toThrow(expect.objectContaining({ code: "WEBHOOK_SIGNATURE_INVALID" }));
    for (const header of ["X-Orb-Signature", "X-Orb-Timestamp"]) {
      const headers = new Headers(signed.headers);
      headers.delete(header);
      expect(() => parse({ ...signed, headers })).toThrow(expect.objectContaining({ code: "WEBHOOK_SIGNATURE_INVALID", field: `headers.${header.toLowerCase()}` }));
    }
  });

  it("refuses a timestamp more than 5 minutes old or ahead, as the SDK does", () => {
    expect(() => parse(delivery({ at: new Date(NOW.getTime() - 301_000) }))).toThrow(expect.objectContaining({ code: "WEBHOOK_SIGNATURE_INVALID", message: expect.stringContaining("old") }));
    expect(() => parse(delivery({ at: new Date(NOW.getTime() + 301_000) }))).toThrow(expect.objectContaining({ message: expect.stringContaining("ahead") }));
    expect(parse(delivery({ at: new Date(NOW.getTime() - 299_000) })).kind).toBe("customer_billing_stale");
  });

  it("refuses a signed body that is not an Orb event with WEBHOOK_PAYLOAD_INVALID, and says when no secret is configured", () => {
    expect(() => parse(delivery({ body: "not json" }))).toThrow(expect.objectContaining({ code: "WEBHOOK_PAYLOAD_INVALID", field: "rawBody" }));
    expect(() => parse(delivery({ body: JSON.stringify({ type: "subscription.started" }) }))).toThrow(expect.objectContaining({ code: "WEBHOOK_PAYLOAD_INVALID", field: "id" }));
    expect(() => parse(delivery({ body: JSON.stringify({ id: "evt_1", type: "subscription.started" }) }))).toThrow(expect.objectContaining({ code: "WEBHOOK_PAYLOAD_INVALID", field: "subscription" }));
    expect(() => parse(delivery({ body: JSON.stringify({ id: "x".repeat(300), type: "t" }) }))).toThrow(expect.objectContaining({ code: "WEBHOOK_PAYLOAD_INVALID", field: "id" }));
    expect(() => parseOrbWebhook(delivery(), { secret: undefined, now: () => NOW })).toThrow(expect.objectContaining({ code: "CONFIG_INVALID", field: "orb.webhookSecret" }));
  });
});
