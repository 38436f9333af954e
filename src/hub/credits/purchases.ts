import { lockCustomer } from "../../store/customer-repository.ts";
import { insertGrant } from "../../store/credits/credit-repository.ts";
import type { CreditPurchased } from "../../webhooks/deps.ts";
import type { HubContext } from "../context.ts";
import { parseGrant } from "./input.ts";

/**
 * Grants what a provider's purchase event bought, one grant per credit line of each purchase,
 * source "purchase", in effect from the event's time. Every line is validated first (currency,
 * feature, amount), so an event is granted whole or not at all. A grant's id derives from its
 * purchase and its `providerEvent` from the event, so a redelivery, or another event about the
 * same purchase, grants nothing twice.
 *
 * @example
 * await grantPurchase(ctx, { provider: "stripe", eventId: "evt_1", created, customerId: "org_42",
 *   purchases: [{ objectId: "cs_1", providerCustomerId: "cus_1", credits: [{ productId: "prod_c", quantity: 2, currency: "USD", amount: "2000" }] }] });
 */
export async function grantPurchase(ctx: HubContext, event: CreditPurchased): Promise<void> {
  const { provider, eventId } = event;
  const now = ctx.now();
  const writes = event.purchases.flatMap((purchase, index) =>
    purchase.credits.map((credit, lineIndex) => {
      const line = lineIndex + 1;
      const input = {
        id: `${provider}:${purchase.objectId}:${line}`,
        ...("currency" in credit ? { currency: credit.currency, amount: credit.amount } : { feature: credit.feature, amount: credit.units }),
        effectiveAt: event.created,
        source: "purchase" as const,
        metadata: { provider, eventId, purchase: purchase.objectId, product: credit.productId, quantity: credit.quantity },
      };
      // The first purchase's lines keep the event's own line numbers; later ones are told apart by their purchase.
      const reference = index === 0 ? `${line}` : `${purchase.objectId}:${line}`;
      return parseGrant(ctx.catalog, event.customerId, input, now, `${provider}:${eventId}:${reference}`);
    }),
  );
  await ctx.store.transaction(async (tx) => {
    await lockCustomer(tx, event.customerId);
    for (const write of writes) await insertGrant(tx, write, now);
  });
}
