import type { HubAreas } from "./namespaces.ts";
import { traceMethods } from "./tracing.ts";

/** Reads one field of an argument that may be anything (the hub validates it; tracing only looks). */
function field(value: unknown, key: string): unknown {
  return typeof value === "object" && value !== null ? (value as Record<string, unknown>)[key] : undefined;
}

/**
 * The areas' request-time and job methods traced: `billhub.record`, `billhub.check`,
 * `billhub.consume`, `billhub.runInvoices`, ... as OpenTelemetry spans carrying the customer,
 * feature or meter and the outcome. No span is recorded unless the host registers an SDK. The
 * span is named for the area's method, so `hub.invoices.run` (and its deprecated alias
 * `hub.runInvoices`) is a `billhub.runInvoices` span.
 */
export function traceHub(hub: HubAreas): HubAreas {
  return traceMethods(hub, {
    record: {
      args: (input) => ({ "billhub.customer_id": field(input, "customerId"), "billhub.meter": field(input, "meter") }),
      result: (result) => ({ "billhub.record.status": result.status }),
    },
    recordBatch: {
      args: (inputs) => ({ "billhub.batch.size": Array.isArray(inputs) ? inputs.length : undefined }),
      result: (results) => ({ "billhub.batch.created": results.filter((result) => result.status === "created").length }),
    },
    adjust: {
      args: (input) => ({ "billhub.customer_id": field(input, "customerId"), "billhub.meter": field(input, "meter") }),
      result: (result) => ({ "billhub.record.status": result.status }),
    },
    check: {
      args: (customerId, feature) => ({ "billhub.customer_id": customerId, "billhub.feature": feature }),
      result: (result) => ({ "billhub.allowed": result.allowed }),
    },
    consume: {
      args: (customerId, feature, amount) => ({ "billhub.customer_id": customerId, "billhub.feature": feature, "billhub.amount": String(amount) }),
      result: (result) => ({ "billhub.allowed": result.allowed, "billhub.consume.status": result.status }),
    },
    usage: { args: (query) => ({ "billhub.customer_id": field(query, "customerId"), "billhub.meter": field(query, "meter") }) },
    previewInvoice: {
      args: (customerId) => ({ "billhub.customer_id": customerId }),
      result: (invoice) => ({ "billhub.invoice.subtotal": invoice.subtotal, "billhub.invoice.currency": invoice.currency }),
    },
    runInvoices: {
      args: (input) => ({ "billhub.period": field(input, "period") }),
      result: (result) => ({ "billhub.invoices.total": result.total, "billhub.invoices.invoiced": result.invoiced }),
    },
    upsertCustomer: { args: (input) => ({ "billhub.customer_id": field(input, "id") }), result: (result) => ({ "billhub.customer.created": result.created }) },
    assign: { args: (customerId, plan) => ({ "billhub.customer_id": customerId, "billhub.plan": plan }) },
    reconcile: { args: (input) => ({ "billhub.provider": field(input, "provider") }) },
  });
}
