import type Metronome from "@metronome/sdk";

export interface MetronomeClientOptions {
  secretKey: string;
  /** Metronome's API base; without it the SDK uses METRONOME_BASE_URL, else https://api.metronome.com. */
  baseUrl?: string | undefined;
  timeoutMs?: number | undefined;
}

type Usage = Metronome["v1"]["usage"];

/** One usage event as `POST /v1/ingest` takes it. */
export type MetronomeUsageEvent = NonNullable<Parameters<Usage["ingest"]>[0]>["usage"] extends (infer U)[] | undefined ? U : never;
export type MetronomeUsageQuery = Parameters<Usage["list"]>[0];
export type MetronomeUsageAggregate = Awaited<ReturnType<Usage["list"]>>["data"][number];

/** The calls billhub makes through the Metronome SDK (tests may hand in any object that has them). */
export interface MetronomeClient {
  /** `client.v1.usage.ingest({ usage })`: POST /v1/ingest with a JSON array of events. */
  ingest(usage: MetronomeUsageEvent[]): Promise<void>;
  /** `client.v1.usage.list(query)` (POST /v1/usage), every page. */
  listUsage(query: MetronomeUsageQuery): Promise<MetronomeUsageAggregate[]>;
  /** `client.v1.billableMetrics.retrieve(...)` (GET /v1/billable-metrics/{id}): how the metric aggregates. */
  billableMetricAggregation(billableMetricId: string): Promise<string | undefined>;
}

/**
 * Builds the Metronome client billhub uses. Its own retries are off because the forwarder owns
 * retries (the SDK would otherwise retry 408/409/429/5xx twice, `client.js` `shouldRetry`). The SDK
 * is loaded at the first call, so a process configured with Metronome but never calling it, or
 * started for another job, does not carry it.
 *
 * @example
 * const client = createMetronomeClient({ secretKey: process.env.METRONOME_BEARER_TOKEN! });
 * await client.ingest([{ transaction_id: "tx_1", customer_id: "acme", event_type: "api_call", timestamp: "2026-03-10T12:00:00Z" }]);
 */
export function createMetronomeClient(options: MetronomeClientOptions): MetronomeClient {
  let client: Promise<Metronome> | undefined;
  const sdk = () =>
    (client ??= import("@metronome/sdk").then(
      ({ default: Metronome }) =>
        new Metronome({
          bearerToken: options.secretKey,
          maxRetries: 0,
          ...(options.timeoutMs === undefined ? {} : { timeout: options.timeoutMs }),
          ...(options.baseUrl === undefined ? {} : { baseURL: options.baseUrl }),
        }),
    ));
  return {
    ingest: async (usage) => (await sdk()).v1.usage.ingest({ usage }),
    listUsage: async (query) => {
      const aggregates: MetronomeUsageAggregate[] = [];
      for await (const aggregate of (await sdk()).v1.usage.list(query)) aggregates.push(aggregate);
      return aggregates;
    },
    billableMetricAggregation: async (billableMetricId) => (await (await sdk()).v1.billableMetrics.retrieve({ billable_metric_id: billableMetricId })).data.aggregation_type,
  };
}
