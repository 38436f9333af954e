import { randomUUID } from "node:crypto";
import { setMaxListeners } from "node:events";
import { hostname } from "node:os";
import type { BillingProvider, ProviderUsageEvent } from "../../providers/types.ts";
import { claimDue, extendLease, type ClaimedRow } from "../../store/outbox/claim.ts";
import { settleClaim, type Settlement } from "../../store/outbox/settle.ts";
import { BillingError } from "../../core/errors.ts";
import type { HubContext } from "../context.ts";
import { sleep as realSleep } from "./backoff.ts";
import { forwarderMetrics } from "./metrics.ts";
import { pushWithRetries } from "./push-with-retries.ts";
import { resendWindowError, settlementFor } from "./settlement.ts";
import { redactSecrets } from "../../core/redact.ts";

/** The longest a following forwarder waits between tries while forwarding keeps failing. */
const MAX_FAILURE_WAIT_MS = 30_000;

/** Resends stop this long before a provider's dedupe window ends (lease, clock skew, slow calls). */
export const RESEND_MARGIN_MS = 3_600_000;
/** A quick retry that would wait longer than this is rescheduled instead of holding the claim. */
const MAX_QUICK_WAIT_MS = 10_000;

export interface ForwarderOptions {
  /** Names this forwarder in `claimed_by`; defaults to `host:pid:random`. */
  name?: string;
  /** Waits between quick retries and polls (tests pass one that records and returns at once). */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** Jitter source, in [0, 1). */
  random?: () => number;
  /** Where problems of a following forwarder are reported (it keeps running). */
  log?: (line: string) => void;
}

/** What became of the rows of one claim, or of a whole drain. */
export interface ForwardReport {
  claimed: number;
  delivered: number;
  alreadyDelivered: number;
  retryLater: number;
  dead: number;
  /** Rows whose lease ran out before they were settled (another forwarder has them now). */
  leaseLost: number;
}

export interface DrainOptions {
  /** Keep polling for due rows until `signal` aborts (a long-running forwarder). */
  follow?: boolean;
  signal?: AbortSignal;
  /** Rows per claim (default `forwarder.batchSize`). */
  batchSize?: number;
  /** Told after every claim, with that claim's report and the running total. */
  onBatch?: (batch: ForwardReport, total: ForwardReport) => void;
  /** Where problems are reported (default: the forwarder's `log`). */
  log?: (line: string) => void;
}

const emptyReport = (): ForwardReport => ({ claimed: 0, delivered: 0, alreadyDelivered: 0, retryLater: 0, dead: 0, leaseLost: 0 });

function addReport(total: ForwardReport, part: ForwardReport): void {
  for (const key of Object.keys(total) as Array<keyof ForwardReport>) total[key] += part[key];
}

/**
 * The outbox forwarder: claim due rows → push them per provider → settle each row. Any number
 * of forwarders, in any number of processes, can share one database: claims skip rows others
 * hold, and only a row's current claim can settle it.
 *
 * @example
 * const forwarder = createForwarder(ctx);
 * await forwarder.drain();                                  // until nothing is due
 * await forwarder.drain({ follow: true, signal });           // until signal aborts
 */
