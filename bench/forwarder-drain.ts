import { randomBytes } from "node:crypto";
import { fileURLToPath } from "node:url";
import { createHub, type Hub } from "../src/hub.ts";
import { storeKinds } from "./io-support.ts";
import { freshDrainStore, type DrainStore } from "./support/drain-stores.ts";
import { drainAll } from "./support/drain-all.ts";
import { rawBaselineName, rawSend, type DrainEvent, type Mode } from "./support/raw-stripe-sender.ts";
import { EVENT_NAME, SECRET_KEY, startStandIn, stripeMeters, type StandIn } from "./support/stand-in-process.ts";
import { LIVE_LIMITS } from "./support/stripe-limits.ts";
import { IncompleteBenchmark, type Benchmark, type BenchOptions, type Figure } from "./types.ts";

const CATALOG = fileURLToPath(new URL("../fixtures/catalog.json", import.meta.url));
const CUSTOMERS = 200;
/** The stream target: 10,000 events/s (100 requests/s of 100 events, far inside Stripe's 10,000 requests/s). */
const STREAM_TARGET_EVENTS_PER_S = 10_000;
/** The documented limit each mode's events/s is compared with. */
const LIMIT_EVENTS_PER_S: Record<Mode, number> = { meter_events: LIVE_LIMITS.meter_events, meter_event_stream: STREAM_TARGET_EVENTS_PER_S };
const MAX_RATE_LIMITED_SHARE = 0.05;
/** The longest one drain may take; a slower one is stopped and reports the rate it reached. */
const DRAIN_BUDGET_MS = 60_000;

/** The Stripe customer id a bench customer is mapped to. */
const stripeCustomer = (customerId: string) => customerId.replace("cus_fw_", "cus_stripe_");

interface Events {
  prefix: string;
  customers: string[];
  list: DrainEvent[];
}

/** `count` events of `customers` customers, interleaved, with random transaction ids under one prefix. */
function makeEvents(count: number, customers: number): Events {
  const prefix = `fw${randomBytes(4).toString("hex")}-`;
  const ids = Array.from({ length: customers }, (_, i) => `cus_fw_${i}`);
  const at = new Date();
  const list = Array.from({ length: count }, (_, n) => ({ transactionId: `${prefix}${randomBytes(8).toString("hex")}`, customerId: ids[n % customers]!, quantity: 1 + (n % 7), timestamp: at }));
  return { prefix, customers: ids, list };
}

/** Checks the stand-in holds every event of the run exactly once; returns its counts. */
async function deliveredOnce(standIn: StandIn, events: Events, who: string) {
  const stats = await standIn.stats(events.prefix);
  if (stats.held !== events.list.length || stats.arrivals !== events.list.length || stats.duplicates !== 0) {
    throw new Error(`${who}: the stand-in holds ${stats.held} of ${events.list.length} events after ${stats.arrivals} arrivals, ${stats.duplicates} duplicate identifiers`);
  }
  return stats;
}

/** The forwarder settings in force (its defaults: the benchmark passes none), for the figure. */
function forwarderDefaults(hub: Hub): string {
  const settings = hub.config.forwarder as unknown as Record<string, unknown>;
  return ["batchSize", "concurrency"].filter((key) => typeof settings[key] === "number").map((key) => `${key}=${settings[key]}`).join(",");
}

interface Run {
  store: DrainStore;
  standIn: StandIn;
  mode: Mode;
  latencyMs: number;
  count: number;
  customers: number;
  log: BenchOptions["log"];
}

function target(run: Run): { text: string; met: (rate: number, share: number) => boolean } | undefined {
  const share = `429s <= ${MAX_RATE_LIMITED_SHARE * 100}% of requests`;
  if (run.store.name === "postgres" && run.latencyMs === 100) {
    if (run.mode === "meter_events") return { text: `>= 800 events/s (0.8 × 1,000), 0 duplicates, ${share}`, met: (rate, s) => rate >= 800 && s <= MAX_RATE_LIMITED_SHARE };
    return { text: `>= 10,000 events/s, 0 duplicates, ${share}`, met: (rate, s) => rate >= STREAM_TARGET_EVENTS_PER_S && s <= MAX_RATE_LIMITED_SHARE };
  }
  if (run.store.name === "pglite" && run.latencyMs === 0 && run.mode === "meter_event_stream") return { text: ">= 10,000 events/s", met: (rate) => rate >= STREAM_TARGET_EVENTS_PER_S };
  return undefined;
}

