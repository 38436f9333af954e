import { describe, expect, it } from "vitest";
import { LAGO_HMAC_KEY, LAGO_ISSUER, LAGO_PUBLIC_KEY_BASE64, lagoHeaders } from "../support/lago-webhooks.ts";
import { createLagoStandIn, lagoSubscription } from "../support/msw/lago.ts";
import { useWebhookHub, WEBHOOK_CATALOG } from "../support/webhook-hub.ts";
import { answer } from "../support/webhooks.ts";

const T0 = new Date("2026-03-10T12:00:00.000Z");
let clock = T0;
const BASE = `${LAGO_ISSUER}/api/v1`;
const lago = createLagoStandIn({ baseUrl: BASE });
const catalog = {
  ...WEBHOOK_CATALOG,
  plans: { ...WEBHOOK_CATALOG.plans, pro: { ...WEBHOOK_CATALOG.plans.pro!, providerPrices: { lago: ["pro"] } }, team: { ...WEBHOOK_CATALOG.plans.team!, providerPrices: { lago: ["team"] } } },
};
const env = useWebhookHub(() => clock, [lago], { config: { catalog, lago: { secretKey: "lago_test_webhooks", baseUrl: BASE, webhookHmacKey: LAGO_HMAC_KEY, webhookPublicKey: LAGO_PUBLIC_KEY_BASE64 } } });

let sequence = 0;
async function deliver(body: string, uniqueKey = `wh_${++sequence}`, algorithm: "jwt" | "hmac" = "jwt") {
  clock = new Date(clock.getTime() + 1000);
  return answer(await env.hub.webhooks.lago(new Request("http://billhub.test/webhooks/lago", { method: "POST", body, headers: lagoHeaders(body, uniqueKey, algorithm) })));
}
const subscriptionEvent = (type: string, externalCustomerId: string, planCode = "pro") =>
  JSON.stringify({ webhook_type: type, object_type: "subscription", organization_id: "org", subscription: lagoSubscription({ externalId: `sub_${externalCustomerId}`, externalCustomerId, planCode }) });
const planOf = async (customerId: string) => (await env.hub.getCustomer(customerId)).plan;

describe("Lago webhooks through the hub", () => {
  it("re-reads the customer's Lago subscriptions and puts them on the plan their plan_code maps to", async () => {
    await env.hub.upsertCustomer({ id: "acme_lago" });
    lago.putSubscription({ externalId: "sub_acme", externalCustomerId: "acme_lago", planCode: "pro" });
    expect(await deliver(subscriptionEvent("subscription.started", "acme_lago"), "wh_acme")).toEqual({ status: 200, body: { received: true, eventId: "wh_acme", outcome: "applied" } });
    expect(await env.hub.getCustomer("acme_lago")).toMatchObject({ plan: "pro", periodStart: new Date("2026-03-01T00:00:00.000Z") });
    expect(await env.hub.providerSubscriptions("acme_lago")).toEqual([expect.objectContaining({ provider: "lago", subscriptionId: "sub_acme", status: "active", planKey: "pro", lookupKeys: ["pro"] })]);
  });

  it("follows a plan change and a termination, with HMAC-signed deliveries too, and finds customers by provider_ids.lago", async () => {
    await env.hub.upsertCustomer({ id: "org_globex", providerIds: { lago: "globex-ext" } });
    lago.putSubscription({ externalId: "sub_globex", externalCustomerId: "globex-ext", planCode: "team" });
    await deliver(subscriptionEvent("subscription.updated", "globex-ext", "team"), undefined, "hmac");
    expect(await planOf("org_globex")).toBe("team");
    lago.putSubscription({ externalId: "sub_globex", externalCustomerId: "globex-ext", planCode: "team", status: "terminated" });
    await deliver(subscriptionEvent("subscription.terminated", "globex-ext", "team"));
    expect(await env.hub.getCustomer("org_globex")).toMatchObject({ plan: "free", onDefaultPlan: true });
  });

  it("does not grant a pending subscription's plan before it starts", async () => {
    await env.hub.upsertCustomer({ id: "later_lago" });
    lago.putSubscription({ externalId: "sub_later", externalCustomerId: "later_lago", planCode: "pro", status: "pending" });
    await deliver(subscriptionEvent("subscription.started", "later_lago"));
    expect(await planOf("later_lago")).toBe("free");
    expect(await env.hub.providerSubscriptions("later_lago")).toEqual([expect.objectContaining({ status: "pending", entitled: false, pending: true })]);
  });

  it("answers a redelivery (same X-Lago-Unique-Key) 200 duplicate, and a forged delivery 400 with nothing logged", async () => {
    await env.hub.upsertCustomer({ id: "dup_lago" });
    lago.putSubscription({ externalId: "sub_dup", externalCustomerId: "dup_lago", planCode: "pro" });
    await deliver(subscriptionEvent("subscription.started", "dup_lago"), "wh_dup");
    expect((await deliver(subscriptionEvent("subscription.started", "dup_lago"), "wh_dup")).body.outcome).toBe("duplicate");
    const body = subscriptionEvent("subscription.started", "dup_lago");
    const forged = await answer(await env.hub.webhooks.lago(new Request("http://billhub.test/webhooks/lago", { method: "POST", body, headers: { ...lagoHeaders(body, "wh_forged", "hmac"), "x-lago-signature": "AAAA" } })));
    expect(forged).toMatchObject({ status: 400, body: { error: { code: "WEBHOOK_SIGNATURE_INVALID" } } });
    expect((await env.hub.webhooks.events({ limit: 100 })).some((event) => event.eventId === "wh_forged")).toBe(false);
  });

  it("keeps Lago's plans as synced products, re-read when their event arrives", async () => {
    lago.putPlan("pro", { name: "Pro" });
    const body = JSON.stringify({ webhook_type: "plan.updated", object_type: "plan", organization_id: "org", plan: { code: "pro", name: "Pro" } });
    expect((await deliver(body, "wh_plan")).body.outcome).toBe("applied");
    expect(lago.calls("plan")).toHaveLength(1);
  });
});
