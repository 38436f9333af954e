import { describe, expect, it } from "vitest";
import { customerSubscriptions } from "../../../src/providers/flowglad/customer-subscriptions.ts";
import type { FlowgladCustomerBilling, FlowgladSubscription } from "../../../src/providers/flowglad/types.ts";

const subscription = (status: string, trialEnd: Date | null): FlowgladSubscription => ({
  id: `sub_${status}`,
  status,
  priceId: "price_pro",
  current: true,
  currentBillingPeriodStart: new Date("2026-10-01T00:00:00Z"),
  currentBillingPeriodEnd: new Date("2026-11-01T00:00:00Z"),
  trialEnd,
  items: [],
  usageMeterBalances: [],
});

const billing = (subscriptions: FlowgladSubscription[]) =>
  ({
    customer: { id: "cust_1", externalId: "acme", email: null, name: null },
    pricingModel: { id: "pm", name: "Default", isDefault: true, livemode: false, updatedAt: new Date(0), products: [], usageMeters: [] },
    currentSubscriptions: subscriptions,
  }) as unknown as FlowgladCustomerBilling;

describe("Flowglad subscriptions in billhub's terms", () => {
  it("reads a trialing subscription's trialEnd as when its trial ends, and keeps no trial end once the subscription is active", () => {
    const trialEnd = new Date("2026-10-15T00:00:00Z");
    const [trialing, active] = customerSubscriptions(billing([subscription("trialing", trialEnd), subscription("active", trialEnd)])).subscriptions;
    expect(trialing).toMatchObject({ status: "trialing", trialEndsAt: trialEnd });
    expect(active).toMatchObject({ status: "active", trialEndsAt: null });
  });
});
