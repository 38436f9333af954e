import type { Event, MeterQueryRow, OpenMeter, RequestOptions } from "@openmeter/sdk";
import { OpenMeterCallError } from "./errors.ts";

export interface OpenMeterClientOptions {
  secretKey: string;
  /** OpenMeter's API base (https://openmeter.cloud, or a self-hosted instance). */
  baseUrl: string;
  /** Each request is aborted after this long; the SDK itself sets no timeout. */
  timeoutMs: number;
}

/** One CloudEvent as `POST /api/v1/events` takes it (`Event` in the SDK's `schemas.d.ts`). */
export type OpenMeterEvent = Event & { id: string; source: string; time: Date };
export type { MeterQueryRow };

export interface OpenMeterMeterQuery {
  from: Date;
  to: Date;
  subject: string;
}

/** The calls billhub makes through the OpenMeter SDK (tests may hand in any object that has them). */
export interface OpenMeterClient {
  /** `om.events.ingest(events)`: one `POST /api/v1/events` with `application/cloudevents-batch+json`; 204 on success. */
  ingest(events: OpenMeterEvent[]): Promise<void>;
  /** `om.meters.query(slug, { from, to, subject })` (GET /api/v1/meters/{meterIdOrSlug}/query): one row per subject over the whole window. */
  queryMeter(meterSlug: string, query: OpenMeterMeterQuery): Promise<MeterQueryRow[]>;
  /** `om.meters.get(slug)` (GET /api/v1/meters/{meterIdOrSlug}): how the meter aggregates (`SUM`, `COUNT`, ...). */
  meterAggregation(meterSlug: string): Promise<string>;
}

/**
 * Builds the OpenMeter client billhub uses. The SDK is built on openapi-fetch and neither retries
 * nor times out, so the forwarder owns retries and each call here carries its own
 * `AbortSignal.timeout`. Each call also passes its own `fetch` (the SDK spreads a call's options
 * into openapi-fetch's, `dist/src/client/events.js`), which keeps the answer's headers: the SDK's
 * `HTTPError` drops them, and a 429's `Retry-After` is among them. That `fetch` reads
 * `globalThis.fetch` at call time, so whatever fetch is in place then (msw's, in tests) is used.
 * The SDK is loaded at the first call.
 *
 * @example
 * const client = createOpenMeterClient({ secretKey: process.env.OPENMETER_API_KEY!, baseUrl: "https://openmeter.cloud", timeoutMs: 30_000 });
 * await client.ingest([{ id: "tx_1", source: "billhub", specversion: "1.0", type: "api_call", subject: "acme", time: new Date(), data: { value: "1" } }]);
 */
export function createOpenMeterClient(options: OpenMeterClientOptions): OpenMeterClient {
  let client: Promise<OpenMeter> | undefined;
  const sdk = () => (client ??= import("@openmeter/sdk").then(({ OpenMeter }) => new OpenMeter({ baseUrl: options.baseUrl, apiKey: options.secretKey, fetch: (request: Request) => globalThis.fetch(request) })));

  async function call<T>(send: (om: OpenMeter, requestOptions: RequestOptions) => Promise<T>): Promise<T> {
    const om = await sdk();
    let answer: Response | undefined;
    const requestOptions = {
      signal: AbortSignal.timeout(options.timeoutMs),
      fetch: async (request: Request) => (answer = await globalThis.fetch(request)),
    };
    try {
      return await send(om, requestOptions);
    } catch (error) {
      throw new OpenMeterCallError(error, answer, options.timeoutMs);
    }
  }

  return {
    ingest: (events) => call(async (om, requestOptions) => void (await om.events.ingest(events, requestOptions))),
    queryMeter: (meterSlug, query) => call(async (om, requestOptions) => (await om.meters.query(meterSlug, { from: query.from, to: query.to, subject: [query.subject] }, requestOptions)).data),
    meterAggregation: (meterSlug) =>
      call(async (om, requestOptions) => {
        const meter = await om.meters.get(meterSlug, requestOptions);
        if (meter === undefined) throw new Error(`OpenMeter returned no meter for ${meterSlug}`);
        return meter.aggregation;
      }),
  };
}
