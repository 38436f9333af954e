import type { Figure } from "../types.ts";

/** Seconds since `start` (a `process.hrtime.bigint()` reading). */
export function secondsSince(start: bigint): number {
  return Number(process.hrtime.bigint() - start) / 1e9;
}

/** Runs `fn` and returns its result with the seconds it took. */
export async function timed<T>(fn: () => Promise<T> | T): Promise<{ result: T; seconds: number }> {
  const start = process.hrtime.bigint();
  const result = await fn();
  return { result, seconds: secondsSince(start) };
}

/**
 * Calls a synchronous `fn` in rounds until `seconds` have passed and returns calls per second
 * over the best round (the least disturbed by other work on the machine), by the wall clock and
 * by this process's CPU time (which other processes on a busy machine disturb far less).
 */
export function rate(fn: () => void, { seconds, rounds = 10 }: { seconds: number; rounds?: number }): { perSecond: number; cpuPerSecond: number } {
  let batch = 1;
  // Size a batch so that one round takes about seconds / rounds.
  for (;;) {
    const start = process.hrtime.bigint();
    for (let i = 0; i < batch; i++) fn();
    const took = secondsSince(start);
    if (took >= seconds / rounds / 4 || batch >= 1 << 26) {
      batch = Math.max(1, Math.ceil((batch * (seconds / rounds)) / Math.max(took, 1e-6)));
      break;
    }
    batch *= 4;
  }
  let perSecond = 0;
  let cpuPerSecond = 0;
  for (let round = 0; round < rounds; round++) {
    const cpu = process.cpuUsage();
    const start = process.hrtime.bigint();
    for (let i = 0; i < batch; i++) fn();
    const wall = secondsSince(start);
    const used = process.cpuUsage(cpu);
    perSecond = Math.max(perSecond, batch / wall);
    cpuPerSecond = Math.max(cpuPerSecond, batch / Math.max((used.user + used.system) / 1e6, 1e-9));
  }
  return { perSecond, cpuPerSecond };
}

/** The value below which `p` (0–1) of the sorted samples lie. */
export function percentile(samples: number[], p: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? Number.NaN;
}

/**
 * A figure with its baseline and ratio. `higherIsBetter` false (durations) makes the ratio
 * baseline / value, so that in every row a ratio of 1 means "as fast as the raw baseline".
 */
export function figure(input: {
  name: string;
  store: Figure["store"];
  value: number;
  unit: string;
  baseline: { name: string; value: number };
  higherIsBetter?: boolean;
  target?: { text: string; met: (f: { value: number; ratio: number }) => boolean };
  extra?: Figure["extra"];
  notes?: string;
}): Figure {
  const ratio = input.higherIsBetter === false ? input.baseline.value / input.value : input.value / input.baseline.value;
  return {
    name: input.name,
    store: input.store,
    value: input.value,
    unit: input.unit,
    baseline: input.baseline,
    ratio,
    ...(input.target ? { target: input.target.text, met: input.target.met({ value: input.value, ratio }) } : {}),
    ...(input.extra ? { extra: input.extra } : {}),
    ...(input.notes ? { notes: input.notes } : {}),
  };
}
