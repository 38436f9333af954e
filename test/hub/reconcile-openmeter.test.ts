import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Hub } from "../../src/hub.ts";
import { forwarderConfig, forwarderHub, OPENMETER_URL } from "../support/forwarder.ts";
import { createOpenMeterStandIn } from "../support/msw/openmeter.ts";
import { useStandIns } from "../support/msw/use-stand-ins.ts";
import { driverName, openTestStore, type TestStore } from "../support/store.ts";

const openmeter = createOpenMeterStandIn({ baseUrl: OPENMETER_URL, meters: { api_requests_total: { eventType: "api_call" } } });
useStandIns(openmeter);

let store: TestStore;
let hub: Hub;

beforeAll(async () => {
  store = await openTestStore();
  const config = forwarderConfig({ default: "openmeter" }, { forwarder: { backoffBaseMs: 0 } });
  hub = await forwarderHub(store, { ...config, openmeter: { ...config.openmeter!, meters: { api_calls: { eventType: "api_call", meterSlug: "api_requests_total" } } } });
  await hub.upsertCustomer({ id: "om_a", providerIds: { openmeter: "subject-a" } });
});
afterAll(async () => {
  await hub.close();
  await store.cleanup();
});

describe(`reconciling the ledger with OpenMeter (${driverName})`, () => {
  it("compares the ledger with the meter's total for the customer's subject, and reports usage not delivered yet", async () => {
    await hub.record({ customerId: "om_a", meter: "api_calls", quantity: 12, transactionId: "om_rc_1" });
    await hub.outbox.drain();
    expect(await hub.reconcile({ provider: "openmeter", period: "2026-03" })).toMatchObject({ provider: "openmeter", compared: 1, differences: [] });
    await hub.record({ customerId: "om_a", meter: "api_calls", quantity: 5, transactionId: "om_rc_2" });
    expect((await hub.reconcile({ provider: "openmeter", period: "2026-03" })).differences).toEqual([
      { customerId: "om_a", providerCustomerId: "subject-a", meter: "api_calls", ledger: "17", provider: "12", difference: "-5", pending: 1, dead: 0, note: "1 not delivered yet" },
    ]);
    expect(openmeter.events().map((event) => [event.id, event.subject, event.data?.value])).toEqual([["om_rc_1", "subject-a", "12"]]);
  });
});
