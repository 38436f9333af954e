import type { ProviderChange, ProviderPrice, ProviderProduct } from "../providers/types.ts";
import { writePriceVersion } from "../store/webhooks/price-versions.ts";
import { markProductDeleted, upsertProduct } from "../store/webhooks/provider-products.ts";
import type { ObjectChange } from "./apply-event.ts";
import type { WebhookDeps } from "./deps.ts";
import { stripePriceState } from "./price-state.ts";
import { reread } from "./reread.ts";
import { stateHash } from "./state-hash.ts";

const GONE = "deleted";

type PriceEvent = Extract<ProviderChange, { kind: "price_upserted" | "price_deleted" }>;
type ProductEvent = Extract<ProviderChange, { kind: "product_upserted" | "product_deleted" }>;

/**
 * A price event as an ordered change to the price's history. Stripe leaves a tiered price's
 * tiers out of events, so such a price is re-read (with its tiers) before it is stored.
 */
export function priceChange(deps: WebhookDeps, change: PriceEvent): ObjectChange<ProviderPrice> {
  const price = change.kind === "price_upserted" ? change.price : null;
  const priceId = change.kind === "price_upserted" ? change.price.id : change.priceId;
  return {
    key: { provider: change.provider, type: "price", id: priceId },
    at: change.created,
    state: price,
    incomplete: price !== null && price.billingScheme === "tiered" && price.tiers === null,
    reread: () => reread(deps, change.provider, "price", priceId),
    hash: (state) => (state === null ? GONE : stripePriceState(state).stateHash),
    async apply(tx, state, at) {
      await writePriceVersion(tx, { provider: change.provider, priceId, source: change.eventId }, state && stripePriceState(state), at);
      return { outcome: "applied", error: null, customers: [] };
    },
  };
}

/** A product event as an ordered change to the synced product. */
export function productChange(deps: WebhookDeps, change: ProductEvent): ObjectChange<ProviderProduct> {
  const product = change.kind === "product_upserted" ? change.product : null;
  const productId = change.kind === "product_upserted" ? change.product.id : change.productId;
  return {
    key: { provider: change.provider, type: "product", id: productId },
    at: change.created,
    state: product,
    incomplete: false,
    reread: () => reread(deps, change.provider, "product", productId),
    hash: (state) => (state === null ? GONE : stateHash(state)),
    async apply(tx, state, at) {
      if (state === null) await markProductDeleted(tx, change.provider, productId, at);
      else await upsertProduct(tx, { provider: change.provider, productId, name: state.name, active: state.active, deleted: false, metadata: state.metadata, updatedAt: at });
      return { outcome: "applied", error: null, customers: [] };
    },
  };
}
