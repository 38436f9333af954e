import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { Hub } from "../../src/hub.ts";
import { forwarderConfig, forwarderHub, ORB_URL } from "../support/forwarder.ts";
import { createOrbStandIn } from "../support/msw/orb.ts";
import { useStandIns } from "../support/msw/use-stand-ins.ts";
import { driverName, openTestStore, type TestStore } from "../support/store.ts";
import { NOW } from "../support/usage-events.ts";

const orb = createOrbStandIn({ baseUrl: ORB_URL, now: () => NOW, metrics: { bm_api_calls: { eventName: "api_call" } } });
useStandIns(orb);

let store: TestStore;
let hub: Hub;

beforeAll(async () => {
  store = await openTestStore();
  const config = forwarderConfig({ default: "orb" }, { forwarder: { backoffBaseMs: 0 } });
  hub = await forwarderHub(store, { ...config, orb: { ...config.orb!, meters: { api_calls: { eventName: "api_call", billableMetricId: "bm_api_calls" } } } });
  await hub.upsertCustomer({ id: "orb_a", providerIds: { orb: "orb-a" } });
  await hub.upsertCustomer({ id: "orb_b", providerIds: { orb: "orb-b" } });
});
beforeEach(() => {
  orb.putSubscription({ id: "sub_a", externalCustomerId: "orb-a", status: "active", plan: { id: "plan_pro", external_plan_id: "pro" } });
});
afterAll(async () => {
  await hub.close();
  await store.cleanup();
});

describe(`reconciling the ledger with Orb (${driverName})`, () => {
  it("compares the ledger with the billable metric's usage on the customer's subscription (reading through a 429 and a 5xx), and reports usage not delivered yet", async () => {
    await hub.record({ customerId: "orb_a", meter: "api_calls", quantity: 12, transactionId: "orb_rc_1" });
    await hub.outbox.drain();
    orb.inject("subscription_usage", { kind: "rate_limit", retryAfter: "0" });
    orb.inject("subscriptions", { kind: "server_error" });
    expect(await hub.reconcile({ provider: "orb", period: "2026-03", customerId: "orb_a" })).toMatchObject({ provider: "orb", compared: 1, differences: [] });
    expect(orb.faultsServed()).toMatchObject({ rate_limit: 1, server_error: 1 });
    await hub.record({ customerId: "orb_a", meter: "api_calls", quantity: 5, transactionId: "orb_rc_2" });
    expect((await hub.reconcile({ provider: "orb", period: "2026-03", customerId: "orb_a" })).differences).toEqual([
      { customerId: "orb_a", providerCustomerId: "orb-a", meter: "api_calls", ledger: "17", provider: "12", difference: "-5", pending: 1, dead: 0, note: "1 not delivered yet" },
    ]);
    expect(orb.events().map((event) => [event.idempotency_key, event.external_customer_id])).toEqual([["orb_rc_1", "orb-a"]]);
  });

  it("reports a customer Orb has no subscription for as a difference it cannot total, with the reason", async () => {
    await hub.record({ customerId: "orb_b", meter: "api_calls", quantity: 3, transactionId: "orb_rc_3" });
    await hub.outbox.drain();
    const report = await hub.reconcile({ provider: "orb", period: "2026-03", customerId: "orb_b" });
    expect(report.differences).toEqual([
      { customerId: "orb_b", providerCustomerId: "orb-b", meter: "api_calls", ledger: "3", provider: null, difference: null, pending: 0, dead: 0, note: expect.stringContaining('Orb has no subscription for customer "orb-b"') },
    ]);
  });

});
