import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { Hub } from "../../src/hub.ts";
import { forwarderConfig, forwarderHub, POLAR_URL } from "../support/forwarder.ts";
import { createPolarStandIn } from "../support/msw/polar.ts";
import { useStandIns } from "../support/msw/use-stand-ins.ts";
import { driverName, openTestStore, type TestStore } from "../support/store.ts";

const polar = createPolarStandIn({
  baseUrl: POLAR_URL,
  meters: { "meter-api": { eventName: "api_call" }, "meter-requests": { eventName: "request", func: "count" }, "meter-tokens": { eventName: "llm_tokens", func: "count" } },
});
useStandIns(polar);

let store: TestStore;
let hub: Hub;

beforeAll(async () => {
  store = await openTestStore();
  const config = forwarderConfig({ default: "polar" }, { forwarder: { backoffBaseMs: 0 } });
  hub = await forwarderHub(store, {
    ...config,
    polar: {
      ...config.polar!,
      meters: {
        api_calls: { eventName: "api_call", meterId: "meter-api" },
        requests: { eventName: "request", meterId: "meter-requests" },
        // A catalog sum meter mapped to a Polar count meter.
        llm_tokens: { eventName: "llm_tokens", meterId: "meter-tokens" },
        storage_gb_hours: { eventName: "storage" },
      },
    },
  });
  await hub.customers.upsert({ id: "pl_a", providerIds: { polar: "org-a" } });
  await hub.customers.upsert({ id: "pl_b" });
  await hub.customers.upsert({ id: "pl_e", providerIds: { polar: "org-e" } });
});
beforeEach(() => {
  polar.addCustomer({ external_id: "org-a", email: "a@example.com" });
});
afterAll(async () => {
  await hub.close();
  await store.cleanup();
});

describe(`reconciling the ledger with Polar (${driverName})`, () => {
  it("compares the ledger with the meter's total for the customer's external id (reading through a 429 and a 5xx), and reports usage not delivered yet", async () => {
    await hub.record({ customerId: "pl_a", meter: "api_calls", quantity: 12, transactionId: "pl_rc_1", timestamp: "2026-02-10T08:00:00Z" });
    await hub.record({ customerId: "pl_a", meter: "requests", quantity: 1, transactionId: "pl_rc_2", timestamp: "2026-02-10T08:00:00Z" });
    await hub.outbox.drain();
    polar.inject("quantities", { kind: "rate_limit", retryAfter: "0" });
    polar.inject("meter", { kind: "server_error", status: 502 });
    const report = await hub.reconcile({ provider: "polar", period: "2026-02", customerId: "pl_a" });
    expect(polar.faultsServed()).toMatchObject({ rate_limit: 1, server_error: 1 });
    expect(report.compared).toBe(4);
    expect(report.differences.map((row) => row.meter)).toEqual(["llm_tokens", "storage_gb_hours"]);

    await hub.record({ customerId: "pl_a", meter: "api_calls", quantity: 5, transactionId: "pl_rc_3", timestamp: "2026-02-11T08:00:00Z" });
    expect((await hub.reconcile({ provider: "polar", period: "2026-02", customerId: "pl_a" })).differences.filter((row) => row.meter === "api_calls")).toEqual([
      { customerId: "pl_a", providerCustomerId: "org-a", meter: "api_calls", ledger: "17", provider: "12", difference: "-5", pending: 1, dead: 0, note: "1 not delivered yet" },
    ]);
    expect(polar.events().map((event) => [event.external_id, event.external_customer_id, event.metadata?.quantity])).toEqual([
      ["pl_rc_1", "org-a", 12],
      ["pl_rc_2", "org-a", 1],
    ]);
  });

  it("leaves out usage from the first instant after the period, which Polar would count if asked up to the period's end", async () => {
    await hub.record({ customerId: "pl_e", meter: "api_calls", quantity: 3, transactionId: "pl_rc_edge_1", timestamp: "2026-02-28T23:59:59.999Z" });
    await hub.record({ customerId: "pl_e", meter: "api_calls", quantity: 4, transactionId: "pl_rc_edge_2", timestamp: "2026-03-01T00:00:00Z" });
    await hub.outbox.drain();
    const report = await hub.reconcile({ provider: "polar", period: "2026-02", customerId: "pl_e" });
    expect(report.differences.filter((row) => row.meter === "api_calls")).toEqual([]);
    expect(polar.calls("quantities").some((call) => new URL(call.url).searchParams.get("end_timestamp") === "2026-02-28T23:59:59.999Z")).toBe(true);
  });

  it("reports what it cannot compare with the reason: a sum meter against a Polar count meter, a meter without meterId, a window off the hour, a customer Polar does not know", async () => {
    await hub.record({ customerId: "pl_a", meter: "llm_tokens", quantity: 500, transactionId: "pl_rc_tok", timestamp: "2026-02-12T00:00:00Z" });
    await hub.record({ customerId: "pl_b", meter: "api_calls", quantity: 2, transactionId: "pl_rc_b", timestamp: "2026-02-12T00:00:00Z" });
    await hub.outbox.drain();
    const report = await hub.reconcile({ provider: "polar", period: "2026-02" });
    const notes = Object.fromEntries(report.differences.map((row) => [`${row.customerId}/${row.meter}`, [row.provider, row.difference, row.note]]));
    expect(notes["pl_a/llm_tokens"]).toEqual([null, null, 'not comparable: the catalog meter aggregates by sum, Polar meter "meter-tokens" by count; their totals measure different things']);
    expect(notes["pl_a/storage_gb_hours"]).toEqual([null, null, 'not comparable: meter "storage_gb_hours" names no Polar meter; set polar.meters.storage_gb_hours.meterId to the id of the Polar meter that counts its events']);
    // pl_b's usage went out under its billhub id, so Polar counts it though it has no customer by that id.
    expect(notes["pl_b/api_calls"]).toBeUndefined();
    // org-e holds no Polar customer (the stand-in forgot the earlier test's events): no 0 passes for a total.
    expect(notes["pl_e/requests"]).toEqual([null, null, 'Polar has no customer with external id "org-e" and no usage under it in the window']);

    const offHour = await hub.reconcile({ provider: "polar", period: { from: new Date("2026-02-01T00:30:00Z"), to: new Date("2026-03-01T00:00:00Z") }, customerId: "pl_b" });
    expect(offHour.differences.find((row) => row.meter === "api_calls")).toMatchObject({ provider: null, difference: null, note: expect.stringMatching(/^not comparable: Polar totals meter quantities in whole UTC hours/) });
  });
});
