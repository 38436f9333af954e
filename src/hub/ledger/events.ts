import { z } from "zod";
import { requireFeature, requireMeter } from "../../core/catalog/index.ts";
import { BillingError } from "../../core/errors.ts";
import { refineSupportedInstant } from "../../core/supported-time.ts";
import { parseWith } from "../../core/validation.ts";
import { customerExists, queryEvents } from "../../store/ledger/list-events.ts";
import { queryResets } from "../../store/ledger/resets.ts";
import type { Sql } from "../../store/types.ts";
import type { HubContext } from "../context.ts";
import { transactionIdSchema } from "./input.ts";
import { customerIdSchema, dateLike } from "./query-input.ts";
import type { EventPage, ListEventsQuery, UsageReset } from "./types.ts";

const listSchema = z.strictObject({
  customerId: customerIdSchema,
  meter: z.string().optional(),
  kind: z.enum(["usage", "refund", "bonus", "correction"]).optional(),
  from: dateLike.optional(),
  to: dateLike.optional(),
  limit: z.number().int().min(1).max(1000).default(100),
  cursor: z.string().max(1000).optional(),
  order: z.enum(["desc", "asc"]).default("desc"),
});

// Checked as strictly as any input: a cursor comes back from the caller and may be forged.
const cursorSchema = z.strictObject({ t: z.iso.datetime().superRefine(refineSupportedInstant), id: transactionIdSchema });

/** Cursors are opaque to callers: base64url of the last row's (timestamp, transaction id). */
function encodeCursor(timestamp: Date, transactionId: string): string {
  return Buffer.from(JSON.stringify({ t: timestamp.toISOString(), id: transactionId })).toString("base64url");
}

function decodeCursor(cursor: string): { timestamp: Date; transactionId: string } {
  try {
    const { t, id } = cursorSchema.parse(JSON.parse(Buffer.from(cursor, "base64url").toString("utf8")));
    return { timestamp: new Date(t), transactionId: id };
  } catch (error) {
    throw new BillingError("VALIDATION_FAILED", "cursor is not one this API returned; pass nextCursor from the previous page as is", { field: "cursor", cause: error });
  }
}

/**
 * A customer's ledger for audit, page by page, newest first unless `order: "asc"`: usage,
 * corrections, refunds and bonuses with their reasons. Keyset pagination: a page never repeats
 * or skips an event, however many are recorded meanwhile.
 *
 * @example
 * let page = await hub.ledger.events({ customerId: "cus_1", limit: 50 });
 * while (page.nextCursor) page = await hub.ledger.events({ customerId: "cus_1", limit: 50, cursor: page.nextCursor });
 */
export async function listEvents(sql: Sql, ctx: HubContext, query: ListEventsQuery): Promise<EventPage> {
  const q = parseWith(listSchema, query, "VALIDATION_FAILED");
  const meter = q.meter === undefined ? undefined : requireMeter(ctx.catalog, q.meter).key;
  const rows = await queryEvents(sql, {
    customerId: q.customerId,
    meter,
    kind: q.kind,
    from: q.from,
    to: q.to,
    limit: q.limit,
    order: q.order,
    after: q.cursor === undefined ? undefined : decodeCursor(q.cursor),
  });
  if (rows.length === 0 && q.cursor === undefined && !(await customerExists(sql, q.customerId))) {
    throw new BillingError("CUSTOMER_NOT_FOUND", `customer ${JSON.stringify(q.customerId)} does not exist`, { field: "customerId" });
  }
  const events = rows.slice(0, q.limit);
  const last = events.at(-1);
  return { events, nextCursor: rows.length > q.limit && last ? encodeCursor(last.timestamp, last.transactionId) : null };
}

/** A customer's reset points, newest first: what `resetUsage` did and why. */
export async function listResets(sql: Sql, ctx: HubContext, customerId: string, feature?: string): Promise<UsageReset[]> {
  const id = parseWith(customerIdSchema, customerId, "VALIDATION_FAILED", "customerId");
  const rows = await queryResets(sql, id, feature === undefined ? undefined : requireFeature(ctx.catalog, feature).key);
  if (rows.length === 0 && !(await customerExists(sql, id))) {
    throw new BillingError("CUSTOMER_NOT_FOUND", `customer ${JSON.stringify(id)} does not exist`, { field: "customerId" });
  }
  return rows.map((row) => ({ customerId: id, ...row }));
}
