import { parseConfig } from "../../src/config/load.ts";
import { createFlowgladClient } from "../../src/providers/flowglad/client.ts";
import { createFlowgladProvider } from "../../src/providers/flowglad/provider.ts";
import { createLagoClient } from "../../src/providers/lago/client.ts";
import { createLagoProvider } from "../../src/providers/lago/provider.ts";
import { createManualProvider } from "../../src/providers/manual/provider.ts";
import { createMetronomeClient } from "../../src/providers/metronome/client.ts";
import { createMetronomeProvider } from "../../src/providers/metronome/provider.ts";
import { createOrbClient } from "../../src/providers/orb/client.ts";
import { createOrbProvider } from "../../src/providers/orb/provider.ts";
import { createOpenMeterClient } from "../../src/providers/openmeter/client.ts";
import { createOpenMeterProvider } from "../../src/providers/openmeter/provider.ts";
import { createPolarClient } from "../../src/providers/polar/client.ts";
import { createPolarProvider } from "../../src/providers/polar/provider.ts";
import { createStripeClient } from "../../src/providers/stripe/client.ts";
import { createStripeProvider } from "../../src/providers/stripe/provider.ts";
import { createFlowgladStandIn } from "../support/msw/flowglad.ts";
import { createLagoStandIn } from "../support/msw/lago.ts";
import { createMetronomeStandIn } from "../support/msw/metronome.ts";
import { createOrbStandIn } from "../support/msw/orb.ts";
import { createOpenMeterStandIn } from "../support/msw/openmeter.ts";
import { createPolarStandIn } from "../support/msw/polar.ts";
import { createStripeStandIn } from "../support/msw/stripe.ts";
import { NOW, usageEvent } from "../support/usage-events.ts";
import { describeProviderContract } from "./contract.ts";
import { useStandIns } from "../support/msw/use-stand-ins.ts";

const stripe = createStripeStandIn({ now: () => NOW });
const flowglad = createFlowgladStandIn({ baseUrl: "https://flowglad.test", now: () => NOW });
const metronome = createMetronomeStandIn({ baseUrl: "https://metronome.test", now: () => NOW });
const orb = createOrbStandIn({ baseUrl: "https://orb.test/v1", now: () => NOW, gracePeriodHours: 12 });
const lago = createLagoStandIn({ baseUrl: "https://lago.test/api/v1" });
const openmeter = createOpenMeterStandIn({ baseUrl: "https://openmeter.test" });
const polar = createPolarStandIn({ baseUrl: "https://polar.test" });
useStandIns(stripe, flowglad, metronome, orb, lago, openmeter, polar);

describeProviderContract("manual", () => ({
  provider: createManualProvider(),
  event: (overrides) => usageEvent(overrides),
  heldAtProvider: () => [],
}));

for (const mode of ["meter_events", "meter_event_stream"] as const) {
  describeProviderContract(`stripe (${mode})`, () => {
    const config = parseConfig({ provider: { default: "stripe" }, stripe: { secretKey: "sk_test_contract", mode, meters: { api_calls: { eventName: "api_call" } } } }).stripe!;
    const route = mode === "meter_events" ? "meter_events" : "meter_event_stream";
    return {
      provider: createStripeProvider({ client: createStripeClient(config), config, now: () => NOW }),
      event: (overrides) => usageEvent(overrides),
      heldAtProvider: () => stripe.events().map((event) => event.identifier),
      refusedEvent: () => usageEvent({ timestamp: new Date(NOW.getTime() - 40 * 86_400_000) }),
      injectRateLimit: (seconds) => stripe.inject(route, { kind: "rate_limit", retryAfter: String(seconds) }),
      injectConnectionReset: () => stripe.inject(route, { kind: "reset" }),
    };
  });
}

describeProviderContract("flowglad", () => {
  flowglad.addCustomer({ externalId: "acme", subscriptions: [{ id: "sub_acme" }] });
  const config = parseConfig({ provider: { default: "flowglad" }, flowglad: { secretKey: "sk_test_contract", baseUrl: "https://flowglad.test", meters: { api_calls: { usageMeterSlug: "api_calls" } } } }).flowglad!;
  return {
    provider: createFlowgladProvider({ client: createFlowgladClient(config), config, now: () => NOW }),
    event: (overrides) => usageEvent({ providerCustomerId: undefined, ...overrides }),
    heldAtProvider: () => flowglad.usageEvents().map((event) => event.transactionId),
    refusedEvent: () => usageEvent({ providerCustomerId: undefined, quantity: "-1" }),
    injectRateLimit: (seconds) => flowglad.inject("usage_bulk", { kind: "rate_limit", retryAfter: String(seconds) }),
    injectConnectionReset: () => flowglad.inject("usage_bulk", { kind: "reset" }),
  };
});

