import { setupServer } from "msw/node";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { HubConfigInput, ProviderId } from "../../../src/config/schema.ts";
import type { Hub } from "../../../src/hub.ts";
import { clearUsage, FLOWGLAD_URL, LAGO_URL, METRONOME_URL, ORB_URL, OPENMETER_URL, POLAR_URL, forwarderConfig, forwarderHub, makeDue, outboxState } from "../../support/forwarder.ts";
import { createFlowgladStandIn } from "../../support/msw/flowglad.ts";
import { createLagoStandIn } from "../../support/msw/lago.ts";
import { createMetronomeStandIn } from "../../support/msw/metronome.ts";
import { createOrbStandIn } from "../../support/msw/orb.ts";
import { createOpenMeterStandIn } from "../../support/msw/openmeter.ts";
import { createPolarStandIn } from "../../support/msw/polar.ts";
import { createStripeStandIn } from "../../support/msw/stripe.ts";
import { driverName, openTestStore, type TestStore } from "../../support/store.ts";
import { NOW } from "../../support/usage-events.ts";

const stripe = createStripeStandIn({ now: () => NOW });
const flowglad = createFlowgladStandIn({ baseUrl: FLOWGLAD_URL, now: () => NOW });
const metronome = createMetronomeStandIn({ baseUrl: METRONOME_URL, now: () => NOW });
const orb = createOrbStandIn({ baseUrl: ORB_URL, now: () => NOW });
const lago = createLagoStandIn({ baseUrl: LAGO_URL });
const openmeter = createOpenMeterStandIn({ baseUrl: OPENMETER_URL });
const polar = createPolarStandIn({ baseUrl: POLAR_URL });
const server = setupServer(...stripe.handlers, ...flowglad.handlers, ...metronome.handlers, ...orb.handlers, ...lago.handlers, ...openmeter.handlers, ...polar.handlers);

let store: TestStore;
const hubs: Hub[] = [];

beforeAll(async () => {
  server.listen({ onUnhandledRequest: "error" });
  store = await openTestStore();
  const seed = await forwarderHub(store, forwarderConfig({ default: "manual" }));
  await seed.upsertCustomer({ id: "acme", providerIds: { stripe: "cus_acme" } });
  await seed.upsertCustomer({ id: "legacy_co", providerIds: { stripe: "cus_legacy", flowglad: "legacy-co" } });
  await seed.close();
});
beforeEach(async () => {
  await clearUsage(store);
  flowglad.addCustomer({ externalId: "acme", subscriptions: [{ id: "sub_acme" }] });
  flowglad.addCustomer({ externalId: "legacy-co", subscriptions: [{ id: "sub_legacy" }] });
  lago.putSubscription({ externalId: "sub_acme", externalCustomerId: "acme", planCode: "pro" });
  lago.putSubscription({ externalId: "sub_legacy", externalCustomerId: "legacy_co", planCode: "pro" });
});
afterEach(async () => {
  for (const hub of hubs.splice(0)) await hub.close();
  server.resetHandlers();
  stripe.reset();
  flowglad.reset();
  metronome.reset();
  orb.reset();
  lago.reset();
  openmeter.reset();
  polar.reset();
});
afterAll(async () => {
  server.close();
  await store.cleanup();
});

/** A hub built from config alone: the same code for every provider. */
async function hubFor(provider: HubConfigInput["provider"]): Promise<Hub> {
  const hub = await forwarderHub(store, forwarderConfig(provider));
  hubs.push(hub);
  return hub;
}

/** The application's part, identical whatever the provider: record usage, run the forwarder. */
async function scenario(hub: Hub) {
  await hub.record({ customerId: "acme", meter: "api_calls", quantity: 3, transactionId: "sw_1" });
  await hub.recordBatch([
    { customerId: "acme", meter: "api_calls", quantity: 4, transactionId: "sw_2" },
    { customerId: "acme", meter: "api_calls", quantity: 4, transactionId: "sw_2" },
  ]);
  await hub.record({ customerId: "acme", meter: "api_calls", quantity: 3, transactionId: "sw_1" });
  const report = await hub.outbox.drain();
  return {
    report,
    outbox: (await outboxState(store)).map((r) => `${r.transaction_id}→${r.provider}:${r.status}`),
    // Sorted: claims in flight at once may split the two rows, and then either can arrive first.
    atStripe: stripe.events().map((e) => `${e.identifier}:${e.payload.stripe_customer_id}:${e.payload.value}`).sort(),
    atFlowglad: flowglad.usageEvents().map((e) => `${e.transactionId}:${e.subscriptionId}:${e.amount}`).sort(),
    atMetronome: metronome.events().map((e) => `${e.transaction_id}:${e.customer_id}:${String(e.properties.quantity)}`).sort(),
    atOrb: orb.events().map((e) => `${e.idempotency_key}:${e.external_customer_id}:${String(e.properties.quantity)}`).sort(),
    atLago: lago.events().map((e) => `${e.transaction_id}:${e.external_subscription_id}:${String(e.properties.quantity)}`).sort(),
    atOpenMeter: openmeter.events().map((e) => `${e.id}:${e.subject}:${String(e.data?.value)}`).sort(),
    atPolar: polar.events().map((e) => `${e.external_id}:${e.external_customer_id}:${String(e.metadata?.quantity)}`).sort(),
    ledger: (await hub.usage({ customerId: "acme", meter: "api_calls", window: { from: new Date(NOW.getTime() - 3_600_000), to: new Date(NOW.getTime() + 3_600_000) } })).value,
  };
}

