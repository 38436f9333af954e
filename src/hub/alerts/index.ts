import { z } from "zod";
import { BillingError } from "../../core/errors.ts";
import { parseWith } from "../../core/validation.ts";
import { replayDeliveries } from "../../store/alerts/deliveries.ts";
import type { HubContext } from "../context.ts";
import { createAlertSender, type AlertSenderOptions, type DeliverOptions, type DeliveryReport } from "./alert-sender.ts";
import { listAlerts, type AlertFiringView, type AlertListInput } from "./alerts-api.ts";
import { createPendingEvaluator, type EvaluationReport } from "./evaluate-pending.ts";
import type { AlertFirer } from "./fire-alerts.ts";

export type { AlertFiringView, AlertListInput } from "./alerts-api.ts";
export type { AlertSenderOptions, DeliverOptions, DeliveryReport } from "./alert-sender.ts";
export type { EvaluationReport } from "./evaluate-pending.ts";

export type AlertReplayTarget = { eventId: string; endpoint?: string } | { dead: true; endpoint?: string };

export interface AlertsApi {
  readonly alerts: {
    /**
     * Fired threshold alerts, newest first, with each endpoint's delivery; filter by customer,
     * alert, kind or delivery status; page with `cursor: nextCursor`.
     * @example await hub.alerts.list({ customerId: "org_42", status: "dead" }) // { alerts: [...], nextCursor: null }
     */
    list(query?: AlertListInput): Promise<{ alerts: AlertFiringView[]; nextCursor: string | null }>;
    /**
     * Sends due alert deliveries to their endpoints (signed Standard Webhooks) until none is due;
     * with `follow`, until `signal` aborts. Evaluates the recorded usage pending first (see
     * `evaluate`), and while following at most once per `alerts.evaluation.intervalMs`.
     * `billhub serve` runs this unless `alerts.delivery.enabled` is false.
     * @example await hub.alerts.deliver() // { claimed: 3, delivered: 2, retryLater: 1, dead: 0, leaseLost: 0 }
     */
    deliver(options?: DeliverOptions): Promise<DeliveryReport>;
    /**
     * Evaluates usage recorded by `record` and `recordBatch` since the last evaluation against the
     * usage and spend alerts, and fires what it reached (the deliveries go out with `deliver`).
     * `deliver` runs this itself; call it where no sender runs. A customer whose state cannot be
     * resolved (a plan the catalog no longer declares) is logged and counted, the others evaluated.
     * @example await hub.alerts.evaluate() // { customers: 200, failed: 0 }
     */
    evaluate(options?: { log?: (line: string) => void }): Promise<EvaluationReport>;
    /**
     * Makes dead deliveries pending again with a fresh attempt budget: one firing's
     * (`{ eventId, endpoint? }`) or every dead one (`{ dead: true, endpoint? }`). The event id
     * and body stay the same, so a receiver that had it already can tell.
     * @example await hub.alerts.replay({ dead: true }) // { replayed: 4, notDead: [] }
     */
    replay(target: AlertReplayTarget): Promise<{ replayed: number; notDead: Array<{ eventId: string; endpoint: string; status: string }> }>;
  };
}

const endpointSchema = z.string().min(1).max(64);
const replaySchema = z.union(
  [
    z.strictObject({ eventId: z.string().regex(/^evt_[0-9a-f]{32}$/, "must be an alert event id (evt_ and 32 hex digits)"), endpoint: endpointSchema.optional() }),
    z.strictObject({ dead: z.literal(true), endpoint: endpointSchema.optional() }),
  ],
  { error: "must be { eventId, endpoint? } or { dead: true, endpoint? }" },
);

/** The alerts' part of the hub; `stop()` (called by `hub.close()`) ends running deliveries after their current claim. */
export function createAlertsApi(ctx: HubContext, firer: Pick<AlertFirer, "evaluateRecorded" | "watchedMeters">, options: AlertSenderOptions = {}): AlertsApi & { stop(): Promise<void> } {
  const evaluator = createPendingEvaluator(ctx, firer);
  const defaultLog = options.log ?? ((line: string) => console.error(line));
  const sender = createAlertSender(ctx, options, (log) => evaluator.evaluate(log));
  const stopping = new AbortController();
  const running = new Set<Promise<unknown>>();
  return {
    alerts: {
      list: (query) => listAlerts(ctx, query),

      async deliver(deliverOptions = {}) {
        const signal = deliverOptions.signal ? AbortSignal.any([deliverOptions.signal, stopping.signal]) : stopping.signal;
        const delivering = sender.deliver({ ...deliverOptions, signal });
        running.add(delivering);
        try {
          return await delivering;
        } finally {
          running.delete(delivering);
        }
      },

      evaluate: (evaluateOptions = {}) => evaluator.evaluate(evaluateOptions.log ?? defaultLog),

      async replay(target) {
        const parsed = parseWith(replaySchema, target, "VALIDATION_FAILED", "target");
        const result = await replayDeliveries(ctx.store, parsed);
        if ("eventId" in parsed && result.replayed === 0 && result.notDead.length === 0) {
          throw new BillingError("NOT_FOUND", `No alert delivery of event ${parsed.eventId}${parsed.endpoint ? ` to ${parsed.endpoint}` : ""}`, { field: "eventId" });
        }
        return result;
      },
    },

    async stop() {
      stopping.abort();
      await Promise.allSettled([...running]);
    },
  };
}
