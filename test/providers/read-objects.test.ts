import { describe, expect, it } from "vitest";
import { parseConfig } from "../../src/config/load.ts";
import { createFlowgladClient } from "../../src/providers/flowglad/client.ts";
import { createFlowgladProvider } from "../../src/providers/flowglad/provider.ts";
import { createStripeClient } from "../../src/providers/stripe/client.ts";
import { createStripeProvider } from "../../src/providers/stripe/provider.ts";
import { createFlowgladStandIn } from "../support/msw/flowglad.ts";
import { createStripeStandIn } from "../support/msw/stripe.ts";
import { NOW } from "../support/usage-events.ts";
import { stripePrice, stripeSubscription } from "../support/webhooks.ts";
import { useStandIns } from "../support/msw/use-stand-ins.ts";

const FLOWGLAD = "https://flowglad.test";
const stripe = createStripeStandIn({ now: () => NOW, secretKey: "sk_test_read" });
const flowglad = createFlowgladStandIn({ baseUrl: FLOWGLAD, now: () => NOW });
useStandIns(stripe, flowglad);

function stripeProvider(secretKey = "sk_test_read") {
  const config = parseConfig({ stripe: { secretKey } }).stripe!;
  return createStripeProvider({ client: createStripeClient(config), config, now: () => NOW });
}

function flowgladProvider() {
  const config = parseConfig({ flowglad: { secretKey: "sk_test_fg", baseUrl: FLOWGLAD } }).flowglad!;
  return createFlowgladProvider({ client: createFlowgladClient(config), config, now: () => NOW });
}

describe("Stripe: re-reading objects through the SDK", () => {
  it("reads a price with expand: [\"tiers\"], keeping the SDK's Stripe.Decimal amounts exact", async () => {
    const tiers = [
      { up_to: 10, unit_amount: null, unit_amount_decimal: "0.125", flat_amount: 100, flat_amount_decimal: "100" },
      { up_to: null, unit_amount: null, unit_amount_decimal: "0.0625", flat_amount: null, flat_amount_decimal: null },
    ];
    stripe.putObject("price", { ...stripePrice({ id: "price_tiered", billing_scheme: "tiered", tiers_mode: "volume", unit_amount_decimal: null }), tiers });
    const price = await stripeProvider().readObject("price", "price_tiered");
    expect(price?.tiers).toEqual([
      { upTo: 10, unitAmountDecimal: "0.125", flatAmountDecimal: "100" },
      { upTo: null, unitAmountDecimal: "0.0625", flatAmountDecimal: null },
    ]);
    expect(price).toMatchObject({ id: "price_tiered", billingScheme: "tiered", tiersMode: "volume", lookupKey: "api_calls", productId: "prod_api" });
  });

  it("reads a subscription with its items' prices, lookup keys, products and periods", async () => {
    const periodStart = new Date("2026-03-01T00:00:00Z");
    const periodEnd = new Date("2026-04-01T00:00:00Z");
    stripe.putObject("subscription", stripeSubscription({ id: "sub_read", customer: "cus_read", status: "past_due", prices: [stripePrice({ lookup_key: "pro_monthly", metadata: { billhub_plan: "pro" } })], periodStart, periodEnd }));
    expect(await stripeProvider().readObject("subscription", "sub_read")).toEqual({
      id: "sub_read",
      providerCustomerId: "cus_read",
      status: "past_due",
      trialEndsAt: null,
      cancelAtPeriodEnd: false,
      items: [{ id: "si_sub_read_0", priceId: "price_api_v1", lookupKey: "pro_monthly", productId: "prod_api", priceMetadata: { billhub_plan: "pro" }, quantity: 1, currentPeriodStart: periodStart, currentPeriodEnd: periodEnd }],
    });
  });

  it("reads an object Stripe does not have (404 resource_missing) as null", async () => {
    expect(await stripeProvider().readObject("price", "price_missing")).toBeNull();
    expect(await stripeProvider().readObject("product", "prod_missing")).toBeNull();
  });

  it("maps outages to retryable errors and a refused key to PROVIDER_AUTH_FAILED", async () => {
    stripe.inject("retrieve_subscription", { kind: "server_error", status: 502 });
    await expect(stripeProvider().readObject("subscription", "sub_x")).rejects.toMatchObject({ code: "PROVIDER_UNAVAILABLE", retryable: true, provider: "stripe" });
    stripe.inject("retrieve_price", { kind: "reset" });
    await expect(stripeProvider().readObject("price", "price_x")).rejects.toMatchObject({ code: "PROVIDER_UNAVAILABLE", retryable: true });
    await expect(stripeProvider("sk_test_wrong").readObject("price", "price_x")).rejects.toMatchObject({ code: "PROVIDER_AUTH_FAILED", retryable: false });
  });

  it("refuses an answer it cannot read, and a type Stripe has no reader for", async () => {
    stripe.putObject("price", { id: "price_odd", object: "price", currency: "usd" });
    await expect(stripeProvider().readObject("price", "price_odd")).rejects.toMatchObject({ code: "PROVIDER_REJECTED", message: expect.stringContaining("Stripe's price response is not what billhub reads") });
    await expect(stripeProvider().readObject("customer_billing", "acme")).rejects.toMatchObject({ code: "PROVIDER_UNSUPPORTED" });
  });
});

describe("Flowglad: re-reading a customer's billing", () => {
  it("reads a customer's billing by external id, and an unknown customer as null", async () => {
    flowglad.addCustomer({ externalId: "acme", subscriptions: [{ id: "sub_fg_1" }] });
    const billing = await flowgladProvider().readObject("customer_billing", "acme");
    expect(billing?.customer.externalId).toBe("acme");
    expect(billing?.currentSubscriptions.map((subscription) => [subscription.id, subscription.status, subscription.priceId])).toEqual([["sub_fg_1", "active", "price_pro_monthly"]]);
    expect(await flowgladProvider().readObject("customer_billing", "nobody")).toBeNull();
  });

  it("has nothing but customer billing to re-read", async () => {
    await expect(flowgladProvider().readObject("price", "price_1")).rejects.toMatchObject({ code: "PROVIDER_UNSUPPORTED", provider: "flowglad" });
  });
});
