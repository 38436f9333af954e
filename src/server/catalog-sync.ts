import type { Hub } from "../hub.ts";

export interface PeriodicSync {
  /** Stops the timer and waits for a sync in progress to finish. */
  stop(): Promise<void>;
}

/**
 * Pulls Flowglad's pricing model now and then every `intervalMs`, one run at a time (a run still
 * going when the next is due is not doubled). Failures are reported and retried at the next tick:
 * the price history keeps its last good state meanwhile.
 *
 * @example
 * const sync = startCatalogSync(hub, 600_000, console.log);
 * await sync.stop();
 */
export function startCatalogSync(hub: Hub, intervalMs: number, log: (line: string) => void): PeriodicSync {
  let running: Promise<void> | undefined;
  const run = () => {
    if (running !== undefined) return;
    running = hub
      .syncFlowgladCatalog()
      .then(
        (report) => {
          const changes = report.added.length + report.changed.length + report.removed.length;
          if (changes > 0) log(`billhub: Flowglad catalog synced: ${report.added.length} added, ${report.changed.length} changed, ${report.removed.length} removed`);
        },
        (error: unknown) => log(`billhub: Flowglad catalog sync failed (retrying in ${intervalMs} ms): ${(error as Error).message}`),
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
