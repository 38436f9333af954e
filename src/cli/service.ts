import { BillingError, ERROR_CODES, type BillingErrorCode } from "../core/errors.ts";
import type { RunInvoicesInput, RunInvoicesResult } from "../hub/invoicing/run-invoices.ts";
import type { OutboxStatus, ReplayResult, ReplayTarget } from "../hub/outbox.ts";
import type { AlertsApi } from "../hub/alerts/index.ts";

/**
 * A running `billhub serve` a command acts through (`--url` and `--api-key`, or BILLHUB_URL and
 * BILLHUB_API_KEY) instead of opening the store itself: the way to work on an embedded store the
 * service holds, which no second process may open.
 */
export interface Service {
  url: string;
  apiKey: string;
  /** Given as `--url` (a command that cannot act through the service refuses it), not only by BILLHUB_URL (then ignored there). */
  explicit: boolean;
}

/** What the commands that have an HTTP equivalent need of a hub; a `Hub` is one, and so is `serviceHub(service)`. */
export interface ServiceHub {
  outbox: {
    status(): Promise<Omit<OutboxStatus, "at">>;
    replay(target: ReplayTarget): Promise<ReplayResult>;
  };
  alerts: Pick<AlertsApi["alerts"], "replay">;
  invoices: {
    /** Over HTTP there is no progress: `onProgress` is not called. */
    run(input: RunInvoicesInput): Promise<RunInvoicesResult>;
  };
}

/** An invoice run of a large month takes minutes; nothing else a command asks should take more than seconds. */
const RUN_TIMEOUT_MS = 30 * 60_000;
const TIMEOUT_MS = 60_000;

async function call<T>(service: Service, method: "GET" | "POST", path: string, body: unknown, timeoutMs = TIMEOUT_MS): Promise<T> {
  const url = `${service.url.replace(/\/+$/, "")}${path}`;
  let response: Response;
  try {
    response = await fetch(url, {
      method,
      headers: { authorization: `Bearer ${service.apiKey}`, ...(body === undefined ? {} : { "content-type": "application/json" }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (error) {
    const reason = (error as Error & { cause?: Error }).cause?.message ?? (error as Error).message;
    throw new BillingError("STORE_UNAVAILABLE", `Cannot reach the billhub service at ${service.url} (${reason}); is billhub serve running there?`, { cause: error });
  }
  const text = await response.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  if (response.ok && json !== undefined) return json as T;
  const error = (json as { error?: { code?: string; message?: string } } | undefined)?.error;
  const code: BillingErrorCode = error?.code !== undefined && error.code in ERROR_CODES ? (error.code as BillingErrorCode) : "INTERNAL";
  const message = error?.message ?? `HTTP ${response.status}: ${text.slice(0, 200)}`;
  throw new BillingError(code, `${message} (the billhub service at ${service.url}${response.status === 401 ? "; check --api-key" : ""})`);
}

/**
 * The hub of a running service, reached over its HTTP API.
 *
 * @example
 * const { totals } = await serviceHub({ url: "http://127.0.0.1:8787", apiKey, explicit: true }).outbox.status();
 */
export function serviceHub(service: Service): ServiceHub {
  return {
    outbox: {
      status: () => call(service, "GET", "/v1/outbox", undefined),
      replay: (target) => call(service, "POST", "/v1/outbox/replay", typeof target === "string" ? { transactionId: target } : target),
    },
    alerts: {
      replay: (target) => call(service, "POST", "/v1/alerts/replay", target),
    },
    invoices: {
      run: ({ period, batchSize }) => call(service, "POST", "/v1/invoices/run", { period, ...(batchSize === undefined ? {} : { batchSize }) }, RUN_TIMEOUT_MS),
    },
  };
}
