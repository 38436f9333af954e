import { setTimeout as sleep } from "node:timers/promises";
import type { Hub } from "../../src/hub.ts";

/** A drain that delivers nothing for this long has stalled: the benchmark fails instead of hanging. */
const STALL_MS = 120_000;

export interface DrainResult {
  /** Rows delivered (the outbox's count when the drain ended). */
  delivered: number;
  /** False when the time budget ran out before every row was delivered. */
  complete: boolean;
  seconds: number;
  /** Rows the forwarder put back for a later attempt (a 429, an outage). */
  retryLater: number;
}

/**
 * Drains until no row is pending or `budgetMs` has passed. `drain()` returns when nothing is due,
 * and rows answered 429 wait for their next attempt, so it is called again until they are
 * delivered: that wait is part of what a rate-limited drain costs. The budget keeps a full run
 * bounded when the forwarder is slow (a drain stopped by it reports the rate it reached).
 * `onHalfway` is called once half of `count` rows were claimed.
 */
export async function drainAll(hub: Hub, count: number, options: { budgetMs: number; onHalfway?: () => void }): Promise<DrainResult> {
  const stop = new AbortController();
  const started = performance.now();
  const budget = setTimeout(() => stop.abort(), options.budgetMs);
  let claimed = 0;
  let retryLater = 0;
  let halfway = options.onHalfway;
  let progressAt = started;
  let delivered = 0;
  try {
    for (;;) {
      const report = await hub.outbox.drain({
        signal: stop.signal,
        onBatch: (batch) => {
          claimed += batch.claimed;
          if (halfway && claimed >= count / 2) {
            halfway();
            halfway = undefined;
          }
        },
      });
      retryLater += report.retryLater;
      if (report.dead > 0) throw new Error(`forwarder: ${report.dead} rows dead: ${JSON.stringify(report)}`);
      const { totals } = await hub.outbox.status();
      const seconds = (performance.now() - started) / 1000;
      if (totals.pending === 0 || stop.signal.aborted) return { delivered: totals.delivered, complete: totals.pending === 0, seconds, retryLater };
      if (totals.delivered > delivered) {
        delivered = totals.delivered;
        progressAt = performance.now();
      } else if (performance.now() - progressAt > STALL_MS) {
        throw new Error(`forwarder: no row delivered for ${STALL_MS / 1000} s; outbox ${JSON.stringify(totals)}`);
      }
      if (totals.due === 0) await sleep(20);
    }
  } finally {
    clearTimeout(budget);
  }
}
