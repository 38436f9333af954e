import { describe, expect, it } from "vitest";
import { createLagoClient } from "../../../src/providers/lago/client.ts";
import { createLagoProvider } from "../../../src/providers/lago/provider.ts";
import { parseConfig } from "../../../src/config/load.ts";
import { createLagoStandIn, lagoSubscription } from "../../support/msw/lago.ts";
import { useStandIns } from "../../support/msw/use-stand-ins.ts";
import { LAGO_HMAC_KEY, LAGO_ISSUER, LAGO_PUBLIC_KEY_BASE64, lagoHeaders, lagoHmac, lagoJwt, otherPrivateKey } from "../../support/lago-webhooks.ts";
import { NOW } from "../../support/usage-events.ts";

const BASE = `${LAGO_ISSUER}/api/v1`;
const lago = createLagoStandIn({ baseUrl: BASE });
useStandIns(lago);

function provider(section: Record<string, unknown> = {}) {
  const config = parseConfig({ lago: { secretKey: "k", baseUrl: BASE, webhookHmacKey: LAGO_HMAC_KEY, webhookPublicKey: LAGO_PUBLIC_KEY_BASE64, ...section } }).lago!;
  return createLagoProvider({ client: createLagoClient(config), config, now: () => NOW });
}

const subscriptionBody = (type = "subscription.started") =>
  JSON.stringify({ webhook_type: type, object_type: "subscription", organization_id: "1a901a90-1a90-1a90-1a90-1a901a901a90", subscription: { ...lagoSubscription({ externalId: "sub_acme", externalCustomerId: "acme", planCode: "pro" }), customer: { external_id: "acme" } } });
const parse = (body: string, headers: Record<string, string>) => provider().parseWebhook({ rawBody: body, headers });

