import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Hub } from "../../src/hub.ts";
import { forwarderConfig, forwarderHub, POLAR_URL } from "../support/forwarder.ts";
import { createPolarStandIn } from "../support/msw/polar.ts";
import { useStandIns } from "../support/msw/use-stand-ins.ts";
import { driverName, openTestStore, type TestStore } from "../support/store.ts";

const polar = createPolarStandIn({ baseUrl: POLAR_URL, meters: { "meter-api": { eventName: "api_call" } } });
useStandIns(polar);

let store: TestStore;
let hub: Hub;

beforeAll(async () => {
  store = await openTestStore();
  const config = forwarderConfig({ default: "polar" }, { forwarder: { backoffBaseMs: 0 } });
  hub = await forwarderHub(store, { ...config, polar: { ...config.polar!, meters: { api_calls: { eventName: "api_call", meterId: "meter-api" } } } });
  await hub.upsertCustomer({ id: "pl_a", providerIds: { polar: "org-a" } });
});
afterAll(async () => {
  await hub.close();
  await store.cleanup();
});

describe(`reconciling the ledger with Polar (${driverName})`, () => {
  it("compares the ledger with the meter's total for the customer's external id, and reports usage not delivered yet", async () => {
    await hub.record({ customerId: "pl_a", meter: "api_calls", quantity: 12, transactionId: "pl_rc_1" });
    await hub.outbox.drain();
    expect(await hub.reconcile({ provider: "polar", period: "2026-03" })).toMatchObject({ provider: "polar", compared: 1, differences: [] });
    await hub.record({ customerId: "pl_a", meter: "api_calls", quantity: 5, transactionId: "pl_rc_2" });
    expect((await hub.reconcile({ provider: "polar", period: "2026-03" })).differences).toEqual([
      { customerId: "pl_a", providerCustomerId: "org-a", meter: "api_calls", ledger: "17", provider: "12", difference: "-5", pending: 1, dead: 0, note: "1 not delivered yet" },
    ]);
    expect(polar.events().map((event) => [event.external_id, event.external_customer_id, event.metadata?.quantity])).toEqual([["pl_rc_1", "org-a", 12]]);
  });
});
