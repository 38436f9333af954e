import { setTimeout as sleep } from "node:timers/promises";
import type { Hub } from "../../src/hub.ts";

/** A drain that delivers nothing for this long has stalled: the benchmark fails instead of hanging. */
const STALL_MS = 120_000;

/**
 * Drains until no row is pending: `drain()` returns when nothing is due, and rows answered 429
 * wait for their next attempt, so it is called again until they are delivered. That wait is part
 * of what a rate-limited drain costs. Halfway through a stream drain, every session expires.
 */
export async function drainAll(hub: Hub, count: number, onHalfway: (() => void) | undefined) {
  let claimed = 0;
  let retryLater = 0;
  let halfway = onHalfway;
  let progressAt = performance.now();
  let delivered = 0;
  for (;;) {
    const report = await hub.outbox.drain({
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
    if (totals.pending === 0) return { retryLater };
    if (totals.delivered > delivered) {
      delivered = totals.delivered;
      progressAt = performance.now();
    } else if (performance.now() - progressAt > STALL_MS) {
      throw new Error(`forwarder: no row delivered for ${STALL_MS / 1000} s; outbox ${JSON.stringify(totals)}`);
    }
    if (totals.due === 0) await sleep(20);
  }
}
