import { z } from "zod";
import { BillingError } from "../core/errors.ts";
import { storableText } from "../core/storable-text.ts";
import { parseWith } from "../core/validation.ts";
import { listOutbox, OUTBOX_STATUSES, outboxCounts, type OutboxRecord, type OutboxStatusName, type ProviderOutboxCounts } from "../store/outbox/read.ts";
import { replayDead, replayTransaction } from "../store/outbox/replay.ts";
import { providerIdEnum, providerIdsWith } from "../providers/index.ts";
import type { HubContext } from "./context.ts";
import { decodeOutboxCursor, encodeOutboxCursor } from "./outbox-cursor.ts";
import { createForwarder, RESEND_MARGIN_MS, type DrainOptions, type ForwarderOptions, type ForwardReport } from "./forwarder/forwarder.ts";

export type { DrainOptions, ForwardReport, ForwarderOptions } from "./forwarder/forwarder.ts";
export type { OutboxRecord, OutboxStatusName, ProviderOutboxCounts } from "../store/outbox/read.ts";

/** Providers that can have outbox rows: those usage leaves billhub for. */
const OUTBOX_PROVIDERS = providerIdsWith("pushUsage");
const providerSchema = providerIdEnum("pushUsage", { error: `must be one of ${OUTBOX_PROVIDERS.join(", ")}` });
const transactionIdSchema = storableText().min(1).max(100);

export interface OutboxStatus {
  /** The database's clock when counted. */
  at: Date;
  providers: ProviderOutboxCounts[];
  totals: { pending: number; due: number; inFlight: number; delivered: number; dead: number };
}

export type ReplayTarget = string | { transactionId: string; provider?: string } | { dead: true; provider?: string };

export interface ReplayResult {
  /** Rows made pending again (due now, with a fresh attempt budget). */
  replayed: number;
  /** Rows named by transaction id that were not dead, left as they are. */
  notDead: Array<{ transactionId: string; provider: string; status: string }>;
  /**
   * Dead rows a bulk replay held back: an earlier send may have reached the provider longer ago
   * than its dedupe window safely covers. Check them at the provider, then replay each by id.
   */
  heldBack: number;
  heldBackExamples: string[];
}

export interface OutboxListInput {
  status?: OutboxStatusName;
  provider?: string;
  transactionId?: string;
  /** `nextCursor` of the previous page. */
  cursor?: string;
  /** 1–500, default 50. */
  limit?: number;
}

export interface OutboxApi {
  readonly outbox: {
    /**
     * Rows per provider and status, and the age of the oldest undelivered row.
     * @example (await hub.outbox.status()).totals // { pending: 3, due: 1, inFlight: 2, delivered: 1200, dead: 1 }
     */
    status(): Promise<OutboxStatus>;
    /**
     * Forwards due rows to their providers until none is due; with `follow`, until `signal` aborts.
     * @example await hub.outbox.drain() // { claimed: 40, delivered: 39, alreadyDelivered: 1, retryLater: 0, dead: 0, leaseLost: 0 }
     */
    drain(options?: DrainOptions): Promise<ForwardReport>;
    /**
     * Makes dead rows pending again: one transaction's (`"tx_1"`, or `{ transactionId, provider }`) or
     * every dead row (`{ dead: true, provider? }`).
     * @example await hub.outbox.replay({ dead: true, provider: "stripe" }) // { replayed: 12, notDead: [], heldBack: 0, heldBackExamples: [] }
     */
    replay(target: ReplayTarget): Promise<ReplayResult>;
    /**
     * Outbox rows oldest first, filtered, with cursor pagination.
     * @example await hub.outbox.list({ status: "dead" }) // { rows: [{ transactionId, provider, lastError, ... }], nextCursor }
     */
    list(query?: OutboxListInput): Promise<{ rows: OutboxRecord[]; nextCursor: string | null }>;
  };
}

const listSchema = z
  .strictObject({
    status: z.enum(OUTBOX_STATUSES).optional(),
    provider: providerSchema.optional(),
    transactionId: transactionIdSchema.optional(),
    cursor: z.string().min(1).max(1000).optional(),
    limit: z.number().int().min(1).max(500).default(50),
  })
  .default({ limit: 50 });

const replaySchema = z.union(
  [
    transactionIdSchema.transform((transactionId) => ({ transactionId, provider: undefined })),
    z.strictObject({ transactionId: transactionIdSchema, provider: providerSchema.optional() }),
    z.strictObject({ dead: z.literal(true), provider: providerSchema.optional() }),
  ],
  { error: "must be a transaction id, { transactionId, provider? } or { dead: true, provider? }" },
);

// The same bounds as forwarder.batchSize.
const drainSchema = z.object({ batchSize: z.number().int().min(1).max(5000).optional() });

/**
 * The outbox's part of the hub: status, forwarding (`drain`), replay of dead rows, listing.
 * `stop()` (called by `hub.close()`) ends running drains after their current claim.
 */
export function createOutboxApi(ctx: HubContext, options: ForwarderOptions = {}): OutboxApi & { stop(): Promise<void> } {
  const forwarder = createForwarder(ctx, options);
  const stopping = new AbortController();
  const running = new Set<Promise<unknown>>();
  const windows = () =>
    [...ctx.providers.providers.values()].flatMap((provider) => (provider.resendWindowMs === undefined ? [] : [{ provider: provider.id, safeMs: provider.resendWindowMs - RESEND_MARGIN_MS }]));

  return {
    outbox: {
      async status() {
        const { at, providers } = await outboxCounts(ctx.store);
        const totals = { pending: 0, due: 0, inFlight: 0, delivered: 0, dead: 0 };
        for (const counts of providers) for (const key of Object.keys(totals) as Array<keyof typeof totals>) totals[key] += counts[key];
        return { at, providers, totals };
      },

      async drain(drainOptions = {}) {
        parseWith(drainSchema, { batchSize: drainOptions.batchSize }, "VALIDATION_FAILED", "options");
        const signal = drainOptions.signal ? AbortSignal.any([drainOptions.signal, stopping.signal]) : stopping.signal;
        const drained = forwarder.drain({ ...drainOptions, signal });
        running.add(drained);
        try {
          return await drained;
        } finally {
          running.delete(drained);
        }
      },

      async replay(target) {
        const parsed = parseWith(replaySchema, target, "VALIDATION_FAILED", "target");
        if ("dead" in parsed) {
          const result = await replayDead(ctx.store, { provider: parsed.provider, windows: windows() });
          return { replayed: result.replayed, notDead: [], heldBack: result.heldBack, heldBackExamples: result.heldBackExamples };
        }
        const result = await replayTransaction(ctx.store, parsed.transactionId, parsed.provider);
        if (result.replayed.length === 0 && result.notDead.length === 0) {
          throw new BillingError("NOT_FOUND", `No outbox row for transaction ${JSON.stringify(parsed.transactionId)}${parsed.provider ? ` to ${parsed.provider}` : ""}`, { field: "transactionId" });
        }
        return {
          replayed: result.replayed.length,
          notDead: result.notDead.map((row) => ({ transactionId: parsed.transactionId, ...row })),
          heldBack: 0,
          heldBackExamples: [],
        };
      },

      async list(query) {
        const q = parseWith(listSchema, query, "VALIDATION_FAILED", "query");
        const page = await listOutbox(ctx.store, { ...q, after: q.cursor === undefined ? undefined : decodeOutboxCursor(q.cursor) });
        return { rows: page.rows, nextCursor: page.next === null ? null : encodeOutboxCursor(page.next) };
      },
    },

    async stop() {
      stopping.abort();
      await Promise.allSettled([...running]);
    },
  };
}