describeProviderContract("metronome", () => {
  const config = parseConfig({ provider: { default: "metronome" }, metronome: { secretKey: "mt_test_contract", baseUrl: "https://metronome.test", meters: { api_calls: { eventType: "api_call" } } } }).metronome!;
  return {
    provider: createMetronomeProvider({ client: createMetronomeClient(config), config, now: () => NOW }),
    event: (overrides) => usageEvent(overrides),
    heldAtProvider: () => metronome.events().map((event) => event.transaction_id),
    refusedEvent: () => usageEvent({ timestamp: new Date(NOW.getTime() - 40 * 86_400_000) }),
    injectRateLimit: (seconds) => metronome.inject("ingest", { kind: "rate_limit", retryAfter: String(seconds) }),
    injectConnectionReset: () => metronome.inject("ingest", { kind: "reset" }),
  };
});

describeProviderContract("orb", () => {
  const config = parseConfig({ provider: { default: "orb" }, orb: { secretKey: "orb_test_contract", baseUrl: "https://orb.test/v1", meters: { api_calls: { eventName: "api_call" } } } }).orb!;
  return {
    provider: createOrbProvider({ client: createOrbClient(config), config, now: () => NOW }),
    event: (overrides) => usageEvent(overrides),
    heldAtProvider: () => orb.events().map((event) => event.idempotency_key),
    // Older than the account's grace period: Orb refuses it, and it ends as USAGE_TOO_OLD.
    refusedEvent: () => usageEvent({ timestamp: new Date(NOW.getTime() - 13 * 3_600_000) }),
    injectRateLimit: (seconds) => orb.inject("ingest", { kind: "rate_limit", retryAfter: String(seconds) }),
    injectConnectionReset: () => orb.inject("ingest", { kind: "reset" }),
  };
});

describeProviderContract("lago", () => {
  lago.putSubscription({ externalId: "sub_acme", externalCustomerId: "cus_acme", planCode: "pro" });
  const config = parseConfig({ provider: { default: "lago" }, lago: { secretKey: "lago_test_contract", baseUrl: "https://lago.test/api/v1", meters: { api_calls: { code: "api_calls" } } } }).lago!;
  return {
    provider: createLagoProvider({ client: createLagoClient(config), config, now: () => NOW }),
    event: (overrides) => usageEvent(overrides),
    heldAtProvider: () => lago.events().map((event) => event.transaction_id),
    refusedEvent: () => usageEvent({ quantity: "-1" }),
    injectRateLimit: (seconds) => lago.inject("batch", { kind: "rate_limit", retryAfter: String(seconds) }),
    injectConnectionReset: () => lago.inject("batch", { kind: "reset" }),
  };
});

describeProviderContract("openmeter", () => {
  const config = parseConfig({ provider: { default: "openmeter" }, openmeter: { secretKey: "om_test_contract", baseUrl: "https://openmeter.test", meters: { api_calls: { eventType: "api_call" } } } }).openmeter!;
  return {
    provider: createOpenMeterProvider({ client: createOpenMeterClient(config), config, now: () => NOW }),
    event: (overrides) => usageEvent(overrides),
    heldAtProvider: () => openmeter.events().map((event) => event.id),
    refusedEvent: () => usageEvent({ quantity: "-1" }),
    injectRateLimit: (seconds) => openmeter.inject("ingest", { kind: "rate_limit", retryAfter: String(seconds) }),
    injectConnectionReset: () => openmeter.inject("ingest", { kind: "reset" }),
  };
});

describeProviderContract("polar", () => {
  const config = parseConfig({ provider: { default: "polar" }, polar: { secretKey: "polar_oat_contract", baseUrl: "https://polar.test", meters: { api_calls: { eventName: "api_call" } } } }).polar!;
  return {
    provider: createPolarProvider({ client: createPolarClient(config), config, now: () => NOW }),
    event: (overrides) => usageEvent(overrides),
    heldAtProvider: () => polar.events().map((event) => event.external_id!),
    refusedEvent: () => usageEvent({ quantity: "-1" }),
    injectRateLimit: (seconds) => polar.inject("ingest", { kind: "rate_limit", retryAfter: String(seconds) }),
    injectConnectionReset: () => polar.inject("ingest", { kind: "reset" }),
  };
});
