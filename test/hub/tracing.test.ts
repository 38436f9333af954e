import { context, trace } from "@opentelemetry/api";
import { InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from "@opentelemetry/sdk-trace-base";
import { NodeTracerProvider } from "@opentelemetry/sdk-trace-node";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { Hub } from "../../src/hub.ts";
import { forwarderConfig, forwarderHub, METRONOME_URL } from "../support/forwarder.ts";
import { createMetronomeStandIn } from "../support/msw/metronome.ts";
import { useStandIns } from "../support/msw/use-stand-ins.ts";
import { openTestStore, type TestStore } from "../support/store.ts";
import { NOW } from "../support/usage-events.ts";

// What an app that registers an OpenTelemetry SDK sees of billhub: spans for its calls, joined
// to the app's own trace.
const exporter = new InMemorySpanExporter();
const provider = new NodeTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
const metronome = createMetronomeStandIn({ baseUrl: METRONOME_URL, now: () => NOW });
useStandIns(metronome);
let store: TestStore;
let hub: Hub;

beforeAll(async () => {
  provider.register();
  store = await openTestStore();
  hub = await forwarderHub(store, forwarderConfig({ default: "metronome" }));
  await hub.customers.upsert({ id: "traced_co" });
});
beforeEach(() => exporter.reset());
afterAll(async () => {
  await hub.close();
  await store.cleanup();
  trace.disable();
  context.disable();
  await provider.shutdown();
});

function spans(name: string): ReadableSpan[] {
  return exporter.getFinishedSpans().filter((span) => span.name === name);
}

describe("tracing with OpenTelemetry", () => {
  it("records each usage record as a billhub.record span with the customer, the meter and whether it was new", async () => {
    await hub.record({ customerId: "traced_co", meter: "api_calls", quantity: 2, transactionId: "trace_1" });
    await hub.record({ customerId: "traced_co", meter: "api_calls", quantity: 2, transactionId: "trace_1" });
    expect(spans("billhub.record").map((span) => span.attributes)).toEqual([
      { "billhub.customer_id": "traced_co", "billhub.meter": "api_calls", "billhub.record.status": "created" },
      { "billhub.customer_id": "traced_co", "billhub.meter": "api_calls", "billhub.record.status": "duplicate" },
    ]);
  });

  it("puts billhub's spans inside the host's own request span", async () => {
    const tracer = trace.getTracer("host-app");
    await tracer.startActiveSpan("GET /dashboard", async (span) => {
      await hub.check("traced_co", "api");
      span.end();
    });
    const [host] = spans("GET /dashboard");
    const [check] = spans("billhub.check");
    expect(check!.spanContext().traceId).toBe(host!.spanContext().traceId);
    expect(check!.parentSpanContext?.spanId).toBe(host!.spanContext().spanId);
    expect(check!.attributes).toMatchObject({ "billhub.customer_id": "traced_co", "billhub.feature": "api", "billhub.allowed": true });
  });

  it("ends a refused call's span with status ERROR and billhub's error code, and reads nothing it cannot from hostile input", async () => {
    await expect(hub.record({ customerId: "traced_co", meter: "no_such_meter", quantity: 1, transactionId: "trace_bad" })).rejects.toMatchObject({ code: "UNKNOWN_METER" });
    await expect(hub.record(null as never)).rejects.toMatchObject({ code: "INVALID_USAGE" });
    const [unknown, hostile] = spans("billhub.record");
    expect(unknown!.status).toMatchObject({ code: 2 });
    expect(unknown!.attributes).toMatchObject({ "billhub.error.code": "UNKNOWN_METER", "billhub.meter": "no_such_meter" });
    expect(unknown!.events.map((event) => event.name)).toEqual(["exception"]);
    expect(hostile!.attributes).toEqual({ "billhub.error.code": "INVALID_USAGE" });
  });

  it("traces each push to the provider with the provider, the batch size and the outcome counts", async () => {
    await hub.record({ customerId: "traced_co", meter: "api_calls", quantity: 5, transactionId: "trace_push" });
    await hub.outbox.drain();
    const [push] = spans("billhub.provider.push_usage");
    expect(push!.attributes).toMatchObject({ "billhub.provider": "metronome", "billhub.attempt": 1, "billhub.events.delivered": expect.any(Number) });
    expect(push!.attributes["billhub.batch.size"]).toBe(push!.attributes["billhub.events.delivered"]);
  });

  it("traces a webhook delivery with the provider and the status answered", async () => {
    const response = await hub.webhooks.stripe(new Request("https://hub.test/webhooks/stripe", { method: "POST", body: "{}", headers: { "stripe-signature": "t=1,v1=bad" } }));
    expect(spans("billhub.webhook").map((span) => span.attributes)).toEqual([{ "billhub.provider": "stripe", "http.response.status_code": response.status }]);
  });

  it("names the spans of namespaced calls as before, and a deprecated alias makes the same single span", async () => {
    await hub.customers.upsert({ id: "traced_co", name: "Traced" });
    await hub.upsertCustomer({ id: "traced_co" });
    expect(spans("billhub.upsertCustomer").map((span) => span.attributes)).toEqual([
      { "billhub.customer_id": "traced_co", "billhub.customer.created": false },
      { "billhub.customer_id": "traced_co", "billhub.customer.created": false },
    ]);
    await hub.customers.assign("traced_co", "free");
    expect(spans("billhub.assign").map((span) => span.attributes)).toEqual([{ "billhub.customer_id": "traced_co", "billhub.plan": "free" }]);
    await expect(hub.invoices.run({ period: "not-a-month" })).rejects.toMatchObject({ code: "VALIDATION_FAILED" });
    expect(spans("billhub.runInvoices").map((span) => span.attributes)).toEqual([{ "billhub.period": "not-a-month", "billhub.error.code": "VALIDATION_FAILED" }]);
    expect(exporter.getFinishedSpans().map((span) => span.name).sort()).toEqual(["billhub.assign", "billhub.runInvoices", "billhub.upsertCustomer", "billhub.upsertCustomer"]);
  });
});
