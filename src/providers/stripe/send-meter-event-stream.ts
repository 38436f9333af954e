import type Stripe from "stripe";
import type { BillingError } from "../../core/errors.ts";
import { failedOutcome } from "../errors.ts";
import type { RequestLimiter } from "../request-limiter.ts";
import { sendConcurrently } from "../send-concurrently.ts";
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
 * once when Stripe answers `temporary_session_expired`. A push's requests (100 events each) go
 * concurrently within the limiter's rate and window. Stripe validates stream events
 * asynchronously, so a 2xx means "accepted"; billhub checks each event beforehand so that
 * asynchronous rejections are the exception. The `identifier` dedupes resends within 24 h.
 */
export function createMeterEventStream(client: Stripe, limiter: RequestLimiter, now: () => Date): MeterEventStream {
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
    const chunks: Array<{ items: ReadyMeterEvent[] }> = [];
    for (let start = 0; start < ready.length; start += STREAM_BATCH_SIZE) chunks.push({ items: ready.slice(start, start + STREAM_BATCH_SIZE) });
    const outcomes = await sendConcurrently(limiter, chunks, async ({ items }) => outcomesOf(items, await attempt(items)), "stripe");
    // A refusal of a whole request names no event: resend its events one at a time to find the one(s) at fault.
    const refused = chunks.filter(({ items }) => items.length > 1 && items.every((item) => isRefusal(outcomes.get(item.index))));
    if (refused.length === 0) return outcomes;
    const singles = refused.flatMap(({ items }) => items.map((item) => ({ items: [item] })));
    for (const [index, outcome] of await sendConcurrently(limiter, singles, async ({ items }) => outcomesOf(items, await attempt(items)), "stripe")) outcomes.set(index, outcome);
    return outcomes;
  }

  function outcomesOf(items: readonly ReadyMeterEvent[], failure: BillingError | undefined): PushOutcome[] {
    return items.map((item) => (failure === undefined ? { transactionId: item.transactionId, status: "delivered" } : failedOutcome(item, failure)));
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

/** A permanent answer to a request: Stripe refused what it carried (not an outage, not a rate limit). */
function isRefusal(outcome: PushOutcome | undefined): boolean {
  return outcome !== undefined && outcome.status === "permanent";
}
