import type { Hub } from "../hub.ts";
import type { CatalogProvider } from "../hub/webhooks.ts";
import { providerSection } from "../config/schema.ts";
import { PROVIDERS, providerDefinition, providerIdsWith } from "../providers/index.ts";

export interface PeriodicSync {
  /** Stops the timer and waits for a sync in progress to finish. */
  stop(): Promise<void>;
}

/**
 * Pulls a provider's catalog (by default the first that keeps one) now and then every `intervalMs`, one run at a time (a run still
 * going when the next is due is not doubled). Failures are reported and retried at the next tick:
 * the price history keeps its last good state meanwhile.
 *
 * @example
 * const sync = startCatalogSync(hub, 600_000, console.log, "flowglad");
 * await sync.stop();
 */
export function startCatalogSync(hub: Hub, intervalMs: number, log: (line: string) => void, provider: CatalogProvider = providerIdsWith("pullCatalog")[0] as CatalogProvider): PeriodicSync {
  const name = providerDefinition(provider)?.displayName ?? provider;
  let running: Promise<void> | undefined;
  const run = () => {
    if (running !== undefined) return;
    running = hub.prices
      .sync(provider)
      .then(
        (report) => {
          const changes = report.added.length + report.changed.length + report.removed.length;
          if (changes > 0) log(`billhub: ${name} catalog synced: ${report.added.length} added, ${report.changed.length} changed, ${report.removed.length} removed`);
        },
        (error: unknown) => log(`billhub: ${name} catalog sync failed (retrying in ${intervalMs} ms): ${(error as Error).message}`),
      )
      .finally(() => {
        running = undefined;
      });
  };
  run();
  const timer = setInterval(run, intervalMs);
  timer.unref();
  return {
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}

/**
 * The configured providers whose catalogs `billhub serve` pulls periodically, with their
 * intervals (a provider's own setting, e.g. `flowglad.catalogSyncIntervalMs`; 0 means never).
 */
export function catalogSyncs(hub: Hub): { provider: CatalogProvider; intervalMs: number }[] {
  return PROVIDERS.flatMap((definition) => {
    const section = providerSection(hub.config, definition);
    if (!definition.capabilities.pullCatalog || section === undefined || definition.catalogSyncIntervalMs === undefined) return [];
    const intervalMs = (definition.catalogSyncIntervalMs as (config: typeof section) => number)(section);
    return intervalMs > 0 ? [{ provider: definition.id as CatalogProvider, intervalMs }] : [];
  });
}
