import { describe, expect, it } from "vitest";
import { createMetrics } from "../../src/hub/metrics.ts";

describe("metrics registry", () => {
  it("renders counters, gauges and histograms in the Prometheus text format", async () => {
    const metrics = createMetrics();
    const recorded = metrics.counter("billhub_events_recorded_total", "Usage events recorded");
    recorded.inc({ status: "created" }, 3);
    recorded.inc({ status: "duplicate" });
    recorded.inc({ status: "created" });
    metrics.gauge("billhub_outbox_depth", "Pending outbox rows", async () => [{ labels: { provider: "stripe" }, value: 7 }]);
    const latency = metrics.histogram("billhub_latency_seconds", "Latency", [0.1, 1]);
    latency.observe({ route: "/x" }, 0.05);
    latency.observe({ route: "/x" }, 0.5);

    const text = await metrics.render();
    expect(text).toContain("# TYPE billhub_events_recorded_total counter");
    expect(text).toContain('billhub_events_recorded_total{status="created"} 4');
    expect(text).toContain('billhub_events_recorded_total{status="duplicate"} 1');
    expect(text).toContain('billhub_outbox_depth{provider="stripe"} 7');
    expect(text).toContain('billhub_latency_seconds_bucket{le="0.1",route="/x"} 1');
    expect(text).toContain('billhub_latency_seconds_bucket{le="1",route="/x"} 2');
    expect(text).toContain('billhub_latency_seconds_bucket{le="+Inf",route="/x"} 2');
    expect(text).toContain('billhub_latency_seconds_count{route="/x"} 2');
  });

  it("returns the same counter for the same name, so areas can share one", () => {
    const metrics = createMetrics();
    expect(metrics.counter("a_total", "A")).toBe(metrics.counter("a_total", "A"));
  });

  it("escapes quotes, backslashes and newlines in label values", async () => {
    const metrics = createMetrics();
    metrics.counter("x_total", "X").inc({ code: 'a"b\\c\nd' });
    expect(await metrics.render()).toContain('x_total{code="a\\"b\\\\c\\nd"} 1');
  });
});
