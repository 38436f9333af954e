import { z } from "zod";
import { BUCKET_UNITS } from "../../core/buckets.ts";
import type { Hub } from "../../hub.ts";
import { MAX_BATCH } from "../../hub/ledger.ts";
import { adjustmentEventSchema, batchEvents, usageEventSchema } from "../../hub/ledger/input.ts";
import type { AdjustmentInput, BatchStatsQuery, UsageEventInput } from "../../hub/ledger/types.ts";
import { batchStatsSchema } from "../../hub/ledger/stats.ts";
import { asSent, route, type RouteSpec } from "../route.ts";
import { instant, wholeNumber, windowFrom, windowParams, withPropertyFilter } from "./query.ts";

const TAG = "usage";

/** A body handed on as sent: the ledger call it goes to validates it (once), against the catalog too. */
export const batchSchema = z.strictObject({
  events: z.array(usageEventSchema).max(MAX_BATCH, { error: `holds more than ${MAX_BATCH} events; split the batch` }),
});

const meterOrFeature = {
  meter: z.string().min(1).max(128).optional(),
  feature: z.string().min(1).max(128).optional(),
};

export const activityQuery = z.strictObject({ hours: wholeNumber(744).optional() });
// The named parameters of the usage and stats queries; each also takes filter.<property>=<value>
// (withPropertyFilter). Shapes, not the schemas: a schema with a catch-all declares an index
// signature its optional fields do not fit, which a consumer type-checking billhub's .d.ts refuses.
export const usageQueryShape = { ...meterOrFeature, ...windowParams };
export const statsQueryShape = { meter: z.string().min(1).max(128), groupBy: z.enum(BUCKET_UNITS), ...windowParams };
export const eventsQuery = z.strictObject({
  meter: z.string().min(1).max(128).optional(),
  kind: z.enum(["usage", "refund", "bonus", "correction"]).optional(),
  from: instant.optional(),
  to: instant.optional(),
  limit: wholeNumber(1000).optional(),
  cursor: z.string().max(1000).optional(),
  order: z.enum(["desc", "asc"]).optional(),
});
export const resetBody = z.strictObject({ feature: z.string().min(1).max(128), reason: z.string().min(1).max(500) });
export const resetsQuery = z.strictObject({ feature: z.string().min(1).max(128).optional() });

/**
 * Recording usage (exactly once by transactionId) and reading it back. A new event answers 201,
 * a retry of a recorded one 200 with `status: "duplicate"` and the original event; other content
 * under a recorded id is 409 IDEMPOTENCY_CONFLICT. Bad input is refused as the hub call refuses
 * it (INVALID_USAGE, INVALID_AMOUNT, every problem of a batch in `details.items`), and nothing
 * is written.
 */
export function usageRoutes(hub: Hub): RouteSpec[] {
  return [
    route({
      method: "post",
      path: "/v1/usage",
      access: "write",
      tag: TAG,
      summary: "Record one metered event exactly once: 201 created, 200 duplicate (a retry with the same transactionId and content)",
      bodyCheckedByHub: usageEventSchema,
      status: 201,
      handler: async ({ json, c }) => {
        const result = await hub.record(asSent<UsageEventInput>(json));
        return c.json(result, result.status === "created" ? 201 : 200);
      },
    }),
    route({
      method: "post",
      path: "/v1/usage/batch",
      access: "write",
      tag: TAG,
      summary: `Record up to ${MAX_BATCH} events in one transaction: 200 with one result per event, in order; any invalid item refuses the whole batch with every problem in error.details.items, and nothing is written`,
      bodyCheckedByHub: batchSchema,
      handler: async ({ json }) => ({ results: await hub.recordBatch(asSent<UsageEventInput[]>(batchEvents(json))) }),
    }),
    route({
      method: "post",
      path: "/v1/usage/adjustments",
      access: "write",
      tag: TAG,
      summary: "Give usage back (refund or bonus) with a reason, exactly once by transactionId: 201 created, 200 duplicate",
      bodyCheckedByHub: adjustmentEventSchema,
      status: 201,
      handler: async ({ json, c }) => {
        const result = await hub.adjust(asSent<AdjustmentInput>(json));
        return c.json(result, result.status === "created" ? 201 : 200);
      },
    }),
    route({
      method: "post",
      path: "/v1/usage/stats",
      access: "read",
      tag: TAG,
      summary: "Usage per hour, day, week or month for many customers × meters in one query",
      bodyCheckedByHub: batchStatsSchema,
      handler: async ({ json }) => ({ stats: await hub.ledger.batchStats(asSent<BatchStatsQuery>(json)) }),
    }),
    route({
      method: "get",
      path: "/v1/activity",
      access: "read",
      tag: TAG,
      summary: "Usage per hour over the last `hours` (default 24) and today's usage events and customers, every customer together (from the hourly rollups, by when usage happened), and the last invoice run",
      query: activityQuery,
      handler: ({ query }) => hub.activity(query.hours === undefined ? {} : { hours: query.hours }),
    }),
    route({
      method: "get",
      path: "/v1/customers/:id/usage",
      access: "read",
      tag: TAG,
      summary: "The aggregate of a meter or a metered feature (exactly one) over a window; filter.<property>=<value> narrows to matching events",
      query: withPropertyFilter(usageQueryShape),
      handler: ({ query, params }) => {
        const window = windowFrom(query);
        return hub.usage({
          customerId: params.id!,
          ...(query.meter === undefined ? {} : { meter: query.meter }),
          ...(query.feature === undefined ? {} : { feature: query.feature }),
          ...(window === undefined ? {} : { window }),
          ...(query.at === undefined ? {} : { at: query.at }),
          ...(query.filter === undefined ? {} : { filter: query.filter }),
        });
      },
    }),
    route({
      method: "get",
      path: "/v1/customers/:id/stats",
      access: "read",
      tag: TAG,
      summary: "A meter's usage per hour, day, week or month, with total, average, min and max",
      query: withPropertyFilter(statsQueryShape),
      handler: ({ query, params }) => {
        const window = windowFrom(query);
        return hub.ledger.stats({
          customerId: params.id!,
          meter: query.meter,
          groupBy: query.groupBy,
          ...(window === undefined ? {} : { window }),
          ...(query.at === undefined ? {} : { at: query.at }),
          ...(query.filter === undefined ? {} : { filter: query.filter }),
        });
      },
    }),
    route({
      method: "get",
      path: "/v1/customers/:id/events",
      access: "read",
      tag: TAG,
      summary: "The customer's ledger for audit, newest first, page by page (pass nextCursor as cursor)",
      query: eventsQuery,
      handler: ({ query, params }) => hub.ledger.events({ ...query, customerId: params.id! }),
    }),
    route({
      method: "post",
      path: "/v1/customers/:id/resets",
      access: "write",
      tag: TAG,
      summary: "Start a metered feature's usage over from now (earlier events stay in the ledger and on invoices)",
      body: resetBody,
      status: 201,
      handler: ({ body, params }) => hub.ledger.reset(params.id!, body.feature, { reason: body.reason }),
    }),
    route({
      method: "get",
      path: "/v1/customers/:id/resets",
      access: "read",
      tag: TAG,
      summary: "The customer's usage resets, newest first",
      query: resetsQuery,
      handler: async ({ query, params }) => ({ resets: await hub.ledger.resets(params.id!, query.feature) }),
    }),
  ];
}
