import type { HubConfig } from "../config/schema.ts";
import type { Store } from "../store/types.ts";
import type { Catalog } from "../core/catalog/index.ts";
import type { ProviderRegistry } from "../providers/registry.ts";
import type { Metrics } from "./metrics.ts";

/**
 * What every area of the hub (entitlements, ledger, invoices, forwarding, webhooks) is built
 * from. Areas receive this and return their slice of the public API; `createHub` joins them.
 */
export interface HubContext {
  readonly config: HubConfig;
  readonly store: Store;
  /** The validated catalog: the universes of meters, features and plans. */
  readonly catalog: Catalog;
  /** The hub's clock: periods, reset windows and default timestamps all read it. */
  readonly now: () => Date;
  /** Counters, gauges and histograms rendered at `/metrics`. */
  readonly metrics: Metrics;
  /**
   * The providers, built once from config: the one place provider SDK clients are made (usage
   * forwarding, webhook re-reads and catalog syncs all use these).
   */
  readonly providers: ProviderRegistry;
}
