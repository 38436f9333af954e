import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { createHub } from "../src/hub.ts";
import { drainAll, type DrainResult } from "./support/drain-all.ts";
import { stripeMeters } from "./support/stand-in-process.ts";

/**
 * The forwarder alone in a process, draining a backlog seeded beforehand, so that its RSS is the
 * forwarder's (with PGlite, the embedded database's too: it runs in the forwarder's process).
 * Input: one JSON argument `{ store, apiBase, secretKey, eventName, count, budgetMs }`. Output: one IPC
 * message with the memory readings.
 */
export interface MemoryReadings {
  before: { rss: number; heapUsed: number };
  /** Highest of the readings taken every 100 ms during the drain. */
  peakRss: number;
  peakHeapUsed: number;
  /** Memory outside the JavaScript heap that Node accounts for (Buffers and the like), highest sample. */
  peakExternal: number;
  /**
   * The kernel's high-water mark of this process's RSS (VmHWM in /proc/self/status), which no
   * sampling can miss; 0 where /proc is missing. Not getrusage's maxrss: Linux carries that over
   * from the forking parent (this process starts as a copy of the benchmark runner), so it
   * reported the runner's size, not the forwarder's.
   */
  maxRss: number;
  samples: number;
  seconds: number;
  /** Rows delivered; fewer than the backlog when the time budget ran out. */
  delivered: number;
}

function residentHighWaterMark(): number {
  try {
    const match = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync("/proc/self/status", "utf8"));
    return match ? Number(match[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

const CATALOG = fileURLToPath(new URL("../fixtures/catalog.json", import.meta.url));
const input = JSON.parse(process.argv[2]!) as { store: { url?: string; dataDir?: string; schema: string }; apiBase: string; secretKey: string; eventName: string; count: number; budgetMs: number };

const hub = await createHub({
  catalog: CATALOG,
  store: input.store,
  provider: { default: "stripe" },
  stripe: { secretKey: input.secretKey, apiBase: input.apiBase, mode: "meter_event_stream", meters: stripeMeters(input.eventName) },
  forwarder: { enabled: false },
});
try {
  // Settle what opening the hub allocated, so that `before` is the idle forwarder.
  globalThis.gc?.();
  const before = process.memoryUsage();
  let peakRss = before.rss;
  let peakHeapUsed = before.heapUsed;
  let peakExternal = before.external;
  let samples = 0;
  const sample = () => {
    const now = process.memoryUsage();
    peakRss = Math.max(peakRss, now.rss);
    peakHeapUsed = Math.max(peakHeapUsed, now.heapUsed);
    peakExternal = Math.max(peakExternal, now.external);
    samples += 1;
  };
  const timer = setInterval(sample, 100);
  let drained: DrainResult;
  try {
    drained = await drainAll(hub, input.count, { budgetMs: input.budgetMs });
  } finally {
    clearInterval(timer);
  }
  sample();
  const readings: MemoryReadings = {
    before: { rss: before.rss, heapUsed: before.heapUsed },
    peakRss,
    peakHeapUsed,
    peakExternal,
    maxRss: residentHighWaterMark(),
    samples,
    seconds: drained.seconds,
    delivered: drained.delivered,
  };
  process.send!(readings);
} finally {
  await hub.close();
  process.disconnect();
}
