import { randomUUID } from "node:crypto";
import { hostname } from "node:os";
import { redactSecrets } from "../../core/redact.ts";
import { retryAfterFromHeaders } from "../../providers/errors.ts";
import { claimDeliveries, settleDelivery, type ClaimedDelivery, type DeliverySettlement } from "../../store/alerts/deliveries.ts";
import type { HubContext } from "../context.ts";
import { retryDelay, sleep as realSleep } from "../forwarder/backoff.ts";
import { signedHeaders } from "./sign-delivery.ts";

/** The longest a following sender waits between tries while the database keeps failing. */
const MAX_FAILURE_WAIT_MS = 30_000;

export interface AlertSenderOptions {
  /** Names this sender in `claimed_by`; defaults to `host:pid:random`. */
  name?: string;
  /** The HTTP client (tests may wrap it); defaults to the global fetch. */
  fetch?: typeof fetch;
  /** The wall clock deliveries are signed with (receivers compare it with theirs); defaults to the system clock. */
  clock?: () => Date;
  /** Jitter source, in [0, 1). */
  random?: () => number;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  log?: (line: string) => void;
}

/** The evaluation of recorded usage a sender runs before it claims, at most once per `alerts.evaluation.intervalMs`. */
export type PendingEvaluation = (log: (line: string) => void) => Promise<unknown>;

/** What became of the deliveries of one claim, or of a whole run. */
export interface DeliveryReport {
  claimed: number;
  delivered: number;
  retryLater: number;
  dead: number;
  /** Deliveries whose lease ran out before they were settled (another sender has them now). */
  leaseLost: number;
}

export interface DeliverOptions {
  /** Keep polling for due deliveries until `signal` aborts. */
  follow?: boolean;
  signal?: AbortSignal;
  log?: (line: string) => void;
}

const emptyReport = (): DeliveryReport => ({ claimed: 0, delivered: 0, retryLater: 0, dead: 0, leaseLost: 0 });

/** One attempt's answer: the endpoint's status (null when it never answered) and, when it failed, why. */
type Attempt = { ok: true; status: number } | { ok: false; status: number | null; error: string; retryAfterSeconds?: number | undefined };

/**
 * POSTs one delivery, signed, and reads the endpoint's answer: 2xx delivers; any other status, a
 * timeout or a network error fails the attempt (the endpoint may still have received it: delivery
 * is at least once, and receivers deduplicate by webhook-id).
 *
 * @example
 * await postDelivery({ url, secret }, { eventId, body }, { timeoutMs: 10_000, at: new Date() }) // { ok: true, status: 204 }
 */
export async function postDelivery(
  endpoint: { url: string; secret: string },
  delivery: Pick<ClaimedDelivery, "eventId" | "body">,
  options: { timeoutMs: number; at: Date; fetch?: typeof fetch },
): Promise<Attempt> {
  const send = options.fetch ?? fetch;
  try {
    const response = await send(endpoint.url, {
      method: "POST",
      headers: signedHeaders({ eventId: delivery.eventId, body: delivery.body, secret: endpoint.secret, at: options.at }),
      body: delivery.body,
      // A redirect is not followed (the signed event goes only where it was configured to): it fails the attempt.
      redirect: "error",
      signal: AbortSignal.timeout(options.timeoutMs),
    });
    // Read (and drop) the answer so the connection is free for the next delivery.
    const text = await response.text().catch(() => "");
    if (response.status >= 200 && response.status < 300) return { ok: true, status: response.status };
    const excerpt = text.trim().slice(0, 200);
    return {
      ok: false,
      status: response.status,
      error: `HTTP ${response.status}${excerpt === "" ? "" : `: ${redactSecrets(excerpt)}`}`,
      retryAfterSeconds: retryAfterFromHeaders(response.headers, options.at),
    };
  } catch (error) {
    const name = (error as Error).name;
    if (name === "TimeoutError" || name === "AbortError") return { ok: false, status: null, error: `no answer within ${options.timeoutMs} ms` };
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    return { ok: false, status: null, error: redactSecrets(`could not reach the endpoint: ${cause?.code ?? cause?.message ?? (error as Error).message}`) };
  }
}

/**
 * The alert sender: claim due deliveries → POST each, signed, to its endpoint → settle each
 * delivered, pending again after a backoff (Retry-After when longer), or dead after
 * `alerts.delivery.maxAttempts`. Any number of senders can share one database.
 *
 * @example
 * const sender = createAlertSender(ctx);
 * await sender.deliver();                          // until nothing is due
 * await sender.deliver({ follow: true, signal });  // until signal aborts
 */
