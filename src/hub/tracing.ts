import { SpanStatusCode, trace, type Attributes, type Span } from "@opentelemetry/api";
import { isBillingError } from "../core/errors.ts";

// The OpenTelemetry API is a no-op until the host app registers an SDK (NodeSDK, a
// NodeTracerProvider, ...): then every traced call becomes a span under the host's own request
// span, with nothing to configure in billhub.
const tracer = trace.getTracer("billhub");

/** One attribute value taken from untrusted input: strings and finite numbers only, strings cut to 256 characters. */
export function attribute(value: unknown): string | number | undefined {
  if (typeof value === "string") return value.length > 256 ? value.slice(0, 256) : value;
  if (typeof value === "number" && Number.isFinite(value)) return value;
  return undefined;
}

/** Attributes without the undefined ones (OpenTelemetry drops them anyway; this keeps spans tidy in tests). */
export function attributes(entries: Record<string, unknown>): Attributes {
  const out: Attributes = {};
  for (const [key, value] of Object.entries(entries)) {
    const kept = typeof value === "boolean" ? value : attribute(value);
    if (kept !== undefined) out[key] = kept;
  }
  return out;
}

/**
 * Runs `work` inside a span named `name`. A thrown error ends the span with status ERROR, the
 * exception recorded and, for a BillingError, `billhub.error.code`; `describe` adds attributes of
 * the result (the record's status, the check's answer).
 *
 * @example
 * await traced("billhub.check", { "billhub.customer_id": "org_42" }, () => check(...), (result) => ({ "billhub.allowed": result.allowed }))
 */
export function traced<T>(name: string, start: Attributes, work: (span: Span) => Promise<T>, describe?: (result: T) => Record<string, unknown>): Promise<T> {
  return tracer.startActiveSpan(name, { attributes: start }, async (span) => {
    try {
      const result = await work(span);
      if (describe !== undefined) span.setAttributes(attributes(describe(result)));
      return result;
    } catch (error) {
      if (isBillingError(error)) span.setAttribute("billhub.error.code", error.code);
      span.recordException(error instanceof Error ? error : String(error));
      span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.message : String(error) });
      throw error;
    } finally {
      span.end();
    }
  });
}

type AsyncMethod = (...args: any[]) => Promise<unknown>;

/** How one hub method is traced: its span's attributes from the arguments, and optionally from the result. */
export interface MethodTrace<M extends AsyncMethod> {
  args(...args: Parameters<M>): Record<string, unknown>;
  result?(result: Awaited<ReturnType<M>>): Record<string, unknown>;
}

/**
 * The same API with the named methods traced as `billhub.<method>` spans.
 *
 * @example traceMethods(ledger, { record: { args: (input) => ({ "billhub.customer_id": input?.customerId }) } })
 */
export function traceMethods<T extends object>(api: T, traces: { [K in keyof T]?: T[K] extends AsyncMethod ? MethodTrace<T[K]> : never }): T {
  const wrapped: Record<string, unknown> = { ...(api as Record<string, unknown>) };
  for (const [name, spec] of Object.entries(traces) as Array<[string, MethodTrace<AsyncMethod> | undefined]>) {
    const method = (api as Record<string, unknown>)[name];
    if (spec === undefined || typeof method !== "function") continue;
    wrapped[name] = (...args: unknown[]) =>
      traced(`billhub.${name}`, attributes(safely(() => spec.args(...args))), () => (method as AsyncMethod)(...args), spec.result && ((result) => safely(() => spec.result!(result))));
  }
  return wrapped as T;
}

/** Attributes are read from untrusted input: one that cannot be read is left out, never thrown. */
function safely(read: () => Record<string, unknown>): Record<string, unknown> {
  try {
    return read();
  } catch {
    return {};
  }
}