describe(`switching provider by config alone: record → outbox → forwarder → provider (${driverName})`, () => {
  const nowhere = { atStripe: [], atFlowglad: [], atMetronome: [], atOrb: [], atLago: [], atOpenMeter: [], atPolar: [] };
  const expected: Record<ProviderId, { outbox: string[]; atStripe: string[]; atFlowglad: string[]; atMetronome: string[]; atOrb: string[]; atLago: string[]; atOpenMeter: string[]; atPolar: string[] }> = {
    stripe: { ...nowhere, outbox: ["sw_1→stripe:delivered", "sw_2→stripe:delivered"], atStripe: ["sw_1:cus_acme:3", "sw_2:cus_acme:4"] },
    flowglad: { ...nowhere, outbox: ["sw_1→flowglad:delivered", "sw_2→flowglad:delivered"], atFlowglad: ["sw_1:sub_acme:3", "sw_2:sub_acme:4"] },
    metronome: { ...nowhere, outbox: ["sw_1→metronome:delivered", "sw_2→metronome:delivered"], atMetronome: ["sw_1:acme:3", "sw_2:acme:4"] },
    orb: { ...nowhere, outbox: ["sw_1→orb:delivered", "sw_2→orb:delivered"], atOrb: ["sw_1:acme:3", "sw_2:acme:4"] },
    lago: { ...nowhere, outbox: ["sw_1→lago:delivered", "sw_2→lago:delivered"], atLago: ["sw_1:sub_acme:3", "sw_2:sub_acme:4"] },
    openmeter: { ...nowhere, outbox: ["sw_1→openmeter:delivered", "sw_2→openmeter:delivered"], atOpenMeter: ["sw_1:acme:3", "sw_2:acme:4"] },
    polar: { ...nowhere, outbox: ["sw_1→polar:delivered", "sw_2→polar:delivered"], atPolar: ["sw_1:acme:3", "sw_2:acme:4"] },
    manual: { ...nowhere, outbox: [] },
  };

  for (const provider of ["stripe", "flowglad", "metronome", "orb", "lago", "openmeter", "polar", "manual"] as const) {
    it(`${provider}: the same scenario sends each event once ${provider === "manual" ? "nowhere (it stays in the ledger for the invoice run)" : `to ${provider}`}`, async () => {
      const result = await scenario(await hubFor({ default: provider }));
      expect(result).toMatchObject({ ...expected[provider], ledger: "7" });
      expect(result.report.delivered).toBe(expected[provider].outbox.length);
    });
  }
});

