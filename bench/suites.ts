import { forwarderDrain } from "./forwarder-drain.ts";
import { httpIngest } from "./http-ingest.ts";
import type { Benchmark } from "./types.ts";

/** Every benchmark, in the order the table prints them. */
export const benchmarks: Benchmark[] = [httpIngest, forwarderDrain];
