import { setTimeout as sleep } from "node:timers/promises";
import { keepAliveClient, pool, timed } from "../io-support.ts";
import { LIVE_LIMITS } from "./stripe-limits.ts";

export type Mode = "meter_events" | "meter_event_stream";

export interface DrainEvent {
  transactionId: string;
  customerId: string;
  quantity: number;
  timestamp: Date;
}

/** Requests the raw client keeps in flight on the v2 stream (100 events each). */
export const RAW_STREAM_IN_FLIGHT = 32;
/** Stripe takes up to 100 events per meter event stream request. */
const STREAM_EVENTS_PER_REQUEST = 100;
/** How long the raw client waits before resending a request Stripe answered 429. */
const RAW_RETRY_MS = 50;

/** The baseline's own description, for the figure. */
export function rawBaselineName(mode: Mode): string {
  return mode === "meter_events"
    ? `raw HTTP client, 1 event/request, one call in flight per customer, paced to ${LIVE_LIMITS.meter_events.toLocaleString("en-US")}/s`
    : `raw HTTP client, ${STREAM_EVENTS_PER_REQUEST} events/request, ${RAW_STREAM_IN_FLIGHT} in flight`;
}

/** Spaces calls `1 / perSecond` apart, whoever asks. */
function pacer(perSecond: number): () => Promise<void> {
  let next = 0;
  return async () => {
    const now = performance.now();
    const at = Math.max(now, next);
    next = at + 1000 / perSecond;
    if (at - now >= 1) await sleep(at - now);
  };
}

/**
 * The baseline: the same events sent straight to the stand-in by a plain keep-alive HTTP client,
 * shaped as the Stripe adapter sends them, and as a careful hand-written sender would pace them:
 * v1 one form-encoded event per call, each customer's calls one after another (Stripe's one
 * concurrent call per customer per meter), all of them paced to Stripe's 1,000 calls/s; v2 a
 * session, then 100 events per stream call, a fixed number in flight. A 429 is waited out
 * briefly and resent. Returns events/s and how many 429 answers it got.
 */
export async function rawSend(url: string, secretKey: string, eventName: string, mode: Mode, events: readonly DrainEvent[], stripeCustomer: (id: string) => string): Promise<{ rate: number; rateLimited: number }> {
  let rateLimited = 0;
  const customers = new Map<string, DrainEvent[]>();
  for (const event of events) {
    const lane = customers.get(event.customerId);
    if (lane) lane.push(event);
    else customers.set(event.customerId, [event]);
  }
  const client = keepAliveClient(url, mode === "meter_events" ? customers.size : RAW_STREAM_IN_FLIGHT);
  const send = async (path: string, body: string, headers: Record<string, string>, pace?: () => Promise<void>): Promise<string> => {
    for (;;) {
      await pace?.();
      const answer = await client.send("POST", path, body, headers);
      if (answer.status === 200) return answer.body;
      if (answer.status !== 429) throw new Error(`the stand-in answered ${answer.status}: ${answer.body.slice(0, 300)}`);
      rateLimited += 1;
      await sleep(RAW_RETRY_MS);
    }
  };
  try {
    const seconds = await timed(async () => {
      if (mode === "meter_events") await sendV1(send, secretKey, eventName, [...customers.values()], stripeCustomer);
      else await sendStream(send, secretKey, eventName, events, stripeCustomer);
    });
    return { rate: events.length / seconds, rateLimited };
  } finally {
    client.close();
  }
}

type Send = (path: string, body: string, headers: Record<string, string>, pace?: () => Promise<void>) => Promise<string>;

async function sendV1(send: Send, secretKey: string, eventName: string, lanes: DrainEvent[][], stripeCustomer: (id: string) => string): Promise<void> {
  const headers = { authorization: `Bearer ${secretKey}`, "content-type": "application/x-www-form-urlencoded" };
  const pace = pacer(LIVE_LIMITS.meter_events);
  await pool(lanes, lanes.length, async (lane) => {
    for (const event of lane) {
      const form = new URLSearchParams({
        event_name: eventName,
        identifier: event.transactionId,
        "payload[stripe_customer_id]": stripeCustomer(event.customerId),
        "payload[value]": String(event.quantity),
        timestamp: String(Math.floor(event.timestamp.getTime() / 1000)),
      });
      await send("/v1/billing/meter_events", form.toString(), headers, pace);
    }
  });
}

async function sendStream(send: Send, secretKey: string, eventName: string, events: readonly DrainEvent[], stripeCustomer: (id: string) => string): Promise<void> {
  const session = JSON.parse(await send("/v2/billing/meter_event_session", "{}", { authorization: `Bearer ${secretKey}`, "content-type": "application/json" })) as { authentication_token: string };
  const headers = { authorization: `Bearer ${session.authentication_token}`, "content-type": "application/json" };
  const chunks: DrainEvent[][] = [];
  for (let start = 0; start < events.length; start += STREAM_EVENTS_PER_REQUEST) chunks.push(events.slice(start, start + STREAM_EVENTS_PER_REQUEST));
  await pool(chunks, RAW_STREAM_IN_FLIGHT, async (chunk) => {
    const body = JSON.stringify({
      events: chunk.map((event) => ({
        event_name: eventName,
        identifier: event.transactionId,
        payload: { stripe_customer_id: stripeCustomer(event.customerId), value: String(event.quantity) },
        timestamp: event.timestamp.toISOString(),
      })),
    });
    await send("/v2/billing/meter_event_stream", body, headers);
  });
}
