import { describe, expect, it } from "vitest";
import { parseConfig } from "../../src/config/load.ts";
import { checkMeterMappings } from "../../src/config/meter-mappings.ts";
import type { HubConfigInput } from "../../src/config/schema.ts";
import { defineCatalog, type CatalogInput } from "../../src/core/catalog/index.ts";
import { createHub } from "../../src/hub.ts";
import { thrownBillingError } from "../support/errors.ts";
import { openTestStore } from "../support/store.ts";

/** Pro charges for API calls and storage; `seats_used` only limits a feature, no plan charges for it. */
const CATALOG = {
  currency: "USD",
  meters: { api_calls: { aggregation: "sum" }, storage_gb: { aggregation: "max" }, seats_used: { aggregation: "max" } },
  features: { api: { type: "metered", meter: "api_calls" }, seats: { type: "metered", meter: "seats_used" } },
  plans: {
    free: { name: "Free", features: { api: 1000, seats: 1 } },
    pro: {
      name: "Pro",
      features: { api: null, seats: 10 },
      charges: [
        { key: "api", meter: "api_calls", model: "per_unit", unitAmount: "0.1" },
        { key: "storage", meter: "storage_gb", model: "per_unit", unitAmount: 25 },
      ],
    },
  },
  defaultPlan: "free",
} satisfies CatalogInput;
const catalog = defineCatalog(CATALOG);

const STRIPE_METERS = { api_calls: { eventName: "api_call" }, storage_gb: { eventName: "storage_gb" } };
const FLOWGLAD_METERS = { api_calls: { usageMeterSlug: "api_calls" }, storage_gb: { usageMeterSlug: "storage_gb" } };

function check(input: HubConfigInput, options: { ownInvoiceHandler?: boolean } = {}): void {
  checkMeterMappings(parseConfig({ catalog: CATALOG, ...input }), catalog, options);
}

describe("meter mappings must name catalog meters", () => {
  it("refuses a Stripe mapping key the catalog does not declare, naming the key and the valid meters", () => {
    const error = thrownBillingError(() => check({ stripe: { secretKey: "sk_test_1", meters: { ...STRIPE_METERS, api_call: { eventName: "api_call" } } } }));
    expect(error.code).toBe("CONFIG_INVALID");
    expect(error.field).toBe("stripe.meters.api_call");
    expect(error.message).toBe('Invalid configuration: stripe.meters.api_call names no meter of the catalog: "api_call"; meters: api_calls, seats_used, storage_gb');
  });

  it("refuses a Flowglad mapping key the catalog does not declare, also when no usage goes to Flowglad yet", () => {
    const error = thrownBillingError(() => check({ flowglad: { secretKey: "sk_fg", meters: { storage: { usageMeterSlug: "storage" } } } }));
    expect(error.field).toBe("flowglad.meters.storage");
    expect(error.message).toContain("meters: api_calls, seats_used, storage_gb");
  });

  it("says that no catalog is configured when mappings are given without one", () => {
    const config = parseConfig({ stripe: { secretKey: "sk_test_1", meters: { api_calls: { eventName: "api_call" } } } });
    const error = thrownBillingError(() => checkMeterMappings(config, defineCatalog({ currency: "USD", plans: { default: { name: "Default" } }, defaultPlan: "default" })));
    expect(error.field).toBe("stripe.meters.api_calls");
    expect(error.message).toContain("meters: (none declared) (no catalog is configured: set catalog or BILLHUB_CATALOG)");
  });

  it("reports the first problem and counts the rest, each listed in details", () => {
    const error = thrownBillingError(() => check({ stripe: { secretKey: "sk_test_1", meters: { ...STRIPE_METERS, a: { eventName: "a" }, b: { eventName: "b" } } } }));
    expect(error.message).toContain("(and 1 more problem(s))");
    expect((error.details?.issues as { field: string }[]).map((issue) => issue.field)).toEqual(["stripe.meters.a", "stripe.meters.b"]);
  });
});

