import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { Hub } from "../../src/hub.ts";
import { createPolarStandIn } from "../support/msw/polar.ts";
import { POLAR_WEBHOOK_SECRET, polarEvent, polarHeaders, polarProduct, polarSubscription } from "../support/polar-objects.ts";
import { openTestStore, type TestStore } from "../support/store.ts";
import { useStandIns } from "../support/msw/use-stand-ins.ts";
import { WEBHOOK_CATALOG, webhookHub } from "../support/webhook-hub.ts";
import { answer } from "../support/webhooks.ts";

const NOW = new Date("2026-03-10T12:00:00.000Z");
const PRO_PRODUCT = "7f5a2a9e-4b1c-4c0e-9a57-2b8f3e1d6c01";
const TEAM_PRODUCT = "a4c9e2b7-0d3f-4e58-b6a1-9f2e7c4d8b33";
const polar = createPolarStandIn({ baseUrl: "https://polar.test" });
useStandIns(polar);

let store: TestStore;
let hub: Hub;

beforeAll(async () => {
  store = await openTestStore();
  const plans = WEBHOOK_CATALOG.plans;
  hub = await webhookHub(store, () => NOW, {
    config: {
      catalog: { ...WEBHOOK_CATALOG, plans: { ...plans, pro: { ...plans.pro!, providerPrices: { ...plans.pro!.providerPrices, polar: [PRO_PRODUCT] } } } },
      polar: { secretKey: "polar_oat_webhooks", baseUrl: "https://polar.test", webhookSecret: POLAR_WEBHOOK_SECRET },
    },
  });
});
afterEach(() => polar.reset());
afterAll(async () => {
  await hub.close();
  await store.cleanup();
});

function request(body: string, id: string): Request {
  return new Request("http://billhub.test/webhooks/polar", { method: "POST", body, headers: polarHeaders(body, { id, at: NOW }) });
}

async function deliver(type: string, data: unknown, id: string, timestamp: string) {
  return answer(await hub.webhooks.polar(request(polarEvent(type, data, timestamp), id)));
}

describe("Polar subscriptions set the customer's plan", () => {
  it("puts a subscriber on the plan their product maps to (providerPrices.polar lists product ids), with the subscription's period, and answers a redelivery as a duplicate", async () => {
    await hub.upsertCustomer({ id: "org_polar", providerIds: { polar: "org_polar" } });
    const subscription = polarSubscription({ id: "sub-1", customer: { ...polarSubscription().customer, external_id: "org_polar" } });
    expect(await deliver("subscription.created", subscription, "msg_1", "2026-03-10T11:00:00.000001Z")).toEqual({ status: 200, body: { received: true, eventId: "msg_1", outcome: "applied" } });
    expect(await hub.getCustomer("org_polar")).toMatchObject({ plan: "pro", onDefaultPlan: false, periodStart: new Date("2026-03-01T10:00:00Z"), periodEnd: new Date("2026-04-01T10:00:00Z") });
    expect(await hub.can("org_polar", "sso")).toBe(true);
    expect((await deliver("subscription.created", subscription, "msg_1", "2026-03-10T11:00:00.000001Z")).body).toMatchObject({ outcome: "duplicate" });
  });

  it("names the plan by billhub_plan metadata on the product, and returns the customer to the default plan when Polar revokes the subscription", async () => {
    await hub.upsertCustomer({ id: "org_team", providerIds: { polar: "org_team" } });
    const product = polarProduct({ id: TEAM_PRODUCT, name: "Team", metadata: { billhub_plan: "team" } });
    const base = polarSubscription({ id: "sub-team", product, customer: { ...polarSubscription().customer, external_id: "org_team" } });
    await deliver("subscription.active", base, "msg_team_1", "2026-03-10T11:00:00Z");
    expect((await hub.getCustomer("org_team")).plan).toBe("team");
    await deliver("subscription.canceled", { ...base, cancel_at_period_end: true }, "msg_team_2", "2026-03-10T11:10:00Z");
    expect((await hub.getCustomer("org_team")).plan).toBe("team");
    await deliver("subscription.revoked", { ...base, status: "canceled" }, "msg_team_3", "2026-03-10T11:20:00Z");
    expect(await hub.getCustomer("org_team")).toMatchObject({ plan: "free", onDefaultPlan: true });
    const late = await deliver("subscription.updated", base, "msg_team_0", "2026-03-10T11:05:00Z");
    expect(late.body).toMatchObject({ outcome: "stale" });
    expect((await hub.getCustomer("org_team")).plan).toBe("free");
  });

  it("settles two changes at the same instant by re-reading the subscription from Polar", async () => {
    await hub.upsertCustomer({ id: "org_tie", providerIds: { polar: "org_tie" } });
    const base = polarSubscription({ id: "sub-tie", customer: { ...polarSubscription().customer, external_id: "org_tie" } });
    await deliver("subscription.updated", { ...base, status: "past_due" }, "msg_tie_1", "2026-03-10T11:30:00Z");
    polar.setSubscription({ ...base, status: "canceled" });
    const tie = await deliver("subscription.updated", base, "msg_tie_2", "2026-03-10T11:30:00Z");
    expect(tie.body).toMatchObject({ outcome: "applied" });
    expect(polar.calls("subscription")).toHaveLength(1);
    expect((await hub.getCustomer("org_tie")).plan).toBe("free");
  });

  it("logs a subscription of a customer billhub cannot name as unknown_customer, and other events as ignored", async () => {
    const stranger = polarSubscription({ id: "sub-stranger", customer: { ...polarSubscription().customer, external_id: "nobody-here" } });
    expect((await deliver("subscription.created", stranger, "msg_stranger", "2026-03-10T11:40:00Z")).body).toMatchObject({ outcome: "unknown_customer" });
    expect((await deliver("order.paid", { id: "order-1" }, "msg_order", "2026-03-10T11:41:00Z")).body).toMatchObject({ outcome: "ignored" });
  });

  it("refuses a delivery signed with another secret with 400 and logs nothing", async () => {
    const body = polarEvent("subscription.created", polarSubscription({ id: "sub-forged" }));
    const forged = new Request("http://billhub.test/webhooks/polar", { method: "POST", body, headers: polarHeaders(body, { id: "msg_forged", at: NOW, secret: "not-the-secret" }) });
    expect(await answer(await hub.webhooks.polar(forged))).toMatchObject({ status: 400, body: { error: { code: "WEBHOOK_SIGNATURE_INVALID" } } });
    expect((await hub.webhooks.events({ limit: 100 })).some((event) => event.eventId === "msg_forged")).toBe(false);
  });
});
