import { setupServer } from "msw/node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Hub } from "../../src/hub.ts";
import { forwarderConfig, forwarderHub, METRONOME_URL } from "../support/forwarder.ts";
import { createMetronomeStandIn } from "../support/msw/metronome.ts";
import { driverName, openTestStore, type TestStore } from "../support/store.ts";
import { NOW } from "../support/usage-events.ts";

const metronome = createMetronomeStandIn({ baseUrl: METRONOME_URL, now: () => NOW, metrics: { bm_api_calls: { eventType: "api_call" } } });
const server = setupServer(...metronome.handlers);
const CUSTOMER = "d7abd0cd-4ae9-4db7-8676-e986a4ebd8dc";

let store: TestStore;
let hub: Hub;

beforeAll(async () => {
  server.listen({ onUnhandledRequest: "error" });
  store = await openTestStore();
  const config = forwarderConfig({ default: "metronome" }, { forwarder: { backoffBaseMs: 0 } });
  hub = await forwarderHub(store, { ...config, metronome: { ...config.metronome!, meters: { api_calls: { eventType: "api_call", billableMetricId: "bm_api_calls" } } } });
  await hub.upsertCustomer({ id: "mt_a", providerIds: { metronome: CUSTOMER } });
});
afterAll(async () => {
  await hub.close();
  server.close();
  await store.cleanup();
});

describe(`reconciling the ledger with Metronome (${driverName})`, () => {
  it("compares the ledger with the billable metric's total, and reports usage not delivered yet", async () => {
    await hub.record({ customerId: "mt_a", meter: "api_calls", quantity: 12, transactionId: "mt_rc_1" });
    await hub.outbox.drain();
    expect(await hub.reconcile({ provider: "metronome", period: "2026-03" })).toMatchObject({ provider: "metronome", compared: 1, differences: [] });
    await hub.record({ customerId: "mt_a", meter: "api_calls", quantity: 5, transactionId: "mt_rc_2" });
    expect((await hub.reconcile({ provider: "metronome", period: "2026-03" })).differences).toEqual([
      { customerId: "mt_a", providerCustomerId: CUSTOMER, meter: "api_calls", ledger: "17", provider: "12", difference: "-5", pending: 1, dead: 0, note: "1 not delivered yet" },
    ]);
    expect(metronome.events().map((event) => [event.transaction_id, event.customer_id])).toEqual([["mt_rc_1", CUSTOMER]]);
  });
});