describe("meters a plan charges for must be billed by the provider their usage goes to", () => {
  it("refuses a charged meter that Stripe receives usage of but that has no mapping and no invoice items, naming the key, the charge and the fix", () => {
    const error = thrownBillingError(() => check({ provider: { default: "stripe" }, stripe: { secretKey: "sk_test_1", meters: { api_calls: { eventName: "api_call" } } } }));
    expect(error.code).toBe("CONFIG_INVALID");
    expect(error.field).toBe("stripe.meters.storage_gb");
    expect(error.message).toBe(
      'Invalid configuration: stripe.meters.storage_gb is missing: plan "pro" charges for meter "storage_gb" (charge "storage") and usage goes to stripe, but nothing would bill it. ' +
        'Add stripe.meters.storage_gb = { "eventName": "<Stripe meter event_name>" } or bill it as Stripe invoice items (stripe.invoiceItems = { "enabled": true }); mapped: api_calls',
    );
  });

  it("accepts a Stripe meter left out of stripe.meters when billhub bills its charges as invoice items", () => {
    expect(() => check({ provider: { default: "stripe" }, stripe: { secretKey: "sk_test_1", meters: { api_calls: { eventName: "api_call" } }, invoiceItems: { enabled: true } } })).not.toThrow();
    expect(() => check({ provider: { default: "stripe" }, stripe: { secretKey: "sk_test_1", meters: { api_calls: { eventName: "api_call" } }, invoiceItems: { enabled: true, charges: ["storage"] } } })).not.toThrow();
  });

  it("refuses an unmapped Stripe meter whose charge the configured invoice-item charges leave out", () => {
    const error = thrownBillingError(() =>
      check({ provider: { default: "stripe" }, stripe: { secretKey: "sk_test_1", meters: { api_calls: { eventName: "api_call" } }, invoiceItems: { enabled: true, charges: ["api"] } } }),
    );
    expect(error.field).toBe("stripe.meters.storage_gb");
    expect(error.message).toContain('or add "storage" to stripe.invoiceItems.charges');
  });

  it("accepts unmapped Stripe meters when the caller bills invoices with its own onInvoiceCreated handler", () => {
    expect(() => check({ provider: { default: "stripe" }, stripe: { secretKey: "sk_test_1", meters: {} } }, { ownInvoiceHandler: true })).not.toThrow();
  });

  it("refuses a charged meter without a Flowglad mapping when a route sends usage to Flowglad, whatever Stripe's invoice items bill", () => {
    const error = thrownBillingError(() =>
      check({
        provider: { default: "stripe", routes: { cus_fg: "flowglad" } },
        stripe: { secretKey: "sk_test_1", meters: {}, invoiceItems: { enabled: true } },
        flowglad: { secretKey: "sk_fg", meters: { api_calls: { usageMeterSlug: "api_calls" } } },
      }),
    );
    expect(error.field).toBe("flowglad.meters.storage_gb");
    expect(error.message).toContain('Add flowglad.meters.storage_gb = { "usageMeterSlug": "<Flowglad usage meter slug>" } or { "priceSlug": "<Flowglad usage price slug>" }');
  });

  it("holds a mirror to the same rule, since it is the provider a migration moves to", () => {
    const error = thrownBillingError(() => check({ provider: { mirror: ["flowglad"] }, flowglad: { secretKey: "sk_fg", meters: { api_calls: { usageMeterSlug: "api_calls" } } } }));
    expect(error.field).toBe("flowglad.meters.storage_gb");
  });

  it("needs no mapping for a meter no plan charges for, nor for a provider no usage goes to", () => {
    expect(() => check({ provider: { default: "stripe" }, stripe: { secretKey: "sk_test_1", meters: STRIPE_METERS } })).not.toThrow();
    expect(() => check({ stripe: { secretKey: "sk_test_1", meters: {} }, flowglad: { secretKey: "sk_fg" } })).not.toThrow();
  });
});

describe("createHub checks meter mappings at start-up", () => {
  it("refuses to start with a typo in a mapping key", async () => {
    await expect(
      createHub({ catalog: CATALOG, store: { dataDir: "memory://" }, provider: { default: "stripe" }, stripe: { secretKey: "sk_test_1", meters: { ...STRIPE_METERS, apicalls: { eventName: "api_call" } } } }),
    ).rejects.toMatchObject({ code: "CONFIG_INVALID", field: "stripe.meters.apicalls", message: expect.stringContaining("meters: api_calls, seats_used, storage_gb") });
  });

  it("refuses to start when a charged meter would go unbilled", async () => {
    await expect(createHub({ catalog: CATALOG, store: { dataDir: "memory://" }, provider: { default: "flowglad" }, flowglad: { secretKey: "sk_fg", meters: {} } })).rejects.toMatchObject({
      code: "CONFIG_INVALID",
      field: "flowglad.meters.api_calls",
    });
  });

  it("starts with every charged meter mapped for each provider usage goes to", async () => {
    const store = await openTestStore();
    try {
      const hub = await createHub(
        {
          catalog: CATALOG,
          provider: { default: "stripe", mirror: ["flowglad"] },
          stripe: { secretKey: "sk_test_1", meters: STRIPE_METERS },
          flowglad: { secretKey: "sk_fg", meters: FLOWGLAD_METERS },
        },
        { store },
      );
      expect(Object.keys(hub.config.stripe!.meters)).toEqual(["api_calls", "storage_gb"]);
      await hub.close();
    } finally {
      await store.cleanup();
    }
  });
});
