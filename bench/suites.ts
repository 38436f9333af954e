import { check } from "./check.ts";
import { consumeCredits } from "./consume-credits.ts";
import { forwarderDrain } from "./forwarder-drain.ts";
import { forwarderMemoryBenchmark } from "./forwarder-memory.ts";
import { httpIngest } from "./http-ingest.ts";
import { invoiceRun } from "./invoice-run.ts";
import { invoiceRunFlat } from "./invoice-run-flat.ts";
import { pricing } from "./pricing.ts";
import { record } from "./record.ts";
import { webhook } from "./webhook.ts";
import type { Benchmark } from "./types.ts";

/** Every benchmark, in the order the table prints them. */
export const benchmarks: Benchmark[] = [record, httpIngest, forwarderDrain, forwarderMemoryBenchmark, pricing, check, consumeCredits, webhook, invoiceRun, invoiceRunFlat];