/** Fills the outbox, measures the raw baseline, then drains with the forwarder's defaults; one figure. */
async function measure(run: Run): Promise<Figure> {
  const { store, standIn, mode, latencyMs, count } = run;
  const events = makeEvents(count, run.customers);
  const setupStarted = performance.now();
  const hub = await createHub(
    {
      catalog: CATALOG,
      store: store.config,
      provider: { default: "stripe" },
      stripe: { secretKey: SECRET_KEY, apiBase: standIn.url, mode, meters: stripeMeters(EVENT_NAME) },
      forwarder: { enabled: false },
    },
    { forwarder: { log: run.log }, ...(store.open ? { store: store.open } : {}) },
  );
  try {
    for (const id of events.customers) await hub.customers.upsert({ id, providerIds: { stripe: stripeCustomer(id) } });
    for (let start = 0; start < events.list.length; start += 500) {
      await hub.recordBatch(events.list.slice(start, start + 500).map((event) => ({ ...event, meter: "api_calls" })));
    }

    const setupSeconds = (performance.now() - setupStarted) / 1000;
    await standIn.configure({ latencyMs, rateLimits: true });
    await standIn.reset();
    const raw = await rawSend(standIn.url, SECRET_KEY, EVENT_NAME, mode, events.list, stripeCustomer);
    await deliveredOnce(standIn, events, "raw client");
    await standIn.reset();

    const drained = await drainAll(hub, count, { budgetMs: DRAIN_BUDGET_MS, ...(mode === "meter_event_stream" ? { onHalfway: () => void standIn.expireSessions() } : {}) });
    const stats = await standIn.stats(events.prefix);
    // Every event the stand-in holds arrived once; a drain stopped by its budget holds at least what the outbox counts delivered.
    if (stats.duplicates !== 0 || stats.arrivals !== stats.held || stats.held < drained.delivered || (drained.complete && stats.held !== count)) {
      throw new Error(`forwarder: the stand-in holds ${stats.held} of ${count} events (outbox: ${drained.delivered} delivered) after ${stats.arrivals} arrivals, ${stats.duplicates} duplicate identifiers`);
    }
    const { totals } = await hub.outbox.status();
    if (drained.complete && (totals.delivered !== count || totals.pending !== 0 || totals.dead !== 0)) throw new Error(`outbox after the drain: ${JSON.stringify(totals)}`);
    const { seconds, retryLater } = drained;
    const rate = drained.delivered / seconds;
    const requests = stats.requests[mode];
    const rateLimited = stats.rateLimited[mode];
    const share = requests === 0 ? 0 : rateLimited / requests;
    const goal = target(run);
    run.log(`${store.name} ${mode} ${latencyMs} ms: forwarder ${drained.delivered} of ${count} events in ${seconds.toFixed(2)} s (${Math.round(rate)}/s, ${rateLimited} of ${requests} requests 429), raw ${Math.round(raw.rate)}/s; setup ${setupSeconds.toFixed(1)} s`);
    return {
      name: `forwarder-drain (${mode === "meter_events" ? "v1 meter_events" : "v2 meter_event_stream"}, ${latencyMs} ms)`,
      store: store.name,
      value: rate,
      unit: "events/s",
      baseline: { name: rawBaselineName(mode), value: raw.rate },
      ratio: rate / raw.rate,
      ...(goal ? { target: goal.text, met: drained.complete && goal.met(rate, share) } : {}),
      extra: {
        ofLimit: Number((rate / LIMIT_EVENTS_PER_S[mode]).toFixed(3)),
        requests,
        "429s": rateLimited,
        "429share%": Number((share * 100).toFixed(2)),
        duplicates: stats.duplicates,
        events: count,
        ...(drained.complete ? {} : { stoppedAfterS: DRAIN_BUDGET_MS / 1000, delivered: drained.delivered }),
        ...(mode === "meter_events" ? { customerConcurrency: stats.customerConcurrency } : { sessions: stats.requests.meter_event_session }),
        maxInFlight: stats.maxInFlight[mode],
        retryLater,
        raw429s: raw.rateLimited,
        defaults: forwarderDefaults(hub),
      },
      notes: `Stripe stand-in in its own process, answers held ${latencyMs} ms, Stripe's live limits enforced (429 over them); forwarder with its default settings; ofLimit = events/s ÷ ${LIMIT_EVENTS_PER_S[mode].toLocaleString("en-US")}; every event checked held once, outbox all delivered`,
    };
  } finally {
    await hub.close();
  }
}

/** The row of a measurement that failed, so the table shows it beside the others. */
function failedFigure(run: Run, error: unknown): Figure {
  const goal = target(run);
  return {
    name: `forwarder-drain (${run.mode === "meter_events" ? "v1 meter_events" : "v2 meter_event_stream"}, ${run.latencyMs} ms)`,
    store: run.store.name,
    value: 0,
    unit: "events/s (FAILED)",
    ...(goal ? { target: goal.text, met: false } : {}),
    extra: { error: (error instanceof Error ? error.message : String(error)).slice(0, 160) },
  };
}

export const forwarderDrain: Benchmark = {
  id: "forwarder-drain",
  title: "outbox forwarder drain (default settings) to a Stripe stand-in 0–100 ms away with Stripe's live limits (v1 and v2 stream) vs a raw HTTP client",
  async run(options) {
    const sizes: Record<Mode, number> = options.smoke ? { meter_events: 60, meter_event_stream: 500 } : { meter_events: 20_000, meter_event_stream: 60_000 };
    const customers = options.smoke ? 20 : CUSTOMERS;
    const latencies = options.smoke ? [0, 50] : [0, 50, 100];
    const standIn = await startStandIn();
    const figures: Figure[] = [];
    const failures: string[] = [];
    try {
      for (const kind of storeKinds(options.databaseUrl)) {
        for (const latencyMs of latencies) {
          for (const mode of ["meter_events", "meter_event_stream"] as const) {
            const store = await freshDrainStore(kind, options);
            try {
              figures.push(await measure({ store, standIn, mode, latencyMs, count: sizes[mode], customers, log: options.log }));
            } catch (error) {
              failures.push(`${kind} ${mode} ${latencyMs} ms`);
              options.log(`FAILED ${kind} ${mode} ${latencyMs} ms: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
              figures.push(failedFigure({ store, standIn, mode, latencyMs, count: sizes[mode], customers, log: options.log }, error));
            } finally {
              await store.drop();
            }
          }
        }
      }
    } finally {
      await standIn.close();
    }
    if (failures.length > 0) throw new IncompleteBenchmark(`failed: ${failures.join("; ")}`, figures);
    return figures;
  },
};
