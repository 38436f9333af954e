import { describe, expect, it } from "vitest";
import { parseConfig } from "../../../src/config/load.ts";
import { BillingError } from "../../../src/core/errors.ts";
import { createFlowgladClient } from "../../../src/providers/flowglad/client.ts";
import { createFlowgladProvider } from "../../../src/providers/flowglad/provider.ts";
import { createFlowgladStandIn } from "../../support/msw/flowglad.ts";
import { NOW, usageEvent } from "../../support/usage-events.ts";
import { useStandIns } from "../../support/msw/use-stand-ins.ts";

const BASE = "https://flowglad.test";
const flowglad = createFlowgladStandIn({ baseUrl: BASE, now: () => NOW, pricingModel: { id: "pm_live", meters: [{ id: "um_api_calls", slug: "api_calls", priceSlug: "api_calls_overage" }] } });
useStandIns(flowglad);

function provider() {
  const config = parseConfig({ provider: { default: "flowglad" }, flowglad: { secretKey: "sk_test_fg", baseUrl: BASE, meters: { api_calls: { usageMeterSlug: "api_calls" } } } }).flowglad!;
  return createFlowgladProvider({ client: createFlowgladClient(config), config, now: () => NOW });
}

async function rejection(promise: Promise<unknown>): Promise<BillingError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof BillingError) return error;
    throw error;
  }
  throw new Error("expected a BillingError");
}

describe("Flowglad catalog pull", () => {
  it("returns the default pricing model as plain data: products with prices and features, usage meters with their prices", async () => {
    const catalog = await provider().pullCatalog();
    expect(catalog.provider).toBe("flowglad");
    const model = catalog.pricingModel;
    expect(model).toMatchObject({ id: "pm_live", name: "Default pricing model", isDefault: true, livemode: false, updatedAt: new Date("2026-01-01T00:00:00.000Z") });
    expect(model.products).toEqual([
      {
        id: "prod_pro",
        slug: "pro",
        name: "Pro",
        active: true,
        isDefault: false,
        prices: [
          {
            id: "price_pro_monthly",
            slug: "pro_monthly",
            name: "Pro monthly",
            type: "subscription",
            active: true,
            isDefault: true,
            currency: "USD",
            unitPrice: 2900,
            intervalUnit: "month",
            intervalCount: 1,
            usageEventsPerUnit: null,
            usageMeterId: null,
            productId: "prod_pro",
          },
        ],
        features: [{ id: "feat_api_credits", slug: "api_credits", name: "API credits", type: "usage_credit_grant", amount: 10_000, usageMeterId: "um_api_calls", renewalFrequency: "every_billing_period" }],
      },
    ]);
    expect(model.usageMeters).toHaveLength(1);
    expect(model.usageMeters[0]).toMatchObject({ id: "um_api_calls", slug: "api_calls", aggregationType: "sum", prices: [{ slug: "api_calls_overage", type: "usage", unitPrice: 1, usageEventsPerUnit: 100, usageMeterId: "um_api_calls" }] });
  });

  it("reports an outage as retryable PROVIDER_UNAVAILABLE", async () => {
    flowglad.inject("pricing_model", { kind: "server_error" });
    expect(await rejection(provider().pullCatalog())).toMatchObject({ code: "PROVIDER_UNAVAILABLE", retryable: true });
  });

  it("refuses a response it cannot read with PROVIDER_REJECTED naming the field", async () => {
    flowglad.inject("pricing_model", { kind: "response", status: 200, body: { pricingModel: { id: "pm_1", name: "x", isDefault: true, livemode: false, updatedAt: 0, products: [], usageMeters: [{ id: "um_1" }] } } });
    const error = await rejection(provider().pullCatalog());
    expect(error.code).toBe("PROVIDER_REJECTED");
    expect(error.message).toContain("usageMeters.0.slug");
  });
});

describe("Flowglad customer billing", () => {
  it("returns the customer, pricing model and current subscriptions with periods, items and meter balances", async () => {
    flowglad.addCustomer({ externalId: "acme", id: "cust_1", subscriptions: [{ id: "sub_1", meterIds: ["um_api_calls"], balances: ["api_calls"] }] });
    const billing = await provider().getCustomerBilling("acme");
    expect(billing.customer).toEqual({ id: "cust_1", externalId: "acme", email: "acme@example.com", name: "acme" });
    expect(billing.pricingModel.id).toBe("pm_live");
    expect(billing.currentSubscriptions).toEqual([
      {
        id: "sub_1",
        status: "active",
        priceId: "price_pro_monthly",
        current: true,
        currentBillingPeriodStart: new Date("2026-03-01T00:00:00.000Z"),
        currentBillingPeriodEnd: new Date("2026-04-01T00:00:00.000Z"),
        trialEnd: null,
        items: [
          { id: "si_sub_1_pro", priceId: "price_pro_monthly", priceSlug: "pro_monthly", usageMeterId: null, quantity: 1 },
          { id: "si_sub_1_um_api_calls", priceId: "price_um_api_calls", priceSlug: null, usageMeterId: "um_api_calls", quantity: 1 },
        ],
        usageMeterBalances: [{ slug: "api_calls", availableBalance: 10_000 }],
      },
    ]);
  });

  it("maps Flowglad's NOT_FOUND for an unknown customer to PROVIDER_NOT_FOUND", async () => {
    expect(await rejection(provider().getCustomerBilling("nobody"))).toMatchObject({ code: "PROVIDER_NOT_FOUND", retryable: false, details: { flowgladCode: "NOT_FOUND" } });
  });

  it("fetches fresh billing on every call and hands it to usage sending, which then needs no fetch of its own", async () => {
    flowglad.addCustomer({ externalId: "acme", subscriptions: [{ id: "sub_1" }] });
    const flowgladProvider = provider();
    await flowgladProvider.getCustomerBilling("acme");
    flowglad.addCustomer({ externalId: "acme", subscriptions: [{ id: "sub_2" }] });
    await flowgladProvider.getCustomerBilling("acme");
    await flowgladProvider.pushUsage([usageEvent({ customerId: "acme", providerCustomerId: undefined })]);
    expect(flowglad.calls("billing")).toHaveLength(2);
    expect(flowglad.usageEvents()[0]!.subscriptionId).toBe("sub_2");
  });

  it("forgets cached billing when told the customer changed", async () => {
    flowglad.addCustomer({ externalId: "acme", subscriptions: [{ id: "sub_1" }] });
    const flowgladProvider = provider();
    await flowgladProvider.pushUsage([usageEvent({ customerId: "acme", providerCustomerId: undefined })]);
    flowglad.addCustomer({ externalId: "acme", subscriptions: [{ id: "sub_2" }] });
    flowgladProvider.invalidateCustomer("acme");
    await flowgladProvider.pushUsage([usageEvent({ customerId: "acme", providerCustomerId: undefined })]);
    expect(flowglad.usageEvents().map((e) => e.subscriptionId)).toEqual(["sub_1", "sub_2"]);
  });
});