describe("Lago webhooks", () => {
  it("maps a subscription event signed with HMAC to a re-read of the customer's subscriptions, with X-Lago-Unique-Key as its id", async () => {
    const body = subscriptionBody();
    expect(await parse(body, lagoHeaders(body, "wh_1", "hmac"))).toEqual({
      provider: "lago",
      eventId: "wh_1",
      eventType: "subscription.started",
      created: NOW,
      livemode: null,
      kind: "customer_billing_stale",
      customer: { providerCustomerId: "acme", externalId: "acme" },
      object: { type: "subscription", id: "sub_acme" },
      pricingModelId: null,
    });
  });

  it("verifies Lago's default JWT signature (RS256, its public key, its issuer, the body as the data claim)", async () => {
    const body = subscriptionBody("subscription.terminated");
    expect((await parse(body, lagoHeaders(body, "wh_2", "jwt"))).kind).toBe("customer_billing_stale");
    // The algorithm header left out: Lago's default is jwt.
    const { "x-lago-signature-algorithm": _, ...headers } = lagoHeaders(body, "wh_3", "jwt");
    expect((await parse(body, headers)).eventId).toBe("wh_3");
  });

  it("refuses a JWT from another key, another issuer, over another body, or not a JWT at all", async () => {
    const body = subscriptionBody();
    const headers = (signature: string) => ({ ...lagoHeaders(body, "wh_x", "jwt"), "x-lago-signature": signature });
    await expect(parse(body, headers(lagoJwt(body, { privateKey: otherPrivateKey })))).rejects.toMatchObject({ code: "WEBHOOK_SIGNATURE_INVALID", message: expect.stringContaining("did not verify") });
    await expect(parse(body, headers(lagoJwt(body, { issuer: "https://api.getlago.com" })))).rejects.toMatchObject({ code: "WEBHOOK_SIGNATURE_INVALID", message: expect.stringContaining("issued by") });
    await expect(parse(body, headers(lagoJwt(body, { data: subscriptionBody("subscription.canceled") })))).rejects.toMatchObject({ code: "WEBHOOK_SIGNATURE_INVALID", message: expect.stringContaining("not the one its JWT signed") });
    await expect(parse(body, headers("not-a-jwt"))).rejects.toMatchObject({ code: "WEBHOOK_SIGNATURE_INVALID" });
  });

  it("refuses a wrong HMAC, a tampered body, an unknown algorithm and missing headers", async () => {
    const body = subscriptionBody();
    await expect(parse(body, { ...lagoHeaders(body, "wh_y"), "x-lago-signature": lagoHmac(body, "another") })).rejects.toMatchObject({ code: "WEBHOOK_SIGNATURE_INVALID", field: "headers.x-lago-signature" });
    await expect(parse(body.replace("pro", "team"), lagoHeaders(body, "wh_y"))).rejects.toMatchObject({ code: "WEBHOOK_SIGNATURE_INVALID" });
    await expect(parse(body, { ...lagoHeaders(body, "wh_y"), "x-lago-signature-algorithm": "md5" })).rejects.toMatchObject({ code: "WEBHOOK_SIGNATURE_INVALID", field: "headers.x-lago-signature-algorithm" });
    const { "x-lago-unique-key": _key, ...noKey } = lagoHeaders(body, "wh_y");
    await expect(parse(body, noKey)).rejects.toMatchObject({ code: "WEBHOOK_SIGNATURE_INVALID", field: "headers.x-lago-unique-key" });
    const { "x-lago-signature": _sig, ...unsigned } = lagoHeaders(body, "wh_y");
    await expect(parse(body, unsigned)).rejects.toMatchObject({ code: "WEBHOOK_SIGNATURE_INVALID", field: "headers.x-lago-signature" });
  });

  it("says which key is missing when the algorithm's key is not configured, and refuses a public key that is not one at start-up", async () => {
    const body = subscriptionBody();
    const bare = () => {
      const config = parseConfig({ lago: { secretKey: "k", baseUrl: BASE } }).lago!;
      return createLagoProvider({ client: createLagoClient(config), config, now: () => NOW });
    };
    await expect(bare().parseWebhook({ rawBody: body, headers: lagoHeaders(body, "wh_z", "hmac") })).rejects.toMatchObject({ code: "CONFIG_INVALID", field: "lago.webhookHmacKey" });
    await expect(bare().parseWebhook({ rawBody: body, headers: lagoHeaders(body, "wh_z", "jwt") })).rejects.toMatchObject({ code: "CONFIG_INVALID", field: "lago.webhookPublicKey" });
    expect(() => provider({ webhookPublicKey: "bm90IGEga2V5" })).toThrow(expect.objectContaining({ code: "CONFIG_INVALID", field: "lago.webhookPublicKey" }));
  });

  it("maps plan events to the plan as Lago holds it now, and a deleted plan to a deleted product", async () => {
    lago.putPlan("pro", { name: "Pro (2026)" });
    const planBody = (type: string, code = "pro") => JSON.stringify({ webhook_type: type, object_type: "plan", organization_id: "org", plan: { lago_id: "plan_1", code, name: "Pro (old name)" } });
    const updated = await parse(planBody("plan.updated"), lagoHeaders(planBody("plan.updated"), "wh_p1"));
    expect(updated).toMatchObject({ kind: "product_upserted", product: { id: "pro", name: "Pro (2026)", active: true } });
    const gone = await parse(planBody("plan.updated", "retired"), lagoHeaders(planBody("plan.updated", "retired"), "wh_p2"));
    expect(gone).toMatchObject({ kind: "product_deleted", productId: "retired" });
    const deleted = await parse(planBody("plan.deleted"), lagoHeaders(planBody("plan.deleted"), "wh_p3"));
    expect(deleted).toMatchObject({ kind: "product_deleted", productId: "pro" });
  });

  it("logs other webhook types as ignored, and refuses a signed body that is not a Lago webhook", async () => {
    const invoice = JSON.stringify({ webhook_type: "invoice.created", object_type: "invoice", invoice: { lago_id: "inv_1" } });
    expect(await parse(invoice, lagoHeaders(invoice, "wh_i"))).toMatchObject({ kind: "ignored", reason: expect.stringContaining("invoice.created") });
    await expect(parse("not json", lagoHeaders("not json", "wh_j"))).rejects.toMatchObject({ code: "WEBHOOK_PAYLOAD_INVALID", field: "rawBody" });
    const noSubscription = JSON.stringify({ webhook_type: "subscription.started", object_type: "subscription" });
    await expect(parse(noSubscription, lagoHeaders(noSubscription, "wh_k"))).rejects.toMatchObject({ code: "WEBHOOK_PAYLOAD_INVALID", field: "subscription" });
  });
});
