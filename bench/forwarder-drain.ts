import { fork, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { createHub } from "../src/hub.ts";
import { dropBenchSchema, freshStore, keepAliveClient, pool, storeKinds, timed, type BenchStore } from "./io-support.ts";
import type { StandInStats } from "./stripe-stand-in-process.ts";
import type { Benchmark, BenchOptions, Figure } from "./types.ts";

const CATALOG = fileURLToPath(new URL("../fixtures/catalog.json", import.meta.url));
const STAND_IN = fileURLToPath(new URL("./stripe-stand-in-process.ts", import.meta.url));
const SECRET_KEY = "sk_test_bench_forwarder";
const EVENT_NAME = "api_call";
const TARGET_STREAM_EVENTS_PER_S = 10_000;

/** The forwarder settings the drain runs with (the raw client copies its batching and concurrency). */
const FORWARDER = { batchSize: 1000, concurrency: 4 };
/** What the Stripe adapter sends per HTTP request: one event on v1, up to 100 on the v2 stream. */
const PER_REQUEST = { meter_events: 1, meter_event_stream: 100 } as const;

type Mode = keyof typeof PER_REQUEST;

interface StandInProcess {
  url: string;
  ask<T = unknown>(message: { type: string; prefix?: string }): Promise<T>;
}

/** Starts the Stripe stand-in in its own process (the forwarder and the stand-in do not share an event loop). */
async function startStandIn(): Promise<{ standIn: StandInProcess; child: ChildProcess }> {
  const child = fork(STAND_IN, [], { execArgv: ["--import", "tsx"], stdio: ["ignore", "inherit", "inherit", "ipc"] });
  const waiting = new Map<number, (reply: unknown) => void>();
  let nextId = 1;
  const url = await new Promise<string>((resolve, reject) => {
    child.on("message", (reply: { id: number; type: string; url?: string }) => {
      if (reply.type === "listening") resolve(reply.url!);
      waiting.get(reply.id)?.(reply);
      waiting.delete(reply.id);
    });
    child.once("exit", (code) => reject(new Error(`the Stripe stand-in exited (${code})`)));
  });
  const ask = <T>(message: { type: string; prefix?: string }) =>
    new Promise<T>((resolve) => {
      const id = nextId++;
      waiting.set(id, resolve as (reply: unknown) => void);
      child.send({ ...message, id });
    });
  return { standIn: { url, ask }, child };
}

interface Events {
  prefix: string;
  customers: string[];
  list: Array<{ transactionId: string; customerId: string; meter: string; quantity: number; timestamp: Date }>;
}

function makeEvents(count: number, customers: number): Events {
  const prefix = `fw${randomBytes(4).toString("hex")}`;
  const ids = Array.from({ length: customers }, (_, i) => `cus_fw_${i}`);
  const at = new Date();
  const list = Array.from({ length: count }, (_, n) => ({ transactionId: `${prefix}-${n}`, customerId: ids[n % customers]!, meter: "api_calls", quantity: 1 + (n % 7), timestamp: at }));
  return { prefix, customers: ids, list };
}

/** The Stripe customer id a bench customer is mapped to. */
const stripeCustomer = (customerId: string) => customerId.replace("cus_fw_", "cus_stripe_");

/**
 * The baseline: the same events sent straight to the stand-in by a plain keep-alive HTTP client,
 * shaped as the adapter sends them (v1: one form-encoded event per call; v2: a session, then
 * 100 events per stream call), with the forwarder's concurrency. Events/s.
 */
async function rawSend(standIn: StandInProcess, mode: Mode, events: Events): Promise<number> {
  const client = keepAliveClient(standIn.url, FORWARDER.concurrency);
  const ok = (answer: { status: number; body: string }) => {
    if (answer.status !== 200) throw new Error(`the stand-in answered ${answer.status}: ${answer.body.slice(0, 300)}`);
    return answer;
  };
  try {
    return await timedRate(events.list.length, async () => {
      if (mode === "meter_events") {
        const auth = { authorization: `Bearer ${SECRET_KEY}`, "content-type": "application/x-www-form-urlencoded" };
        await pool(events.list, FORWARDER.concurrency, async (event) => {
          const form = new URLSearchParams({
            event_name: EVENT_NAME,
            identifier: event.transactionId,
            "payload[stripe_customer_id]": stripeCustomer(event.customerId),
            "payload[value]": String(event.quantity),
            timestamp: String(Math.floor(event.timestamp.getTime() / 1000)),
          });
          ok(await client.send("POST", "/v1/billing/meter_events", form.toString(), auth));
        });
        return;
      }
      const session = JSON.parse(ok(await client.send("POST", "/v2/billing/meter_event_session", "{}", { authorization: `Bearer ${SECRET_KEY}`, "content-type": "application/json" })).body) as { authentication_token: string };
      const chunks: Events["list"][] = [];
      for (let start = 0; start < events.list.length; start += PER_REQUEST.meter_event_stream) chunks.push(events.list.slice(start, start + PER_REQUEST.meter_event_stream));
      const auth = { authorization: `Bearer ${session.authentication_token}`, "content-type": "application/json" };
      await pool(chunks, FORWARDER.concurrency, async (chunk) => {
        const body = JSON.stringify({
          events: chunk.map((event) => ({
            event_name: EVENT_NAME,
            identifier: event.transactionId,
            payload: { stripe_customer_id: stripeCustomer(event.customerId), value: String(event.quantity) },
            timestamp: event.timestamp.toISOString(),
          })),
        });
        ok(await client.send("POST", "/v2/billing/meter_event_stream", body, auth));
      });
    });
  } finally {
    client.close();
  }
}

async function timedRate(count: number, fn: () => Promise<void>): Promise<number> {
  return count / (await timed(fn));
}

/** Checks the stand-in received every event of the run exactly once; returns its counts. */
async function deliveredOnce(standIn: StandInProcess, events: Events, who: string): Promise<StandInStats> {
  const stats = await standIn.ask<StandInStats>({ type: "stats", prefix: `${events.prefix}-` });
  if (stats.held !== events.list.length || stats.arrivals !== events.list.length || stats.duplicates !== 0) {
    throw new Error(`${who}: the stand-in holds ${stats.held} of ${events.list.length} events after ${stats.arrivals} arrivals, ${stats.duplicates} duplicate identifiers`);
  }
  return stats;
}

/** Fills the outbox, measures the raw baseline, then drains with the forwarder; one figure. */
async function measure(store: BenchStore, standIn: StandInProcess, mode: Mode, count: number, log: BenchOptions["log"]): Promise<Figure> {
  const events = makeEvents(count, 50);
  const hub = await createHub(
    {
      catalog: CATALOG,
      store: store.config,
      provider: { default: "stripe" },
      stripe: { secretKey: SECRET_KEY, apiBase: standIn.url, mode, meters: { api_calls: { eventName: EVENT_NAME } } },
      forwarder: { ...FORWARDER, enabled: false },
    },
    { forwarder: { log } },
  );
  try {
    for (const id of events.customers) await hub.upsertCustomer({ id, providerIds: { stripe: stripeCustomer(id) } });
    for (let start = 0; start < events.list.length; start += 500) await hub.recordBatch(events.list.slice(start, start + 500));

    await standIn.ask({ type: "reset" });
    const raw = await rawSend(standIn, mode, events);
    await deliveredOnce(standIn, events, "raw client");
    await standIn.ask({ type: "reset" });

    // Halfway through a stream drain, every session expires (as 15 minutes running out would): the adapter must renew and resend without a duplicate.
    let expired = mode !== "meter_event_stream";
    const seconds = await timed(async () => {
      const report = await hub.outbox.drain({
        onBatch: (_batch, total) => {
          if (!expired && total.claimed >= count / 2) {
            expired = true;
            void standIn.ask({ type: "expire-sessions" });
          }
        },
      });
      if (report.delivered !== count || report.claimed !== count) throw new Error(`forwarder: ${JSON.stringify(report)} for ${count} events`);
    });
    const stats = await deliveredOnce(standIn, events, "forwarder");
    const outbox = await hub.outbox.status();
    if (outbox.totals.delivered !== count || outbox.totals.pending !== 0 || outbox.totals.dead !== 0) throw new Error(`outbox after the drain: ${JSON.stringify(outbox.totals)}`);
    const rate = count / seconds;
    log(`${store.name} ${mode}: forwarder ${count} events in ${seconds.toFixed(2)} s (${Math.round(rate)}/s), raw ${Math.round(raw)}/s`);
    return {
      name: `forwarder-drain (${mode === "meter_events" ? "v1 meter_events" : "v2 meter_event_stream"}, batch ${FORWARDER.batchSize}, concurrency ${FORWARDER.concurrency})`,
      store: store.name,
      value: rate,
      unit: "events/s",
      baseline: { name: `raw HTTP client, ${PER_REQUEST[mode]}/request, concurrency ${FORWARDER.concurrency}`, value: raw },
      ratio: rate / raw,
      ...(mode === "meter_event_stream" ? { target: `>= ${TARGET_STREAM_EVENTS_PER_S.toLocaleString("en-US")} events/s`, met: rate >= TARGET_STREAM_EVENTS_PER_S } : {}),
      extra: { events: count, duplicates: stats.duplicates, ...(mode === "meter_event_stream" ? { sessions: stats.sessionsCreated } : {}) },
      notes: "Stripe stand-in in its own process; every event checked held once, outbox all delivered",
    };
  } finally {
    await hub.close();
  }
}

export const forwarderDrain: Benchmark = {
  id: "forwarder-drain",
  title: "outbox forwarder drain to a Stripe stand-in over HTTP (v1 and v2 stream) vs a raw HTTP client",
  async run(options) {
    const sizes: Record<Mode, number> = options.smoke ? { meter_events: 200, meter_event_stream: 1000 } : { meter_events: 6000, meter_event_stream: 60_000 };
    const root = mkdtempSync(join(tmpdir(), "billhub-bench-drain-"));
    const { standIn, child } = await startStandIn();
    const figures: Figure[] = [];
    try {
      for (const kind of storeKinds(options.databaseUrl)) {
        for (const mode of ["meter_events", "meter_event_stream"] as const) {
          const store = freshStore(kind, options.databaseUrl, join(root, `${kind}-${mode}`));
          try {
            figures.push(await measure(store, standIn, mode, sizes[mode], options.log));
          } finally {
            await dropBenchSchema(store);
          }
        }
      }
    } finally {
      await standIn.ask({ type: "close" });
      child.kill();
      rmSync(root, { recursive: true, force: true });
    }
    return figures;
  },
};
