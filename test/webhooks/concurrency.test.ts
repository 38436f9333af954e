import { setupServer } from "msw/node";
import { afterAll, beforeAll, expect, it } from "vitest";
import type { Hub } from "../../src/hub.ts";
import { createStripeStandIn } from "../support/msw/stripe.ts";
import { describeOnPostgres, openTestStore, type TestStore } from "../support/store.ts";
import { webhookHub } from "../support/webhook-hub.ts";
import { answer, stripePrice, stripeRequest, stripeSubscription } from "../support/webhooks.ts";

const NOW = new Date("2026-03-10T12:00:00.000Z");
const at = (s: number) => new Date(NOW.getTime() + s * 1000);
const stripe = createStripeStandIn({ now: () => NOW });
const server = setupServer(...stripe.handlers);

describeOnPostgres("webhook deliveries racing on several connections", () => {
  let store: TestStore;
  let hubs: Hub[];

  beforeAll(async () => {
    server.listen({ onUnhandledRequest: "error" });
    store = await openTestStore();
    // Several hubs on one database stand in for several `billhub serve` processes.
    hubs = await Promise.all([0, 1, 2, 3].map(() => webhookHub(store, () => NOW)));
  });
  afterAll(async () => {
    server.close();
    for (const hub of hubs) await hub.close();
    await store.cleanup();
  });

  const deliver = (index: number, type: string, object: Record<string, unknown>, options: { id: string; created: Date }) =>
    hubs[index % hubs.length]!.webhooks.stripe(stripeRequest(type, object, { ...options, signedAt: NOW })).then(answer);

  it("applies one event delivered twelve times at once exactly once", async () => {
    const price = stripePrice({ id: "price_race_dup", lookup_key: "race_dup" });
    const results = await Promise.all(Array.from({ length: 12 }, (_, i) => deliver(i, "price.created", price, { id: "evt_race_dup", created: at(0) })));
    expect(results.map((r) => r.status)).toEqual(Array(12).fill(200));
    expect(results.filter((r) => r.body.outcome === "applied")).toHaveLength(1);
    expect(results.filter((r) => r.body.outcome === "duplicate")).toHaveLength(11);
    expect(await hubs[0]!.priceHistory({ priceId: "price_race_dup" })).toHaveLength(1);
  });

  it("ends on the newest state when changes to one price race, with a history that never overlaps", async () => {
    const updates = Array.from({ length: 10 }, (_, i) => ({ nickname: `v${i}`, created: at(i * 10) }));
    const results = await Promise.all(updates.map((update, i) => deliver(i, "price.updated", stripePrice({ id: "price_race_order", lookup_key: "race_order", nickname: update.nickname }), { id: `evt_race_order_${i}`, created: update.created })));
    expect(results.map((result) => result.status)).toEqual(Array(10).fill(200));
    const versions = await hubs[0]!.priceHistory({ priceId: "price_race_order" });
    expect(versions.at(-1)).toMatchObject({ validTo: null, price: expect.objectContaining({ nickname: "v9" }) });
    for (let i = 1; i < versions.length; i += 1) expect(versions[i - 1]!.validTo).toEqual(versions[i]!.validFrom);
    const outcomes = (await hubs[0]!.webhooks.events({ limit: 1000 })).filter((e) => e.eventId.startsWith("evt_race_order_")).map((e) => e.outcome);
    expect(outcomes).toHaveLength(10);
    expect(outcomes.every((outcome) => outcome === "applied" || outcome === "stale")).toBe(true);
  });

  it("applies two subscriptions of one customer changing at once one after the other", async () => {
    await hubs[0]!.upsertCustomer({ id: "org_race", providerIds: { stripe: "cus_race" } });
    const period = { periodStart: new Date("2026-03-01T00:00:00Z"), periodEnd: new Date("2026-04-01T00:00:00Z") };
    const pro = stripePrice({ id: "price_race_pro", lookup_key: "pro_monthly" });
    const team = stripePrice({ id: "price_race_team", lookup_key: "team_monthly" });
    const results = await Promise.all([
      deliver(0, "customer.subscription.created", stripeSubscription({ id: "sub_race_a", customer: "cus_race", prices: [pro], ...period }), { id: "evt_race_sub_a", created: at(0) }),
      deliver(1, "customer.subscription.created", stripeSubscription({ id: "sub_race_b", customer: "cus_race", prices: [team], ...period }), { id: "evt_race_sub_b", created: at(5) }),
    ]);
    expect(results.map((result) => result.body.outcome)).toEqual(["applied", "applied"]);
    expect((await hubs[0]!.getCustomer("org_race")).plan).toBe("team");
    expect(await hubs[0]!.providerSubscriptions("org_race")).toHaveLength(2);
  });
});
