import type { Metrics } from "../metrics.ts";
import { pendingAndDead, type ProviderOutboxCounts } from "../../store/outbox/read.ts";
import type { Store } from "../../store/types.ts";

const PUSH_BUCKETS = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
/** Scrapes within this long share one read of the outbox. */
const COUNTS_TTL_MS = 1000;

/** Every configured provider gets a sample, 0 when it has no rows, so its series never vanishes. */
function withZeros(counts: ProviderOutboxCounts[], providers: readonly string[]): ProviderOutboxCounts[] {
  const seen = new Set(counts.map((c) => c.provider));
  const zeros = providers
    .filter((provider) => !seen.has(provider))
    .map((provider) => ({ provider, pending: 0, due: 0, inFlight: 0, delivered: 0, dead: 0, oldestPendingAt: null, oldestPendingAgeSeconds: null }));
  return [...counts, ...zeros];
}

/** What the forwarder reports to `/metrics`. */
export interface ForwarderMetrics {
  /** One settled row: delivered, already_delivered, retry_later, dead or lease_lost. */
  settled(provider: string, outcome: string, count?: number): void;
  /** How long one `pushUsage` call took. */
  pushed(provider: string, seconds: number): void;
}

/**
 * Registers the outbox's series: depth (pending, dead) and oldest pending age per provider as
 * gauges read from the database at scrape time, deliveries by provider and outcome, push latency.
 * A scrape never fails because the database does: the gauges are then left out.
 */
export function forwarderMetrics(metrics: Metrics, store: Store, providers: readonly string[]): ForwarderMetrics {
  let cached: { at: number; counts: Promise<ProviderOutboxCounts[]> } | undefined;
  const counts = (): Promise<ProviderOutboxCounts[]> => {
    const now = Date.now();
    if (cached === undefined || now - cached.at > COUNTS_TTL_MS) {
      cached = { at: now, counts: pendingAndDead(store).then((result) => withZeros(result.providers, providers), () => []) };
    }
    return cached.counts;
  };
  const gauge = (name: string, help: string, value: (counts: ProviderOutboxCounts) => number | null) =>
    metrics.gauge(name, help, async () =>
      (await counts()).flatMap((c) => {
        const v = value(c);
        return v === null ? [] : [{ labels: { provider: c.provider }, value: v }];
      }),
    );
  gauge("billhub_outbox_pending", "Outbox rows not delivered yet, by provider", (c) => c.pending);
  gauge("billhub_outbox_dead", "Outbox rows given up on (replayable), by provider", (c) => c.dead);
  gauge("billhub_outbox_oldest_pending_age_seconds", "Age of the oldest undelivered outbox row, by provider", (c) => c.oldestPendingAgeSeconds ?? 0);
  const deliveries = metrics.counter("billhub_outbox_deliveries_total", "Settled outbox rows by provider and outcome");
  const latency = metrics.histogram("billhub_outbox_push_duration_seconds", "Duration of one pushUsage call, by provider", PUSH_BUCKETS);
  return {
    settled: (provider, outcome, count = 1) => deliveries.inc({ provider, outcome }, count),
    pushed: (provider, seconds) => latency.observe({ provider }, seconds),
  };
}
