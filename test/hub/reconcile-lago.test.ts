import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { Hub } from "../../src/hub.ts";
import { forwarderConfig, forwarderHub, LAGO_URL } from "../support/forwarder.ts";
import { createLagoStandIn } from "../support/msw/lago.ts";
import { useStandIns } from "../support/msw/use-stand-ins.ts";
import { driverName, openTestStore, type TestStore } from "../support/store.ts";

const lago = createLagoStandIn({ baseUrl: LAGO_URL, metrics: { api_calls: {} } });
useStandIns(lago);

let store: TestStore;
let hub: Hub;

beforeAll(async () => {
  store = await openTestStore();
  const config = forwarderConfig({ default: "lago" }, { forwarder: { backoffBaseMs: 0 } });
  hub = await forwarderHub(store, { ...config, lago: { ...config.lago!, subscriptionCacheTtlMs: 0 } });
  await hub.upsertCustomer({ id: "lg_a", providerIds: { lago: "lago-a" } });
});
beforeEach(() => {
  lago.putSubscription({ externalId: "sub_a", externalCustomerId: "lago-a", planCode: "pro" });
});
afterAll(async () => {
  await hub.close();
  await store.cleanup();
});

describe(`reconciling the ledger with Lago (${driverName})`, () => {
  it("compares the ledger with the units of Lago's billing period when the period is one of Lago's, and reports usage not delivered yet", async () => {
    await hub.record({ customerId: "lg_a", meter: "api_calls", quantity: 12, transactionId: "lg_rc_1" });
    await hub.outbox.drain();
    lago.inject("current_usage", { kind: "rate_limit", retryAfter: "0" });
    expect(await hub.reconcile({ provider: "lago", period: "2026-03" })).toMatchObject({ provider: "lago", compared: 1, differences: [] });
    await hub.record({ customerId: "lg_a", meter: "api_calls", quantity: 5, transactionId: "lg_rc_2" });
    expect((await hub.reconcile({ provider: "lago", period: "2026-03" })).differences).toEqual([
      { customerId: "lg_a", providerCustomerId: "lago-a", meter: "api_calls", ledger: "17", provider: "12", difference: "-5", pending: 1, dead: 0, note: "1 not delivered yet" },
    ]);
    expect(lago.events().map((event) => [event.transaction_id, event.external_subscription_id])).toEqual([["lg_rc_1", "sub_a"]]);
  });

  it("reports a window Lago has no figure for as not comparable, with the reason, never as a difference", async () => {
    const report = await hub.reconcile({ provider: "lago", period: "2026-03-01..2026-03-15" });
    expect(report.differences).toEqual([
      {
        customerId: "lg_a",
        providerCustomerId: "lago-a",
        meter: "api_calls",
        ledger: "17",
        provider: null,
        difference: null,
        pending: 1,
        dead: 0,
        note: expect.stringMatching(/^not comparable: Lago reports usage per billing period and 2026-03-01T00:00:00.000Z..2026-03-15T00:00:00.000Z cuts through sub_a .*; 1 not delivered yet$/),
      },
    ]);
  });
});
