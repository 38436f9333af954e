import { describe, expect, it } from "vitest";
import { parseConfig } from "../../src/config/load.ts";
import type { HubConfigInput, ProviderId } from "../../src/config/schema.ts";
import { createProviderRegistry, type ProviderRegistry } from "../../src/providers/registry.ts";
import type { CustomerRef, ProviderUsageEvent, PushOutcome } from "../../src/providers/types.ts";
import { createFlowgladStandIn } from "../support/msw/flowglad.ts";
import { createLagoStandIn } from "../support/msw/lago.ts";
import { createOrbStandIn } from "../support/msw/orb.ts";
import { createOpenMeterStandIn } from "../support/msw/openmeter.ts";
import { createPolarStandIn } from "../support/msw/polar.ts";
import { createStripeStandIn } from "../support/msw/stripe.ts";
import { NOW, usageEvent } from "../support/usage-events.ts";
import { useStandIns } from "../support/msw/use-stand-ins.ts";

const stripe = createStripeStandIn({ now: () => NOW });
const flowglad = createFlowgladStandIn({ baseUrl: "https://flowglad.test", now: () => NOW });
const orb = createOrbStandIn({ baseUrl: "https://orb.test/v1", now: () => NOW });
const lago = createLagoStandIn({ baseUrl: "https://lago.test/api/v1" });
const openmeter = createOpenMeterStandIn({ baseUrl: "https://openmeter.test" });
const polar = createPolarStandIn({ baseUrl: "https://polar.test" });
useStandIns(stripe, flowglad, orb, lago, openmeter, polar);

/** Config the way an operator writes it: both providers set up, `provider` says where usage goes. */
function config(provider: HubConfigInput["provider"]): HubConfigInput {
  return {
    provider,
    stripe: { secretKey: "sk_test_switch", meters: { api_calls: { eventName: "api_call" } } },
    flowglad: { secretKey: "sk_test_switch", baseUrl: "https://flowglad.test", meters: { api_calls: { usageMeterSlug: "api_calls" } } },
    orb: { secretKey: "orb_test_switch", baseUrl: "https://orb.test/v1", meters: { api_calls: { eventName: "api_call" } } },
    lago: { secretKey: "lago_test_switch", baseUrl: "https://lago.test/api/v1", meters: { api_calls: { code: "api_calls" } } },
    openmeter: { secretKey: "om_test_switch", baseUrl: "https://openmeter.test", meters: { api_calls: { eventType: "api_call" } } },
    polar: { secretKey: "polar_oat_switch", baseUrl: "https://polar.test", meters: { api_calls: { eventName: "api_call" } } },
  };
}

const customers: Record<string, CustomerRef> = {
  acme: { id: "acme", providerIds: { stripe: "cus_acme" } },
  legacy_co: { id: "legacy_co", providerIds: { stripe: "cus_legacy", flowglad: "legacy-co", orb: "legacy-co-ext", lago: "legacy-co-lago", openmeter: "subject-legacy" } },
};

/** What the hub does for one recorded event: route it, name the customer per provider, push. */
async function deliver(registry: ProviderRegistry, customerId: string, quantity: string): Promise<Map<ProviderId, PushOutcome>> {
  const route = registry.routeFor(customerId);
  const results = new Map<ProviderId, PushOutcome>();
  const base = usageEvent({ customerId, quantity });
  for (const provider of [route.primary, ...route.mirrors]) {
    const event: ProviderUsageEvent = { ...base, providerCustomerId: provider.customerIdFor(customers[customerId]!) };
    const [outcome] = await provider.pushUsage([event]);
    results.set(provider.id, outcome!);
  }
  return results;
}

