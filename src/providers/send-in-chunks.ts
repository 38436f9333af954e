import { BillingError } from "../core/errors.ts";
import { failedOutcome, notAttemptedError, stopsBatch } from "./errors.ts";
import type { RequestLimiter } from "./request-limiter.ts";
import type { ProviderUsageEvent, PushOutcome } from "./types.ts";

/** An event of the batch ready to send: its place in the batch and the provider's own shape of it. */
export interface ReadyEvent<T> {
  index: number;
  event: ProviderUsageEvent;
  item: T;
}

/** One outcome slot per event of the batch, filled as the batch is prepared and sent. */
export type OutcomeSlots = (PushOutcome | undefined)[];

/**
 * Prepares each event of a batch: the provider's shape of it, or the refusal that keeps it from
 * being sent (recorded as its outcome at once).
 *
 * @example
 * const { outcomes, ready } = prepareEach(batch, (event) => (mapped(event) ? toItem(event) : unmappedError(event)));
 */
export function prepareEach<T>(batch: readonly ProviderUsageEvent[], prepare: (event: ProviderUsageEvent) => T | BillingError): { outcomes: OutcomeSlots; ready: ReadyEvent<T>[] } {
  const outcomes: OutcomeSlots = Array.from({ length: batch.length });
  const ready: ReadyEvent<T>[] = [];
  for (const [index, event] of batch.entries()) {
    const item = prepare(event);
    if (item instanceof BillingError) outcomes[index] = failedOutcome(event, item);
    else ready.push({ index, event, item });
  }
  return { outcomes, ready };
}

/**
 * Sends the ready events in requests of at most `size`, one after another. When a request fails in
 * a way that stops the batch (a refused key, a rate limit, an outage), the events of the requests
 * after it are not sent: each gets a "not sent" error of the same kind.
 *
 * @example
 * await sendInChunks(ready, outcomes, 100, (chunk) => sendOrSplit(chunk, outcomes, request));
 */
export async function sendInChunks<T>(ready: readonly ReadyEvent<T>[], outcomes: OutcomeSlots, size: number, sendChunk: (chunk: readonly ReadyEvent<T>[]) => Promise<BillingError | undefined>): Promise<void> {
  const chunks: ReadyEvent<T>[][] = [];
  for (let start = 0; start < ready.length; start += size) chunks.push(ready.slice(start, start + size));
  for (const [position, chunk] of chunks.entries()) {
    const failure = await sendChunk(chunk);
    if (failure !== undefined && stopsBatch(failure)) {
      skipRest(chunks.slice(position + 1).flat(), outcomes, failure);
      return;
    }
  }
}

/** How one request to the provider is made and its answer read. */
export interface ChunkRequest<T, A> {
  /** Paces the requests; told about their 429 answers. */
  limiter: RequestLimiter;
  /** Sends the items in one request (the SDK call), resolving the provider's answer. */
  send(items: T[]): Promise<A>;
  /** One outcome per event of an accepted request, in order. */
  accepted(answer: A, chunk: readonly ReadyEvent<T>[]): PushOutcome[];
  /** Maps what `send` threw to a BillingError. */
  toError(error: unknown): BillingError;
  /** The outcome's error for one event the provider refused alone (default: the refusal itself). */
  refusedAlone?(ready: ReadyEvent<T>, failure: BillingError): BillingError;
}

/**
 * Sends one request and records its outcomes; returns the failure when the whole request failed and
 * was not resolved one by one. A failure that is retryable or stops the batch fails every event of
 * the request. A refusal of a request of several events sends each alone to find the one at fault
 * (the provider's deduplication keeps the others from counting twice), stopping when one of those
 * requests stops the batch.
 *
 * @example
 * await sendOrSplit(chunk, outcomes, { limiter, send: (items) => client.ingest(items), accepted: (_, chunk) => chunk.map(delivered), toError });
 */
export async function sendOrSplit<T, A>(chunk: readonly ReadyEvent<T>[], outcomes: OutcomeSlots, request: ChunkRequest<T, A>): Promise<BillingError | undefined> {
  try {
    const answer = await request.limiter.run(() => request.send(chunk.map((ready) => ready.item)));
    const answered = request.accepted(answer, chunk);
    for (const [position, ready] of chunk.entries()) outcomes[ready.index] = answered[position];
    return undefined;
  } catch (error) {
    const failure = request.toError(error);
    if (failure.code === "PROVIDER_RATE_LIMITED") request.limiter.rateLimited(failure.retryAfterSeconds);
    if (failure.retryable || stopsBatch(failure)) {
      for (const ready of chunk) outcomes[ready.index] = failedOutcome(ready.event, failure);
      return failure;
    }
    if (chunk.length === 1) {
      const ready = chunk[0]!;
      outcomes[ready.index] = failedOutcome(ready.event, request.refusedAlone?.(ready, failure) ?? failure);
      return failure;
    }
    for (const [position, ready] of chunk.entries()) {
      const alone = await sendOrSplit([ready], outcomes, request);
      if (alone !== undefined && stopsBatch(alone)) {
        skipRest(chunk.slice(position + 1), outcomes, alone);
        return alone;
      }
    }
    return undefined;
  }
}

/** Every event's outcome, in batch order; a slot left empty is a bug of the provider's sender. */
export function allOutcomes(outcomes: OutcomeSlots, provider: string): PushOutcome[] {
  return outcomes.map((outcome, index) => {
    if (outcome === undefined) throw new Error(`${provider} provider produced no outcome for event ${index}`);
    return outcome;
  });
}

/** Marks events left unsent because `cause` stopped the batch. */
export function skipRest(rest: readonly ReadyEvent<unknown>[], outcomes: OutcomeSlots, cause: BillingError): void {
  const skipped = notAttemptedError(cause);
  for (const ready of rest) outcomes[ready.index] = failedOutcome(ready.event, skipped);
}
