import { BillingError } from "../core/errors.ts";
import type { FlowgladPrice } from "../providers/types.ts";
import { lockObject, readObjectVersion, writeObjectVersion } from "../store/webhooks/object-versions.ts";
import { currentPriceIds, writePriceVersion } from "../store/webhooks/price-versions.ts";
import type { WebhookDeps } from "./deps.ts";
import { flowgladPriceState } from "./price-state.ts";
import { stateHash } from "./state-hash.ts";

/** What one Flowglad catalog sync did. */
export interface CatalogSyncReport {
  provider: "flowglad";
  pricingModelId: string;
  /** Prices in the pricing model. */
  prices: number;
  added: string[];
  changed: string[];
  /** Prices no longer in the pricing model: their current version was ended. */
  removed: string[];
  unchanged: number;
  /** True when a sync that read Flowglad later had already been applied (nothing was written). */
  stale: boolean;
}

/**
 * Pulls Flowglad's default pricing model into the price history. Flowglad sends no price events,
 * so this is how its prices reach the catalog (`billhub sync flowglad`, or periodically inside
 * `billhub serve`). Each price is stored under its slug; a changed price gets a new version from
 * the time of this sync (the first moment billhub can vouch for it), a price that disappeared is
 * ended. Running it twice changes nothing the second time.
 *
 * @example
 * const report = await syncFlowgladCatalog(deps); // { added: ["pro_monthly", ...], changed: [], removed: [], ... }
 */
export async function syncFlowgladCatalog(deps: WebhookDeps): Promise<CatalogSyncReport> {
  const provider = deps.providers.providers.get("flowglad");
  if (provider?.pullCatalog === undefined) {
    throw new BillingError("CONFIG_INVALID", "Invalid configuration: syncing Flowglad's catalog needs the flowglad section; set FLOWGLAD_SECRET_KEY", { field: "flowglad.secretKey" });
  }
  const at = deps.now();
  const { pricingModel } = await provider.pullCatalog();
  const prices = new Map<string, FlowgladPrice>();
  for (const price of [...pricingModel.products.flatMap((product) => product.prices), ...pricingModel.usageMeters.flatMap((meter) => meter.prices)]) prices.set(price.id, price);
  const states = new Map([...prices].map(([id, price]) => [id, flowgladPriceState(price)]));
  const key = { provider: "flowglad", type: "pricing_model", id: "default" };
  const report: CatalogSyncReport = { provider: "flowglad", pricingModelId: pricingModel.id, prices: prices.size, added: [], changed: [], removed: [], unchanged: 0, stale: false };

  await deps.store.transaction(async (tx) => {
    await lockObject(tx, deps.store.schema, key);
    const applied = await readObjectVersion(tx, key);
    // Two syncs racing: the one that read Flowglad later holds the newer truth.
    if (applied !== undefined && applied.versionAt > at) {
      report.stale = true;
      return;
    }
    const current = await currentPriceIds(tx, "flowglad");
    const source = `sync:${pricingModel.id}`;
    for (const [id, state] of states) {
      const name = state.lookupKey ?? id;
      const before = current.get(id);
      if (before === state.stateHash) {
        report.unchanged += 1;
        continue;
      }
      await writePriceVersion(tx, { provider: "flowglad", priceId: id, source }, state, at);
      (before === undefined ? report.added : report.changed).push(name);
    }
    for (const id of current.keys()) {
      if (states.has(id)) continue;
      await writePriceVersion(tx, { provider: "flowglad", priceId: id, source }, null, at);
      report.removed.push(id);
    }
    await writeObjectVersion(tx, key, { versionAt: at, stateHash: stateHash([...states.values()].map((state) => state.stateHash).sort()), eventId: source });
  });
  return report;
}