describe("switching provider by config alone", () => {
  const scenario = async (provider: ProviderId) => {
    flowglad.addCustomer({ externalId: "acme", subscriptions: [{ id: "sub_acme" }] });
    lago.putSubscription({ externalId: "sub_acme_lago", externalCustomerId: "acme", planCode: "pro" });
    const registry = createProviderRegistry(parseConfig(config({ default: provider })), { now: () => NOW });
    const outcomes = [await deliver(registry, "acme", "3"), await deliver(registry, "acme", "4")];
    return {
      statuses: outcomes.map((o) => o.get(provider)?.status),
      atStripe: stripe.events().map((e) => `${e.payload.stripe_customer_id}:${e.payload.value}`),
      atFlowglad: flowglad.usageEvents().map((e) => `${e.subscriptionId}:${e.amount}`),
      atOrb: orb.events().map((e) => `${e.external_customer_id}:${String(e.properties.quantity)}`),
      atLago: lago.events().map((e) => `${e.external_subscription_id}:${String(e.properties.quantity)}`),
      atOpenMeter: openmeter.events().map((e) => `${e.subject}:${String(e.data?.value)}`),
      atPolar: polar.events().map((e) => `${e.external_customer_id}:${String(e.metadata?.quantity)}`),
    };
  };

  it("sends the usage to Stripe when provider is stripe", async () => {
    expect(await scenario("stripe")).toEqual({ statuses: ["delivered", "delivered"], atStripe: ["cus_acme:3", "cus_acme:4"], atFlowglad: [], atOrb: [], atLago: [], atOpenMeter: [], atPolar: [] });
  });

  it("sends the same usage to Flowglad when provider is flowglad", async () => {
    expect(await scenario("flowglad")).toEqual({ statuses: ["delivered", "delivered"], atStripe: [], atFlowglad: ["sub_acme:3", "sub_acme:4"], atOrb: [], atLago: [], atOpenMeter: [], atPolar: [] });
  });

  it("sends the same usage to Orb when provider is orb, naming the customer by external_customer_id", async () => {
    expect(await scenario("orb")).toEqual({ statuses: ["delivered", "delivered"], atStripe: [], atFlowglad: [], atOrb: ["acme:3", "acme:4"], atLago: [], atOpenMeter: [], atPolar: [] });
  });

  it("sends the same usage to Lago when provider is lago, attached to the customer's active subscription", async () => {
    expect(await scenario("lago")).toEqual({ statuses: ["delivered", "delivered"], atStripe: [], atFlowglad: [], atOrb: [], atLago: ["sub_acme_lago:3", "sub_acme_lago:4"], atOpenMeter: [], atPolar: [] });
  });

  it("sends the same usage to OpenMeter when provider is openmeter", async () => {
    expect(await scenario("openmeter")).toEqual({ statuses: ["delivered", "delivered"], atStripe: [], atFlowglad: [], atOrb: [], atLago: [], atOpenMeter: ["acme:3", "acme:4"], atPolar: [] });
  });

  it("sends the same usage to Polar when provider is polar", async () => {
    expect(await scenario("polar")).toEqual({ statuses: ["delivered", "delivered"], atStripe: [], atFlowglad: [], atOrb: [], atLago: [], atOpenMeter: [], atPolar: ["acme:3", "acme:4"] });
  });

  it("keeps the same usage in billhub when provider is manual", async () => {
    expect(await scenario("manual")).toEqual({ statuses: ["delivered", "delivered"], atStripe: [], atFlowglad: [], atOrb: [], atLago: [], atOpenMeter: [], atPolar: [] });
  });
});

