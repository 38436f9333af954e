import { lockCustomer } from "../../store/customer-repository.ts";
import { insertGrant } from "../../store/credits/credit-repository.ts";
import type { CreditPurchased } from "../../webhooks/deps.ts";
import type { HubContext } from "../context.ts";
import { parseGrant } from "./input.ts";

/**
 * Grants what a provider's purchase event bought, one grant per credit line, source "purchase",
 * in effect from the event's time. Every line is validated first (currency, feature, amount), so a
 * purchase is granted whole or not at all. A grant's id derives from the purchase and its
 * `providerEvent` from the event, so a redelivery, or another event about the same purchase,
 * grants nothing twice.
 *
 * @example
 * await grantPurchase(ctx, { provider: "stripe", eventId: "evt_1", created, customerId: "org_42",
 *   purchase: { objectId: "cs_1", providerCustomerId: "cus_1", credits: [{ productId: "prod_c", quantity: 2, currency: "USD", amount: "2000" }] } });
 */
export async function grantPurchase(ctx: HubContext, event: CreditPurchased): Promise<void> {
  const { provider, eventId, purchase } = event;
  const now = ctx.now();
  const writes = purchase.credits.map((credit, index) => {
    const line = index + 1;
    const input = {
      id: `${provider}:${purchase.objectId}:${line}`,
      ...("currency" in credit ? { currency: credit.currency, amount: credit.amount } : { feature: credit.feature, amount: credit.units }),
      effectiveAt: event.created,
      source: "purchase" as const,
      metadata: { provider, eventId, purchase: purchase.objectId, product: credit.productId, quantity: credit.quantity },
    };
    return parseGrant(ctx.catalog, event.customerId, input, now, `${provider}:${eventId}:${line}`);
  });
  await ctx.store.transaction(async (tx) => {
    await lockCustomer(tx, event.customerId);
    for (const write of writes) await insertGrant(tx, write, now);
  });
}