describe(`routing and mirrors end to end (${driverName})`, () => {
  it("keeps a routed customer on their own provider while the rest go to the default", async () => {
    const hub = await hubFor({ default: "stripe", routes: { legacy_co: "flowglad" } });
    await hub.record({ customerId: "acme", meter: "api_calls", quantity: 2, transactionId: "rt_acme" });
    await hub.record({ customerId: "legacy_co", meter: "api_calls", quantity: 5, transactionId: "rt_legacy" });
    await hub.outbox.drain();
    expect(stripe.events().map((e) => [e.identifier, e.payload.stripe_customer_id])).toEqual([["rt_acme", "cus_acme"]]);
    expect(flowglad.usageEvents().map((e) => [e.transactionId, e.subscriptionId])).toEqual([["rt_legacy", "sub_legacy"]]);
  });

  it("copies every event to the mirror as its own delivery", async () => {
    const hub = await hubFor({ default: "stripe", mirror: ["flowglad"] });
    await hub.record({ customerId: "acme", meter: "api_calls", quantity: 6, transactionId: "mr_copy" });
    expect(await hub.outbox.drain()).toMatchObject({ claimed: 2, delivered: 2 });
    expect((await outboxState(store)).map((r) => [r.provider, r.role, r.status])).toEqual([
      ["flowglad", "mirror", "delivered"],
      ["stripe", "primary", "delivered"],
    ]);
    expect(stripe.events()).toHaveLength(1);
    expect(flowglad.usageEvents()).toHaveLength(1);
  });

  it("delivers to the primary while the mirror is down, and to the mirror once it is back", async () => {
    const hub = await hubFor({ default: "stripe", mirror: ["flowglad"] });
    flowglad.inject("billing", { kind: "server_error" }, 3);
    await hub.record({ customerId: "acme", meter: "api_calls", quantity: 6, transactionId: "mr_down" });
    expect(await hub.outbox.drain()).toMatchObject({ delivered: 1, retryLater: 1 });
    expect((await outboxState(store)).map((r) => [r.provider, r.status, r.last_error_code])).toEqual([
      ["flowglad", "pending", "PROVIDER_UNAVAILABLE"],
      ["stripe", "delivered", null],
    ]);
    await makeDue(store);
    expect(await hub.outbox.drain()).toMatchObject({ delivered: 1 });
    expect(flowglad.usageEvents().map((e) => e.transactionId)).toEqual(["mr_down"]);
  });

  it("mirrors to Metronome while Stripe stays the primary, each delivery once", async () => {
    const hub = await hubFor({ default: "stripe", mirror: ["metronome"] });
    await hub.record({ customerId: "legacy_co", meter: "api_calls", quantity: 5, transactionId: "mr_metronome" });
    await hub.record({ customerId: "legacy_co", meter: "api_calls", quantity: 5, transactionId: "mr_metronome" });
    expect(await hub.outbox.drain()).toMatchObject({ claimed: 2, delivered: 2 });
    expect(stripe.events().map((e) => e.identifier)).toEqual(["mr_metronome"]);
    expect(metronome.events().map((e) => [e.transaction_id, e.customer_id, e.properties.quantity])).toEqual([["mr_metronome", "legacy_co", "5"]]);
  });

  it("mirrors to Orb while Metronome stays the primary, each delivery once, and a resend after a reply lost in transit counts once at Orb", async () => {
    const hub = await hubFor({ default: "metronome", mirror: ["orb"] });
    orb.inject("ingest", { kind: "reset_after_processing" });
    await hub.record({ customerId: "legacy_co", meter: "api_calls", quantity: 5, transactionId: "mr_orb" });
    expect(await hub.outbox.drain()).toMatchObject({ claimed: 2, delivered: 2 });
    expect(orb.calls("ingest")).toHaveLength(2);
    expect(metronome.events().map((e) => e.transaction_id)).toEqual(["mr_orb"]);
    expect(orb.events().map((e) => [e.idempotency_key, e.external_customer_id, e.properties.quantity])).toEqual([["mr_orb", "legacy_co", 5]]);
  });

  it("mirrors to Lago while Orb stays the primary, and a resend after a reply lost in transit is already delivered at Lago", async () => {
    const hub = await hubFor({ default: "orb", mirror: ["lago"] });
    lago.inject("batch", { kind: "reset_after_processing" });
    await hub.record({ customerId: "legacy_co", meter: "api_calls", quantity: 5, transactionId: "mr_lago" });
    expect(await hub.outbox.drain()).toMatchObject({ claimed: 2 });
    expect((await outboxState(store)).map((r) => [r.provider, r.status])).toEqual([
      ["lago", "delivered"],
      ["orb", "delivered"],
    ]);
    expect(orb.events().map((e) => e.idempotency_key)).toEqual(["mr_lago"]);
    expect(lago.events().map((e) => [e.transaction_id, e.external_subscription_id, e.properties.quantity])).toEqual([["mr_lago", "sub_legacy", "5"]]);
  });

  it("mirrors to OpenMeter while Stripe stays the primary, each delivery once", async () => {
    const hub = await hubFor({ default: "stripe", mirror: ["openmeter"] });
    await hub.record({ customerId: "legacy_co", meter: "api_calls", quantity: 5, transactionId: "mr_openmeter" });
    await hub.record({ customerId: "legacy_co", meter: "api_calls", quantity: 5, transactionId: "mr_openmeter" });
    expect(await hub.outbox.drain()).toMatchObject({ claimed: 2, delivered: 2 });
    expect(stripe.events().map((e) => e.identifier)).toEqual(["mr_openmeter"]);
    expect(openmeter.events().map((e) => [e.id, e.source, e.subject, e.data?.value])).toEqual([["mr_openmeter", "billhub", "legacy_co", "5"]]);
  });

  it("mirrors to Polar while Stripe stays the primary, each delivery once", async () => {
    const hub = await hubFor({ default: "stripe", mirror: ["polar"] });
    await hub.record({ customerId: "legacy_co", meter: "api_calls", quantity: 5, transactionId: "mr_polar" });
    await hub.record({ customerId: "legacy_co", meter: "api_calls", quantity: 5, transactionId: "mr_polar" });
    expect(await hub.outbox.drain()).toMatchObject({ claimed: 2, delivered: 2 });
    expect(stripe.events().map((e) => e.identifier)).toEqual(["mr_polar"]);
    expect(polar.events().map((e) => [e.external_id, e.external_customer_id, e.metadata?.quantity])).toEqual([["mr_polar", "legacy_co", 5]]);
  });

  it("delivers to the primary when the mirror refuses an event for good (a negative adjustment Flowglad cannot take)", async () => {
    const hub = await hubFor({ default: "stripe", mirror: ["flowglad"] });
    await hub.adjust({ customerId: "acme", meter: "api_calls", kind: "refund", quantity: 2, reason: "failed requests", transactionId: "mr_refund" });
    expect(await hub.outbox.drain()).toMatchObject({ delivered: 1, dead: 1 });
    expect(stripe.events().map((e) => [e.identifier, e.payload.value])).toEqual([["mr_refund", "-2"]]);
    expect((await outboxState(store)).find((r) => r.provider === "flowglad")).toMatchObject({ status: "dead", last_error_code: "PROVIDER_UNSUPPORTED" });
  });
});
