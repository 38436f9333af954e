import type { ProviderChange, ProviderPrice, ProviderProduct } from "../providers/types.ts";
import { BillingError } from "../core/errors.ts";
import { writeLatePriceVersion, writePriceVersion, type PriceState } from "../store/webhooks/price-versions.ts";
import { markProductDeleted, upsertProduct } from "../store/webhooks/provider-products.ts";
import type { ObjectChange } from "./apply-event.ts";
import type { WebhookDeps } from "./deps.ts";
import { reread } from "./reread.ts";
import { stateHash } from "./state-hash.ts";

const GONE = "deleted";

type PriceEvent = Extract<ProviderChange, { kind: "price_upserted" | "price_deleted" }>;
type ProductEvent = Extract<ProviderChange, { kind: "product_upserted" | "product_deleted" }>;

/**
 * A price event as an ordered change to the price's history. A tiered price whose event left its
 * tiers out (Stripe does) is re-read (with its tiers) before it is stored. An event older than the
 * current version is entered in the history in its place, so the history is the same whatever
 * order the events arrive in; its tiers come from the re-read, as a price's tiers never change
 * (only its lookup key, nickname, metadata and active flag do).
 */
export function priceChange(deps: WebhookDeps, change: PriceEvent): ObjectChange<ProviderPrice> {
  const price = change.kind === "price_upserted" ? change.price : null;
  const priceId = change.kind === "price_upserted" ? change.price.id : change.priceId;
  const key = { provider: change.provider, priceId, source: change.eventId };
  const priceState = priceStateOf(deps, change.provider);
  return {
    key: { provider: change.provider, type: "price", id: priceId },
    at: change.created,
    state: price,
    incomplete: price !== null && price.billingScheme === "tiered" && price.tiers === null,
    reread: () => reread(deps, change.provider, "price", priceId),
    hash: (state) => (state === null ? GONE : priceState(state).stateHash),
    async apply(tx, state, at) {
      await writePriceVersion(tx, key, state && priceState(state), at);
      return { outcome: "applied", error: null, customers: [] };
    },
    late: {
      complete: (now) => (price !== null && now !== null && now.id === price.id ? { ...price, tiers: now.tiers } : undefined),
      async apply(tx, state, at) {
        const written = await writeLatePriceVersion(tx, key, state && priceState(state), at);
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

/** How the provider's prices are stored, with the hash that tells their versions apart. */
function priceStateOf(deps: WebhookDeps, providerId: string): (price: ProviderPrice) => PriceState {
  const provider = deps.providers.get(providerId);
  const priceState = provider.priceState;
  if (priceState === undefined) throw new BillingError("INTERNAL", `${providerId} sent a price event but cannot map its prices`, { provider: providerId });
  return (price) => {
    const state = priceState.call(provider, price);
    return { ...state, stateHash: stateHash(state.price) };
  };
}
