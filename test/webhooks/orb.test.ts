import { createHmac } from "node:crypto";
import { describe, expect, it } from "vitest";
import { createOrbStandIn, orbSubscription } from "../support/msw/orb.ts";
import { useWebhookHub, WEBHOOK_CATALOG } from "../support/webhook-hub.ts";
import { answer } from "../support/webhooks.ts";

const T0 = new Date("2026-03-10T12:00:00.000Z");
let clock = T0;
const SECRET = "orb_webhook_secret";
const BASE = "https://orb.test/v1";
const orb = createOrbStandIn({ baseUrl: BASE, now: () => clock });
const catalog = {
  ...WEBHOOK_CATALOG,
  plans: {
    ...WEBHOOK_CATALOG.plans,
    pro: { ...WEBHOOK_CATALOG.plans.pro!, providerPrices: { orb: ["pro"] } },
    team: { ...WEBHOOK_CATALOG.plans.team!, providerPrices: {} },
  },
};
const env = useWebhookHub(() => clock, [orb], { config: { catalog, orb: { secretKey: "orb_test_webhooks", baseUrl: BASE, webhookSecret: SECRET } } });

let sequence = 0;
/** Delivers a subscription event for `externalCustomerId` as Orb signs it; Orb's own state is whatever the stand-in holds. */
async function deliver(type: string, externalCustomerId: string, eventId = `evt_${++sequence}`) {
  clock = new Date(clock.getTime() + 1000);
  const body = JSON.stringify({
    id: eventId,
    created_at: clock.toISOString(),
    type,
    subscription: orbSubscription({ id: `sub_${externalCustomerId}`, externalCustomerId, status: "active", plan: { id: "plan_pro", external_plan_id: "pro" } }),
    properties: {},
  });
  const timestamp = clock.toISOString().replace("Z", "");
  const signature = createHmac("sha256", SECRET).update(`v1:${timestamp}:${body}`).digest("hex");
  const request = new Request("http://billhub.test/webhooks/orb", { method: "POST", body, headers: { "content-type": "application/json", "x-orb-timestamp": timestamp, "x-orb-signature": `v1=${signature}` } });
  return answer(await env.hub.webhooks.orb(request));
}

const planOf = async (customerId: string) => (await env.hub.getCustomer(customerId)).plan;

describe("Orb subscription events through the hub", () => {
  it("re-reads the customer's Orb subscriptions and puts them on the plan their external_plan_id maps to", async () => {
    await env.hub.upsertCustomer({ id: "acme_orb" });
    orb.putSubscription({ id: "sub_acme", externalCustomerId: "acme_orb", status: "active", plan: { id: "plan_pro", external_plan_id: "pro" } });
    const response = await deliver("subscription.started", "acme_orb", "evt_acme_1");
    expect(response).toEqual({ status: 200, body: { received: true, eventId: "evt_acme_1", outcome: "applied" } });
    expect(orb.calls("subscriptions")).toHaveLength(1);
    expect(await env.hub.getCustomer("acme_orb")).toMatchObject({ plan: "pro", periodStart: new Date("2026-03-01T00:00:00.000Z"), periodEnd: new Date("2026-04-01T00:00:00.000Z") });
    expect(await env.hub.providerSubscriptions("acme_orb")).toEqual([expect.objectContaining({ provider: "orb", subscriptionId: "sub_acme", providerCustomerId: "acme_orb", status: "active", planKey: "pro", lookupKeys: ["pro"] })]);
  });

  it("takes the plan from billhub_plan metadata on the Orb plan, and finds the customer by provider_ids.orb", async () => {
    await env.hub.upsertCustomer({ id: "org_globex", providerIds: { orb: "globex-ext" } });
    orb.putSubscription({ id: "sub_globex", externalCustomerId: "globex-ext", status: "active", plan: { id: "plan_team", external_plan_id: null, metadata: { billhub_plan: "team" } } });
    expect((await deliver("subscription.plan_changed", "globex-ext")).body.outcome).toBe("applied");
    expect(await planOf("org_globex")).toBe("team");
  });

  it("does not grant an upcoming subscription's plan before it starts, and returns an ended one's customer to the default plan", async () => {
    await env.hub.upsertCustomer({ id: "later_orb" });
    orb.putSubscription({ id: "sub_later", externalCustomerId: "later_orb", status: "upcoming", plan: { id: "plan_pro", external_plan_id: "pro" } });
    await deliver("subscription.created", "later_orb");
    expect(await planOf("later_orb")).toBe("free");
    expect(await env.hub.providerSubscriptions("later_orb")).toEqual([expect.objectContaining({ status: "upcoming", entitled: false, pending: true })]);

    orb.putSubscription({ id: "sub_later", externalCustomerId: "later_orb", status: "active", plan: { id: "plan_pro", external_plan_id: "pro" } });
    await deliver("subscription.started", "later_orb");
    expect(await planOf("later_orb")).toBe("pro");

    orb.putSubscription({ id: "sub_later", externalCustomerId: "later_orb", status: "ended", plan: { id: "plan_pro", external_plan_id: "pro" } });
    await deliver("subscription.ended", "later_orb");
    expect(await env.hub.getCustomer("later_orb")).toMatchObject({ plan: "free", onDefaultPlan: true });
    expect(await env.hub.providerSubscriptions("later_orb")).toEqual([expect.objectContaining({ subscriptionId: "sub_later", status: "ended", entitled: false })]);
  });

  it("converges on Orb's current state when an older event arrives last", async () => {
    await env.hub.upsertCustomer({ id: "order_orb" });
    // Orb already ended the subscription: the `ended` event arrives first, the older `started` one last.
    await deliver("subscription.ended", "order_orb");
    await deliver("subscription.started", "order_orb");
    expect(await planOf("order_orb")).toBe("free");
  });

  it("answers a redelivered event (same id) 200 duplicate without reading Orb again", async () => {
    await env.hub.upsertCustomer({ id: "dup_orb" });
    orb.putSubscription({ id: "sub_dup", externalCustomerId: "dup_orb", status: "active", plan: { id: "plan_pro", external_plan_id: "pro" } });
    await deliver("subscription.edited", "dup_orb", "evt_dup");
    expect((await deliver("subscription.edited", "dup_orb", "evt_dup")).body.outcome).toBe("duplicate");
    expect(orb.calls("subscriptions")).toHaveLength(1);
  });

  it("answers 503 when Orb cannot be read, so Orb redelivers, and applies the redelivery", async () => {
    await env.hub.upsertCustomer({ id: "outage_orb" });
    orb.putSubscription({ id: "sub_outage", externalCustomerId: "outage_orb", status: "active", plan: { id: "plan_pro", external_plan_id: "pro" } });
    orb.inject("subscriptions", { kind: "server_error" });
    expect((await deliver("subscription.started", "outage_orb", "evt_outage")).status).toBeGreaterThanOrEqual(500);
    expect((await deliver("subscription.started", "outage_orb", "evt_outage")).body.outcome).toBe("applied");
    expect(await planOf("outage_orb")).toBe("pro");
  });
});
