import { purchasedCredit } from "../credit-products.ts";
import type { ChangeMeta, ProviderChange, ProviderCreditPurchase } from "../types.ts";
import type { FlowgladCreditProducts } from "./config.ts";
import type { FlowgladCustomerBilling, FlowgladPrice, FlowgladProduct, FlowgladPurchase } from "./types.ts";

/**
 * The objects of Flowglad's events that may mean a credit product was paid for: `purchase`
 * (purchase.completed) and `payment` (payment.succeeded, and payment.failed, whose body is the
 * same). Their bodies are thin references (`{ id, object, customer, pricingModelId }`): what was
 * bought is read from the customer's billing (`purchases`, each with its `priceId`, `quantity`
 * and `status`). From Flowglad's source: a payment event names the payment (`pay_...`), never its
 * purchase, and the billing lists no payments, so a payment event credits every paid credit
 * purchase of the customer, each once; purchase.completed is emitted only for a purchase already
 * `paid` (after a card payment, in the same transaction as its payment.succeeded), so the unpaid
 * branch below is a guard, not a path Flowglad takes. A refund sends no event and leaves the
 * purchase `paid` in the billing: billhub cannot see it (README, Credits).
 */
export const PURCHASE_OBJECTS = new Set(["purchase", "payment"]);

/** A Flowglad purchase is credited once it is paid; the other statuses (open, pending, failed, refunded, partial_refund, fraudulent) are not, or no longer, paid. */
const PAID = "paid";

interface PricedPurchase {
  purchase: FlowgladPurchase;
  price: FlowgladPrice | undefined;
  product: FlowgladProduct | undefined;
}

function priced(billing: FlowgladCustomerBilling, purchase: FlowgladPurchase): PricedPurchase {
  for (const product of billing.pricingModel.products) {
    const price = product.prices.find((candidate) => candidate.id === purchase.priceId);
    if (price !== undefined) return { purchase, price, product };
  }
  return { purchase, price: undefined, product: undefined };
}

/** The configured credit product a purchase bought: its price's slug, else its product's slug. */
function creditKey({ price, product }: PricedPurchase, products: FlowgladCreditProducts): string | undefined {
  if (price?.slug != null && Object.hasOwn(products, price.slug)) return price.slug;
  if (product?.slug != null && Object.hasOwn(products, product.slug)) return product.slug;
  return undefined;
}

function toPurchase(bought: PricedPurchase, key: string, products: FlowgladCreditProducts, externalId: string): ProviderCreditPurchase {
  return {
    objectId: bought.purchase.id,
    providerCustomerId: externalId,
    credits: [purchasedCredit(key, products[key]!, bought.purchase.quantity, bought.price!.currency)],
  };
}

const describe = ({ purchase, price, product }: PricedPurchase) =>
  `purchase ${purchase.id} of price ${JSON.stringify(price?.slug ?? purchase.priceId)}${product ? ` (product ${JSON.stringify(product.slug ?? product.id)})` : ""}`;

/**
 * Maps a Flowglad purchase or payment event, with the customer's billing read after it, to a
 * provider-neutral credit purchase for the slugs configured in `flowglad.creditProducts`:
 * - purchase.completed: that purchase, once paid; a one-time purchase of another product is
 *   ignored (and logged so); a purchase of a subscription or usage price is left to the billing
 *   refresh (undefined);
 * - payment.succeeded: every paid credit purchase of the customer (each is granted once, by its
 *   id); none → undefined, the billing refresh as before.
 *
 * @example
 * flowgladCreditPurchase(billing, { credits_10: { amount: 1000 } }, { type: "purchase", id: "prch_1" }, meta)
 * // { kind: "credit_purchase", purchases: [{ objectId: "prch_1", providerCustomerId: "org_42", credits: [{ currency: "USD", amount: "2000", quantity: 2, productId: "credits_10" }] }] }
 */
export function flowgladCreditPurchase(
  billing: FlowgladCustomerBilling,
  products: FlowgladCreditProducts,
  object: { type: string; id: string },
  meta: ChangeMeta,
): ProviderChange | undefined {
  const externalId = billing.customer.externalId;
  if (object.type === "purchase") {
    const purchase = billing.purchases.find((candidate) => candidate.id === object.id);
    if (purchase === undefined) return { ...meta, kind: "ignored", reason: `Flowglad purchase ${object.id} is not in customer ${externalId}'s billing` };
    const bought = priced(billing, purchase);
    const key = creditKey(bought, products);
    if (key === undefined) {
      if (bought.price?.type !== "single_payment") return undefined;
      return { ...meta, kind: "ignored", reason: `${describe(bought)} bought no product of flowglad.creditProducts` };
    }
    if (purchase.status !== PAID) return { ...meta, kind: "ignored", reason: `${describe(bought)} is ${purchase.status}: credited once paid (payment.succeeded)` };
    return { ...meta, kind: "credit_purchase", purchases: [toPurchase(bought, key, products, externalId)] };
  }
  const paid = billing.purchases
    .filter((purchase) => purchase.status === PAID)
    .map((purchase) => priced(billing, purchase))
    .flatMap((bought) => {
      const key = creditKey(bought, products);
      return key === undefined ? [] : [toPurchase(bought, key, products, externalId)];
    });
  return paid.length === 0 ? undefined : { ...meta, kind: "credit_purchase", purchases: paid };
}
