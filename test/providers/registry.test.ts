import { describe, expect, it } from "vitest";
import { parseConfig } from "../../src/config/load.ts";
import type { HubConfig } from "../../src/config/schema.ts";
import { createManualProvider } from "../../src/providers/manual/provider.ts";
import { createProviderRegistry } from "../../src/providers/registry.ts";
import type { BillingProvider } from "../../src/providers/types.ts";
import { thrownBillingError } from "../support/errors.ts";

const stripe = { secretKey: "sk_test_registry", meters: { api_calls: { eventName: "api_call" } } };
const flowglad = { secretKey: "sk_test_fg", baseUrl: "https://flowglad.test", meters: { api_calls: { usageMeterSlug: "api_calls" } } };

describe("provider registry", () => {
  it("routes everyone to the manual provider by default", () => {
    const registry = createProviderRegistry(parseConfig({}));
    const route = registry.routeFor("acme");
    expect(route.primary.id).toBe("manual");
    expect(route.primary.remote).toBe(false);
    expect(route.mirrors).toEqual([]);
    expect([...registry.providers.keys()]).toEqual(["manual"]);
  });

  it("routes customers to the default provider, listed customers to their own, and copies to mirrors", () => {
    const registry = createProviderRegistry(parseConfig({ provider: { default: "stripe", routes: { legacy_co: "flowglad" }, mirror: ["flowglad"] }, stripe, flowglad }));
    const acme = registry.routeFor("acme");
    expect(acme.primary.id).toBe("stripe");
    expect(acme.mirrors.map((p) => p.id)).toEqual(["flowglad"]);
    const legacy = registry.routeFor("legacy_co");
    expect(legacy.primary.id).toBe("flowglad");
    expect(legacy.mirrors).toEqual([]);
  });

  it("keeps a configured provider available for webhooks and catalog sync even when no usage is routed to it", () => {
    const registry = createProviderRegistry(parseConfig({ stripe, flowglad }));
    expect(registry.routeFor("acme").primary.id).toBe("manual");
    expect(registry.get("stripe").id).toBe("stripe");
    expect(registry.get("flowglad").pullCatalog).toBeTypeOf("function");
  });

  it("refuses an unconfigured or unknown id with UNKNOWN_PROVIDER naming the configured ones", () => {
    const registry = createProviderRegistry(parseConfig({ stripe }));
    const error = thrownBillingError(() => registry.get("paypal"));
    expect(error).toMatchObject({ code: "UNKNOWN_PROVIDER", details: { configured: ["manual", "stripe"] } });
    expect(thrownBillingError(() => registry.get("flowglad")).message).toContain("configured: manual, stripe");
  });

  it("uses a provider built elsewhere in place of the built-in one with its id", () => {
    const custom = { ...createManualProvider(), maxBatchSize: 7 } satisfies BillingProvider;
    const registry = createProviderRegistry(parseConfig({}), { providers: [custom] });
    expect(registry.routeFor("acme").primary.maxBatchSize).toBe(7);
  });

  it("fails at start-up on a duplicate or unknown provider id", () => {
    const manual = createManualProvider();
    expect(thrownBillingError(() => createProviderRegistry(parseConfig({}), { providers: [manual, manual] }))).toMatchObject({ code: "CONFIG_INVALID" });
    const paypal = { ...manual, id: "paypal" } as unknown as BillingProvider;
    const error = thrownBillingError(() => createProviderRegistry(parseConfig({}), { providers: [paypal] }));
    expect(error.code).toBe("CONFIG_INVALID");
    expect(error.message).toContain("valid: flowglad, lago, manual, metronome, openmeter, orb, polar, stripe");
  });

  it("fails at start-up when config routes to an unknown provider or one without its section", () => {
    const base = parseConfig({});
    const unknown = { ...base, provider: { ...base.provider, routes: { acme: "paypal" } } } as unknown as HubConfig;
    expect(thrownBillingError(() => createProviderRegistry(unknown))).toMatchObject({ code: "CONFIG_INVALID", field: "provider.routes.acme" });
    const unconfigured = { ...base, provider: { ...base.provider, mirror: ["stripe"] } } as HubConfig;
    expect(thrownBillingError(() => createProviderRegistry(unconfigured))).toMatchObject({ code: "CONFIG_INVALID", field: "stripe.secretKey" });
  });
});