export function createForwarder(ctx: HubContext, options: ForwarderOptions = {}) {
  const settings = ctx.config.forwarder;
  const name = options.name ?? `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  const sleep = options.sleep ?? realSleep;
  const log = options.log ?? ((line: string) => console.error(line));
  const backoff = { baseMs: settings.backoffBaseMs, capMs: settings.backoffCapMs };
  const random = options.random ? { random: options.random } : {};
  const policy = { maxAttempts: settings.maxAttempts, backoff, ...random };
  const remote = [...ctx.providers.providers.values()].filter((provider) => provider.remote);
  const metrics = forwarderMetrics(ctx.metrics, ctx.store, remote.map((provider) => provider.id));

  /**
   * Pushes one provider's rows of a claim in pushes of its batch size, all at once (the provider
   * paces its requests), settling each push as soon as it is answered: a slow or failing push
   * holds back only its own rows.
   */
  async function forwardTo(provider: BillingProvider, rows: ClaimedRow[], claimId: string, signal: AbortSignal | undefined): Promise<ForwardReport> {
    const pushes: ClaimedRow[][] = [];
    for (let start = 0; start < rows.length; start += provider.maxBatchSize) pushes.push(rows.slice(start, start + provider.maxBatchSize));
    const report = emptyReport();
    for (const part of await Promise.all(pushes.map((batch) => pushAndSettle(provider, batch, claimId, signal)))) addReport(report, part);
    return report;
  }

  async function pushAndSettle(provider: BillingProvider, batch: ClaimedRow[], claimId: string, signal: AbortSignal | undefined): Promise<ForwardReport> {
    const report = emptyReport();
    const settlements: Settlement[] = [];
    const sendable: ClaimedRow[] = [];
    for (const row of batch) {
      const refusal = refusalBeforeSending(provider, row);
      if (refusal) settlements.push(settlementFor(row, { transactionId: row.transactionId, status: "permanent", error: refusal }, policy));
      else sendable.push(row);
    }
    if (sendable.length > 0) {
      const outcomes = await pushWithRetries(provider, sendable.map((row) => usageEventOf(provider, row)), {
        policy: { retries: settings.quickRetries, backoff, maxWaitMs: MAX_QUICK_WAIT_MS },
        signal,
        sleep,
        ...random,
        observe: (seconds) => metrics.pushed(provider.id, seconds),
      });
      outcomes.forEach((outcome, index) => settlements.push(settlementFor(sendable[index]!, outcome, policy)));
    }
    const settled = new Set((await settleClaim(ctx.store, claimId, settlements)).map((key) => key.transactionId));
    for (const settlement of settlements) {
      const outcome = !settled.has(settlement.transactionId)
        ? "lease_lost"
        : settlement.status === "delivered"
          ? settlement.outcome
          : settlement.status === "dead"
            ? "dead"
            : "retry_later";
      report.claimed += 1;
      if (outcome === "delivered") report.delivered += 1;
      else if (outcome === "already_delivered") report.alreadyDelivered += 1;
      else if (outcome === "dead") report.dead += 1;
      else if (outcome === "retry_later") report.retryLater += 1;
      else report.leaseLost += 1;
    }
    // Counted once per outcome, not once per row: a claim settles a thousand rows at a time.
    if (report.delivered > 0) metrics.settled(provider.id, "delivered", report.delivered);
    if (report.alreadyDelivered > 0) metrics.settled(provider.id, "already_delivered", report.alreadyDelivered);
    if (report.retryLater > 0) metrics.settled(provider.id, "retry_later", report.retryLater);
    if (report.dead > 0) metrics.settled(provider.id, "dead", report.dead);
    if (report.leaseLost > 0) metrics.settled(provider.id, "lease_lost", report.leaseLost);
    return report;
  }

  /** Claims one batch of due rows and forwards it; a report with `claimed: 0` means nothing was due. */
  async function forwardOnce(forwardOptions: Pick<DrainOptions, "batchSize" | "signal" | "log"> = {}): Promise<ForwardReport> {
    const warn = forwardOptions.log ?? log;
    const claimId = randomUUID();
    const rows = await claimDue(ctx.store, {
      providers: remote.map((provider) => provider.id),
      limit: forwardOptions.batchSize ?? settings.batchSize,
      leaseMs: settings.leaseMs,
      claimId,
      claimedBy: name,
    });
    if (rows.length === 0) return emptyReport();
    // A heartbeat keeps the claim while providers are slow; if this process dies, it stops and the lease runs out.
    const heartbeat = setInterval(() => {
      extendLease(ctx.store, claimId, settings.leaseMs).catch((error: unknown) => warn(`billhub: could not extend the outbox lease: ${(error as Error).message}`));
    }, Math.max(100, Math.floor(settings.leaseMs / 3)));
    heartbeat.unref();
    try {
      const parts = await Promise.all(
        remote.map((provider) => {
          const mine = rows.filter((row) => row.provider === provider.id);
          return mine.length === 0 ? emptyReport() : forwardTo(provider, mine, claimId, forwardOptions.signal);
        }),
      );
      const report = emptyReport();
      for (const part of parts) addReport(report, part);
      return report;
    } finally {
      clearInterval(heartbeat);
    }
  }

  /**
   * Forwards until nothing is due (or, with `follow`, until `signal` aborts), in
   * `forwarder.concurrency` claim loops. Stopping lets each loop finish and settle its current
   * claim. Without `follow`, a failure (the database down) rejects; with it, it is logged and
   * the loop tries again after the poll interval.
   */
  async function drain(drainOptions: DrainOptions = {}): Promise<ForwardReport> {
    const total = emptyReport();
    // The caller's signal, relayed to one of our own: every push of every claim in flight waits on
    // it (quick-retry sleeps), more listeners than Node's leak warning expects of one signal.
    const stopping = new AbortController();
    setMaxListeners(0, stopping.signal);
    const relay = () => stopping.abort();
    if (drainOptions.signal?.aborted) stopping.abort();
    drainOptions.signal?.addEventListener("abort", relay, { once: true });
    const { signal } = stopping;
    const warn = drainOptions.log ?? log;
    const loop = async () => {
      let failures = 0;
      while (!signal.aborted) {
        let batch: ForwardReport;
        try {
          batch = await forwardOnce({ batchSize: drainOptions.batchSize, signal, log: warn });
          failures = 0;
        } catch (error) {
          if (!drainOptions.follow) throw error;
          // The database (most often) is down: wait longer after each failure in a row, so an
          // outage is not met with a query per poll interval from every loop of every forwarder.
          failures += 1;
          const waitMs = Math.min(settings.pollIntervalMs * 2 ** Math.min(failures - 1, 16), MAX_FAILURE_WAIT_MS);
          warn(`billhub: forwarding failed, trying again in ${waitMs} ms: ${error instanceof BillingError ? `${error.code}: ` : ""}${redactSecrets((error as Error).message)}`);
          await sleep(waitMs, signal);
          continue;
        }
        addReport(total, batch);
        drainOptions.onBatch?.(batch, { ...total });
        if (batch.claimed === 0) {
          if (!drainOptions.follow) return;
          await sleep(settings.pollIntervalMs, signal);
        }
      }
    };
    try {
      await Promise.all(Array.from({ length: settings.concurrency }, loop));
    } finally {
      drainOptions.signal?.removeEventListener("abort", relay);
    }
    return total;
  }

  return { name, forwardOnce, drain };
}


/**
 * A reason not to send a claimed row at all: its ledger row is missing, or an earlier send may
 * have reached a provider whose dedupe window has nearly run out.
 */
function refusalBeforeSending(provider: BillingProvider, row: ClaimedRow): BillingError | undefined {
  if (row.event === null) {
    return new BillingError("INTERNAL", `Outbox row ${row.transactionId} → ${row.provider} has no ledger event`, { provider: provider.id, details: { transactionId: row.transactionId } });
  }
  const window = provider.resendWindowMs;
  if (window === undefined || row.priorSentAt === null) return undefined;
  const safeMs = window - RESEND_MARGIN_MS;
  return row.claimedAt.getTime() - row.priorSentAt.getTime() > safeMs ? resendWindowError(row, window, safeMs) : undefined;
}

/** The ledger event as the provider gets it, with the customer named the provider's way. */
function usageEventOf(provider: BillingProvider, row: ClaimedRow): ProviderUsageEvent {
  const event = row.event!;
  return {
    transactionId: row.transactionId,
    customerId: row.customerId,
    providerCustomerId: provider.customerIdFor({ id: row.customerId, providerIds: row.providerIds }),
    meter: event.meter,
    quantity: event.quantity,
    timestamp: event.timestamp,
    properties: event.properties,
  };
}
