import type Stripe from "stripe";
import type { BillingError } from "../../core/errors.ts";
import { failedOutcome, notAttemptedError } from "../errors.ts";
import type { PushOutcome } from "../types.ts";
import { isSessionExpired, stripeErrorToBillingError } from "./errors.ts";
import type { ReadyMeterEvent } from "./send-meter-events.ts";

/** Stripe takes up to 100 events per meter event stream request. */
export const STREAM_BATCH_SIZE = 100;
/** A session is renewed this long before it expires, so a request never starts on a dying token. */
const RENEW_BEFORE_MS = 60_000;

interface Session {
  token: string;
  expiresAt: number;
}

export interface MeterEventStream {
  send(ready: readonly ReadyMeterEvent[]): Promise<Map<number, PushOutcome>>;
}

/**
 * Sends meter events through the v2 meter event stream: a session token (valid 15 minutes) is
 * created once and reused, renewed shortly before it expires, and renewed and the request resent
 * once when Stripe answers `temporary_session_expired`. Stripe validates stream events
 * asynchronously, so a 2xx means "accepted"; billhub checks each event beforehand so that
 * asynchronous rejections are the exception. The `identifier` dedupes resends within 24 h.
 */
export function createMeterEventStream(client: Stripe, now: () => Date): MeterEventStream {
  let session: Session | undefined;
  let renewing: Promise<Session> | undefined;

  async function renew(): Promise<Session> {
    renewing ??= client.v2.billing.meterEventSession
      .create()
      .then((created) => {
        session = { token: created.authentication_token, expiresAt: Date.parse(String(created.expires_at)) };
        return session;
      })
      .finally(() => {
        renewing = undefined;
      });
    return renewing;
  }

  async function current(): Promise<Session> {
    if (session !== undefined && session.expiresAt - now().getTime() > RENEW_BEFORE_MS) return session;
    return renew();
  }

  async function post(chunk: readonly ReadyMeterEvent[]): Promise<void> {
    const events = chunk.map((item) => ({
      event_name: item.input.event_name,
      identifier: item.input.identifier,
      payload: item.input.payload,
      timestamp: item.input.timestamp.toISOString(),
    }));
    const token = (await current()).token;
    try {
      await client.v2.billing.meterEventStream.create({ events }, { apiKey: token });
    } catch (error) {
      if (!isSessionExpired(error)) throw error;
      if (session?.token === token) session = undefined;
      await client.v2.billing.meterEventStream.create({ events }, { apiKey: (await current()).token });
    }
  }

  async function send(ready: readonly ReadyMeterEvent[]): Promise<Map<number, PushOutcome>> {
    const outcomes = new Map<number, PushOutcome>();
    const chunks: ReadyMeterEvent[][] = [];
    for (let start = 0; start < ready.length; start += STREAM_BATCH_SIZE) chunks.push(ready.slice(start, start + STREAM_BATCH_SIZE));
    for (const [position, chunk] of chunks.entries()) {
      const failure = await attempt(chunk);
      if (failure === undefined) {
        for (const item of chunk) outcomes.set(item.index, { transactionId: item.transactionId, status: "delivered" });
        continue;
      }
      if (failure.retryable) {
        for (const item of chunk) outcomes.set(item.index, failedOutcome(item, failure));
        const skipped = notAttemptedError(failure);
        for (const item of chunks.slice(position + 1).flat()) outcomes.set(item.index, failedOutcome(item, skipped));
        break;
      }
      // A refusal of the whole request names no event: resend one at a time to find the one(s) at fault.
      for (const item of chunk) {
        const single = chunk.length === 1 ? failure : await attempt([item]);
        outcomes.set(item.index, single === undefined ? { transactionId: item.transactionId, status: "delivered" } : failedOutcome(item, single));
      }
    }
    return outcomes;
  }

  async function attempt(chunk: readonly ReadyMeterEvent[]): Promise<BillingError | undefined> {
    try {
      await post(chunk);
      return undefined;
    } catch (error) {
      return stripeErrorToBillingError(error, now());
    }
  }

  return { send };
}