export function createAlertSender(ctx: HubContext, options: AlertSenderOptions = {}, evaluate?: PendingEvaluation) {
  const settings = ctx.config.alerts.delivery;
  const endpoints = ctx.config.alerts.endpoints;
  const name = options.name ?? `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  const clock = options.clock ?? (() => new Date());
  const sleep = options.sleep ?? realSleep;
  const defaultLog = options.log ?? ((line: string) => console.error(line));
  const backoff = { baseMs: settings.backoffBaseMs, capMs: settings.backoffCapMs };
  const counter = ctx.metrics.counter("billhub_alert_deliveries_total", "Alert webhook deliveries settled, by outcome");

  function settlementOf(row: ClaimedDelivery, attempt: Attempt): DeliverySettlement {
    if (attempt.ok) return { status: "delivered", httpStatus: attempt.status };
    if (row.attempts >= settings.maxAttempts) return { status: "dead", httpStatus: attempt.status, error: `Gave up after ${row.attempts} attempts: ${attempt.error}`, delayMs: 0 };
    return { status: "pending", httpStatus: attempt.status, error: attempt.error, delayMs: retryDelay(row.attempts, attempt.retryAfterSeconds, backoff, options.random) };
  }

  async function deliverRow(row: ClaimedDelivery, claimId: string): Promise<keyof Omit<DeliveryReport, "claimed">> {
    const endpoint = Object.hasOwn(endpoints, row.endpoint) ? endpoints[row.endpoint] : undefined;
    const settlement: DeliverySettlement =
      endpoint === undefined
        ? { status: "dead", httpStatus: null, error: `endpoint "${row.endpoint}" is no longer configured (alerts.endpoints); configure it again and replay`, delayMs: 0 }
        : settlementOf(row, await postDelivery(endpoint, row, { timeoutMs: settings.timeoutMs, at: clock(), ...(options.fetch ? { fetch: options.fetch } : {}) }));
    const settled = await settleDelivery(ctx.store, claimId, row, settlement);
    const outcome = !settled ? "leaseLost" : settlement.status === "delivered" ? "delivered" : settlement.status === "dead" ? "dead" : "retryLater";
    counter.inc({ outcome });
    return outcome;
  }

  /** Claims one batch of due deliveries and sends them all at once; `claimed: 0` means nothing was due. */
  async function deliverOnce(): Promise<DeliveryReport> {
    const claimId = randomUUID();
    const rows = await claimDeliveries(ctx.store, { limit: settings.batchSize, leaseMs: settings.leaseMs, claimId, claimedBy: name });
    const report = emptyReport();
    report.claimed = rows.length;
    for (const outcome of await Promise.all(rows.map((row) => deliverRow(row, claimId)))) report[outcome] += 1;
    return report;
  }

  /**
   * Delivers until nothing is due (or, with `follow`, until `signal` aborts; the current claim is
   * finished and settled first), evaluating the recorded usage pending first and then at most once
   * per `alerts.evaluation.intervalMs`. Without `follow` a database failure rejects; with it, it
   * is logged and tried again after a growing wait.
   */
  async function deliver(deliverOptions: DeliverOptions = {}): Promise<DeliveryReport> {
    const total = emptyReport();
    const log = deliverOptions.log ?? defaultLog;
    let failures = 0;
    let evaluatedAt: number | undefined;
    while (!deliverOptions.signal?.aborted) {
      let batch: DeliveryReport;
      try {
        // Recorded usage first, so what it fires is delivered in the same run.
        if (evaluate !== undefined && (evaluatedAt === undefined || Date.now() - evaluatedAt >= ctx.config.alerts.evaluation.intervalMs)) {
          evaluatedAt = Date.now();
          try {
            await evaluate(log);
          } catch (error) {
            // A pass that keeps failing (its rows stay pending, tried again next interval) must not
            // hold back the deliveries already due, credit alerts included.
            if (!deliverOptions.follow) throw error;
            log(`billhub: evaluating recorded usage for alerts failed, tried again in ${ctx.config.alerts.evaluation.intervalMs} ms: ${redactSecrets((error as Error).message)}`);
          }
        }
        batch = await deliverOnce();
        failures = 0;
      } catch (error) {
        if (!deliverOptions.follow) throw error;
        failures += 1;
        const waitMs = Math.min(settings.pollIntervalMs * 2 ** Math.min(failures - 1, 16), MAX_FAILURE_WAIT_MS);
        log(`billhub: delivering alerts failed, trying again in ${waitMs} ms: ${redactSecrets((error as Error).message)}`);
        await sleep(waitMs, deliverOptions.signal);
        continue;
      }
      for (const key of Object.keys(total) as Array<keyof DeliveryReport>) total[key] += batch[key];
      if (batch.claimed === 0) {
        if (!deliverOptions.follow) break;
        await sleep(settings.pollIntervalMs, deliverOptions.signal);
      }
    }
    return total;
  }

  return { name, deliverOnce, deliver };
}
