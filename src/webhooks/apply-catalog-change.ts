import type { ProviderChange, ProviderPrice, ProviderProduct } from "../providers/types.ts";
import { writeLatePriceVersion, writePriceVersion } from "../store/webhooks/price-versions.ts";
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
 * tiers out of events, so such a price is re-read (with its tiers) before it is stored. An event
 * older than the current version is entered in the history in its place, so the history is the
 * same whatever order the events arrive in; its tiers come from the re-read, as Stripe never
 * changes a price's tiers (only its lookup key, nickname, metadata and active flag change).
 */
export function priceChange(deps: WebhookDeps, change: PriceEvent): ObjectChange<ProviderPrice> {
  const price = change.kind === "price_upserted" ? change.price : null;
  const priceId = change.kind === "price_upserted" ? change.price.id : change.priceId;
  const key = { provider: change.provider, priceId, source: change.eventId };
  return {
    key: { provider: change.provider, type: "price", id: priceId },
    at: change.created,
    state: price,
    incomplete: price !== null && price.billingScheme === "tiered" && price.tiers === null,
    reread: () => reread(deps, change.provider, "price", priceId),
    hash: (state) => (state === null ? GONE : stripePriceState(state).stateHash),
    async apply(tx, state, at) {
      await writePriceVersion(tx, key, state && stripePriceState(state), at);
      return { outcome: "applied", error: null, customers: [] };
    },
    late: {
      complete: (now) => (price !== null && now !== null && now.id === price.id ? { ...price, tiers: now.tiers } : undefined),
      async apply(tx, state, at) {
        const written = await writeLatePriceVersion(tx, key, state && stripePriceState(state), at);
        if (written.entered) return { outcome: "applied", error: null, customers: [] };
        return {
          outcome: "stale",
          error: `another change in the same second (event ${written.tie}) is in the price's history, and which of the two came later can no longer be told by re-reading the price; the history keeps that one`,
          customers: [],
        };
      },
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
