import { z } from "zod";
import { ALERT_KINDS } from "../../core/catalog/index.ts";
import { BillingError } from "../../core/errors.ts";
import { parseWith } from "../../core/validation.ts";
import { listFirings, type AlertDeliveryState } from "../../store/alerts/firings.ts";
import type { HubContext } from "../context.ts";

export const DELIVERY_STATUSES = ["pending", "delivered", "dead"] as const;

/** A fired alert as the API shows it: the event its endpoints receive, and each endpoint's delivery. */
export interface AlertFiringView {
  /** The event id (webhook-id of every delivery). */
  id: string;
  alert: string;
  kind: string;
  customerId: string;
  feature: string | null;
  threshold: string;
  value: string;
  window: { start: Date; end: Date | null };
  firedAt: Date;
  /** The event body as delivered (`{ type, timestamp, data }`). */
  event: unknown;
  deliveries: AlertDeliveryState[];
}

export interface AlertListInput {
  customerId?: string;
  alert?: string;
  kind?: (typeof ALERT_KINDS)[number];
  /** Only firings with a delivery in this status. */
  status?: (typeof DELIVERY_STATUSES)[number];
  /** `nextCursor` of the previous page. */
  cursor?: string;
  /** 1–500, default 50. */
  limit?: number;
}

export const alertListSchema = z
  .strictObject({
    customerId: z.string().min(1).max(255).optional(),
    alert: z.string().min(1).max(128).optional(),
    kind: z.enum(ALERT_KINDS).optional(),
    status: z.enum(DELIVERY_STATUSES).optional(),
    cursor: z.string().min(1).max(200).optional(),
    limit: z.number().int().min(1).max(500).default(50),
  })
  .default({ limit: 50 });

const cursorSchema = z.tuple([z.iso.datetime(), z.string().regex(/^evt_[0-9a-f]{32}$/)]);

function decodeCursor(cursor: string): { firedAt: Date; id: string } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
  } catch {
    parsed = undefined;
  }
  const key = cursorSchema.safeParse(parsed);
  if (!key.success) throw new BillingError("VALIDATION_FAILED", "cursor is not a cursor this API returned; pass nextCursor from the previous page as it is", { field: "cursor" });
  return { firedAt: new Date(key.data[0]), id: key.data[1] };
}

const encodeCursor = (firedAt: Date, id: string) => Buffer.from(JSON.stringify([firedAt.toISOString(), id])).toString("base64url");

/**
 * Lists fired alerts, newest first (filters: customer, alert, kind, delivery status; cursor paging).
 *
 * @example
 * await listAlerts(ctx, { customerId: "org_42" }) // { alerts: [{ id: "evt_...", alert: "api_80", deliveries: [...] }], nextCursor: null }
 */
export async function listAlerts(ctx: HubContext, query: unknown): Promise<{ alerts: AlertFiringView[]; nextCursor: string | null }> {
  const q = parseWith(alertListSchema, query, "VALIDATION_FAILED", "query");
  const rows = await listFirings(ctx.store, {
    customerId: q.customerId,
    alert: q.alert,
    kind: q.kind,
    deliveryStatus: q.status,
    limit: q.limit + 1,
    after: q.cursor === undefined ? undefined : decodeCursor(q.cursor),
  });
  const page = rows.slice(0, q.limit);
  const last = page.at(-1);
  return {
    alerts: page.map((row) => ({
      id: row.id,
      alert: row.alert,
      kind: row.kind,
      customerId: row.customerId,
      feature: row.feature,
      threshold: row.threshold,
      value: row.value,
      window: { start: row.windowStart, end: row.windowEnd },
      firedAt: row.firedAt,
      event: JSON.parse(row.body) as unknown,
      deliveries: row.deliveries,
    })),
    nextCursor: rows.length > q.limit && last !== undefined ? encodeCursor(last.firedAt, last.id) : null,
  };
}
