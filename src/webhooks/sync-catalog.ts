import { BillingError } from "../core/errors.ts";
import { providerDefinition, providerEnvName } from "../providers/index.ts";
import { lockObject, readObjectVersion, writeObjectVersion } from "../store/webhooks/object-versions.ts";
import { currentPriceIds, writePriceVersion, type PriceState } from "../store/webhooks/price-versions.ts";
import type { WebhookDeps } from "./deps.ts";
import { stateHash } from "./state-hash.ts";

/** What one catalog sync did. */
export interface CatalogSyncReport {
  provider: string;
  /** The catalog's id at the provider (its pricing model). */
  pricingModelId: string;
  /** Prices in the catalog. */
  prices: number;
  added: string[];
  changed: string[];
  /** Prices no longer in the catalog: their current version was ended. */
  removed: string[];
  unchanged: number;
  /** True when a sync that read the provider later had already been applied (nothing was written). */
  stale: boolean;
}

/**
 * Pulls a provider's catalog into the price history, for providers that send no price events
 * (`billhub sync <provider>`, or periodically inside `billhub serve`). Each price is stored
 * under its lookup key; a changed price gets a new version from the time of this sync (the first
 * moment billhub can vouch for it), a price that disappeared is ended. Running it twice changes
 * nothing the second time.
 *
 * @example
 * const report = await syncCatalog(deps, "flowglad"); // { added: ["pro_monthly", ...], changed: [], removed: [], ... }
 */
export async function syncCatalog(deps: WebhookDeps, providerId: string): Promise<CatalogSyncReport> {
  const definition = providerDefinition(providerId);
  const provider = deps.providers.providers.get(providerId as never);
  if (definition === undefined || !definition.capabilities.pullCatalog) {
    throw new BillingError("VALIDATION_FAILED", `${JSON.stringify(providerId)} keeps no catalog billhub pulls`, { field: "provider" });
  }
  if (provider?.pullCatalog === undefined) {
    const secret = providerEnvName(definition, "secretKey");
    throw new BillingError("CONFIG_INVALID", `Invalid configuration: syncing ${definition.displayName}'s catalog needs the ${definition.id} section${secret === undefined ? "" : `; set ${secret}`}`, { field: `${definition.id}.secretKey` });
  }
  const at = deps.now();
  const catalog = await provider.pullCatalog();
  const states = new Map<string, PriceState>([...catalog.prices].map(([id, state]) => [id, { ...state, stateHash: stateHash(state.price) }]));
  const key = { provider: definition.id, type: "pricing_model", id: "default" };
  const report: CatalogSyncReport = { provider: definition.id, pricingModelId: catalog.pricingModelId, prices: states.size, added: [], changed: [], removed: [], unchanged: 0, stale: false };

  await deps.store.transaction(async (tx) => {
    await lockObject(tx, deps.store.schema, key);
    const applied = await readObjectVersion(tx, key);
    // Two syncs racing: the one that read the provider later holds the newer truth.
    if (applied !== undefined && applied.versionAt > at) {
      report.stale = true;
      return;
    }
    const current = await currentPriceIds(tx, definition.id);
    const source = `sync:${catalog.pricingModelId}`;
    for (const [id, state] of states) {
      const name = state.lookupKey ?? id;
      const before = current.get(id);
      if (before === state.stateHash) {
        report.unchanged += 1;
        continue;
      }
      await writePriceVersion(tx, { provider: definition.id, priceId: id, source }, state, at);
      (before === undefined ? report.added : report.changed).push(name);
    }
    for (const id of current.keys()) {
      if (states.has(id)) continue;
      await writePriceVersion(tx, { provider: definition.id, priceId: id, source }, null, at);
      report.removed.push(id);
    }
    await writeObjectVersion(tx, key, { versionAt: at, stateHash: stateHash([...states.values()].map((state) => state.stateHash).sort()), eventId: source });
  });
  return report;
}
