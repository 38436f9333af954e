import { z } from "zod";
import type { Hub } from "../../hub.ts";
import { route, type RouteSpec } from "../route.ts";

/** A run period key; the hub refuses one outside the supported range or a week its year lacks ("2027-W53"). */
const period = z.string().regex(/^\d{4}(-(0[1-9]|1[0-2])|-W(0[1-9]|[1-4]\d|5[0-3]))?$/, 'must be a run period: a month "2026-10", a year "2026" or an ISO week "2026-W45"');

export const previewQuery = z
  .strictObject({
    /** A run period (month, year or ISO week), or `from` and `to` for an explicit window; neither: the current billing period. */
    period: period.optional(),
    from: z.iso.datetime({ offset: true }).optional(),
    to: z.iso.datetime({ offset: true }).optional(),
  })
  .refine((query) => (query.from === undefined) === (query.to === undefined), { message: "give both from and to, or neither", path: ["from"] })
  .refine((query) => query.period === undefined || query.from === undefined, { message: "give period or from/to, not both", path: ["period"] });

export const listQuery = z.strictObject({
  customerId: z.string().min(1).max(255).optional(),
  period: period.optional(),
  limit: z.string().regex(/^\d{1,4}$/, "must be a whole number from 1 to 1000").optional(),
  cursor: z.string().optional(),
});

export const runBody = z.strictObject({ period, batchSize: z.number().int().min(1).max(5000).optional() });

/**
 * Invoice previews, stored invoices and the invoice run. Reads need a read key; starting a run
 * writes (invoices, closed periods) and needs a write key.
 */
export function invoiceRoutes(hub: Hub): RouteSpec[] {
  return [
    route({
      method: "get",
      path: "/v1/customers/:id/invoice-preview",
      access: "read",
      tag: "invoices",
      summary: "What the customer would be invoiced for a period (nothing is stored)",
      query: previewQuery,
      handler: ({ params, query }) => {
        const period = query.period ?? (query.from !== undefined && query.to !== undefined ? { from: query.from, to: query.to } : undefined);
        return hub.invoices.preview(params.id!, period === undefined ? {} : { period });
      },
    }),
    route({
      method: "get",
      path: "/v1/invoices",
      access: "read",
      tag: "invoices",
      summary: "Stored invoices by number, without their lines; page with cursor=nextCursor",
      query: listQuery,
      handler: ({ query }) =>
        hub.invoices.list({
          ...(query.customerId === undefined ? {} : { customerId: query.customerId }),
          ...(query.period === undefined ? {} : { period: query.period }),
          ...(query.limit === undefined ? {} : { limit: Number(query.limit) }),
          ...(query.cursor === undefined ? {} : { cursor: query.cursor }),
        }),
    }),
    route({
      method: "get",
      path: "/v1/invoices/:id",
      access: "read",
      tag: "invoices",
      summary: "One stored invoice with its numbered lines",
      handler: ({ params }) => hub.invoices.get(params.id!),
    }),
    route({
      method: "post",
      path: "/v1/invoices/run",
      access: "write",
      tag: "invoices",
      summary: "Invoice the customers of a period's interval: a month, a year or an ISO week (resumable: invoiced customers are passed by)",
      body: runBody,
      handler: ({ body }) => hub.invoices.run(body),
    }),
  ];
}