describe("routing and mirrors during a migration", () => {
  it("keeps a legacy customer on their own provider while everyone else goes to the default", async () => {
    flowglad.addCustomer({ externalId: "legacy-co", subscriptions: [{ id: "sub_legacy" }] });
    const registry = createProviderRegistry(parseConfig(config({ default: "stripe", routes: { legacy_co: "flowglad" } })), { now: () => NOW });
    await deliver(registry, "acme", "2");
    await deliver(registry, "legacy_co", "5");
    expect(stripe.events().map((e) => e.payload.stripe_customer_id)).toEqual(["cus_acme"]);
    expect(flowglad.usageEvents().map((e) => e.subscriptionId)).toEqual(["sub_legacy"]);
  });

  it("copies every event to the mirror as well as the primary", async () => {
    flowglad.addCustomer({ externalId: "acme", subscriptions: [{ id: "sub_acme" }] });
    const registry = createProviderRegistry(parseConfig(config({ default: "stripe", mirror: ["flowglad"] })), { now: () => NOW });
    const outcomes = await deliver(registry, "acme", "6");
    expect([...outcomes.entries()].map(([id, o]) => [id, o.status])).toEqual([
      ["stripe", "delivered"],
      ["flowglad", "delivered"],
    ]);
    expect(stripe.events()).toHaveLength(1);
    expect(flowglad.usageEvents()).toHaveLength(1);
  });

  it("delivers to the primary when the mirror fails: the mirror's failure is its own outcome", async () => {
    flowglad.addCustomer({ externalId: "acme", subscriptions: [{ id: "sub_acme" }] });
    flowglad.inject("billing", { kind: "server_error" });
    const registry = createProviderRegistry(parseConfig(config({ default: "stripe", mirror: ["flowglad"] })), { now: () => NOW });
    const outcomes = await deliver(registry, "acme", "6");
    expect(outcomes.get("stripe")?.status).toBe("delivered");
    expect(outcomes.get("flowglad")?.status).toBe("retryable");
    expect(stripe.events()).toHaveLength(1);
  });

  it("mirrors to Orb during a move from Stripe, each customer named by their own Orb external id", async () => {
    const registry = createProviderRegistry(parseConfig(config({ default: "stripe", mirror: ["orb"] })), { now: () => NOW });
    await deliver(registry, "acme", "2");
    await deliver(registry, "legacy_co", "5");
    expect(stripe.events().map((e) => `${e.payload.stripe_customer_id}:${e.payload.value}`)).toEqual(["cus_acme:2", "cus_legacy:5"]);
    expect(orb.events().map((e) => `${e.external_customer_id}:${String(e.properties.quantity)}`)).toEqual(["acme:2", "legacy-co-ext:5"]);
  });

  it("routes a customer to Orb while the default stays Stripe", async () => {
    const registry = createProviderRegistry(parseConfig(config({ default: "stripe", routes: { legacy_co: "orb" } })), { now: () => NOW });
    await deliver(registry, "acme", "1");
    await deliver(registry, "legacy_co", "7");
    expect(stripe.events().map((e) => e.payload.stripe_customer_id)).toEqual(["cus_acme"]);
    expect(orb.events().map((e) => e.external_customer_id)).toEqual(["legacy-co-ext"]);
  });

  it("mirrors to Lago during a move from Orb, each customer's usage on their own Lago subscription", async () => {
    lago.putSubscription({ externalId: "sub_acme_lago", externalCustomerId: "acme", planCode: "pro" });
    lago.putSubscription({ externalId: "sub_legacy_lago", externalCustomerId: "legacy-co-lago", planCode: "pro" });
    const registry = createProviderRegistry(parseConfig(config({ default: "orb", mirror: ["lago"] })), { now: () => NOW });
    await deliver(registry, "acme", "2");
    await deliver(registry, "legacy_co", "5");
    expect(orb.events().map((e) => `${e.external_customer_id}:${String(e.properties.quantity)}`)).toEqual(["acme:2", "legacy-co-ext:5"]);
    expect(lago.events().map((e) => `${e.external_subscription_id}:${String(e.properties.quantity)}`)).toEqual(["sub_acme_lago:2", "sub_legacy_lago:5"]);
  });

  it("routes a customer to OpenMeter under their subject and mirrors everyone else's usage there", async () => {
    const registry = createProviderRegistry(parseConfig(config({ default: "stripe", routes: { legacy_co: "openmeter" }, mirror: ["openmeter"] })), { now: () => NOW });
    const acme = await deliver(registry, "acme", "2");
    const legacy = await deliver(registry, "legacy_co", "5");
    expect([[...acme.keys()], [...legacy.keys()]]).toEqual([["stripe", "openmeter"], ["openmeter"]]);
    expect(stripe.events().map((e) => e.payload.stripe_customer_id)).toEqual(["cus_acme"]);
    expect(openmeter.events().map((e) => `${e.subject}:${String(e.data?.value)}`)).toEqual(["acme:2", "subject-legacy:5"]);
  });

  it("mirrors every event to Polar during a migration from Stripe, each delivery once", async () => {
    const registry = createProviderRegistry(parseConfig(config({ default: "stripe", mirror: ["polar"] })), { now: () => NOW });
    const outcomes = await deliver(registry, "acme", "6");
    expect([...outcomes.entries()].map(([id, o]) => [id, o.status])).toEqual([
      ["stripe", "delivered"],
      ["polar", "delivered"],
    ]);
    expect(polar.events().map((e) => [e.external_customer_id, e.metadata?.quantity])).toEqual([["acme", 6]]);
  });

  it("never mirrors a customer's usage to their own primary twice", async () => {
    flowglad.addCustomer({ externalId: "legacy-co", subscriptions: [{ id: "sub_legacy" }] });
    const registry = createProviderRegistry(parseConfig(config({ default: "stripe", routes: { legacy_co: "flowglad" }, mirror: ["flowglad"] })), { now: () => NOW });
    const outcomes = await deliver(registry, "legacy_co", "1");
    expect([...outcomes.keys()]).toEqual(["flowglad"]);
    expect(flowglad.usageEvents()).toHaveLength(1);
  });
});
