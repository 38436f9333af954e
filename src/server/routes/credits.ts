import { z } from "zod";
import type { Hub } from "../../hub.ts";
import { expiringQuerySchema, takeBackInputSchema } from "../../hub/credits/credits-api.ts";
import { grantInputSchema, type CreditGrantInput } from "../../hub/credits/input.ts";
import { asSent, route, type RouteSpec } from "../route.ts";
import { instant, wholeNumber } from "./query.ts";

const TAG = "credits";

export const creditHistoryQuery = z.strictObject({
  grantId: z.string().min(1).max(255).optional(),
  limit: wholeNumber(500).optional(),
  cursor: z.string().regex(/^\d{1,15}$/, "must be the nextCursor of a previous page").optional(),
});
export const creditExpiringQuery = z.strictObject({ until: instant.optional() });

/** Prepaid credit of a customer: grants (top-ups), the balance, the ledger and what expires soon. */
export function creditRoutes(hub: Hub): RouteSpec[] {
  return [
    route({
      method: "post",
      path: "/v1/customers/:id/credits",
      access: "write",
      tag: TAG,
      summary: "Grant credit: money (`currency`, whole minor units) drawn by invoices, or units of a metered `feature` drawn by consumes past the limit; 201 when created, 200 for a retry with the same id and content",
      bodyCheckedByHub: grantInputSchema,
      status: 201,
      handler: async ({ json, params, c }) => {
        const result = await hub.credits.grant(params.id!, asSent<CreditGrantInput>(json));
        return c.json(result, result.status === "created" ? 201 : 200);
      },
    }),
    route({
      method: "get",
      path: "/v1/customers/:id/credits",
      access: "read",
      tag: TAG,
      summary: "The customer's credit balance: money and units per feature (available, scheduled, granted, drawn, expired) and the grants with something left",
      handler: ({ params }) => hub.credits.balance(params.id!),
    }),
    route({
      method: "get",
      path: "/v1/customers/:id/credits/history",
      access: "read",
      tag: TAG,
      summary: "The credit ledger (grants, draws, expiries), oldest first, 100 a page (limit up to 500); page with cursor=nextCursor",
      query: creditHistoryQuery,
      handler: ({ params, query }) => hub.credits.history(params.id!, query),
    }),
    route({
      method: "post",
      path: "/v1/customers/:id/credits/:grantId/take-back",
      access: "write",
      tag: TAG,
      summary: "Take back what is left of a grant (a refunded purchase), or at most `amount` of it (a partial refund; whole minor units for money): one expire entry of what is taken, its reference `take-back:` and the reason; 201 when taken now, 200 for a repeat of the reason (whatever its amount: it takes nothing more) or when nothing was left",
      bodyCheckedByHub: takeBackInputSchema,
      status: 201,
      handler: async ({ json, params, c }) => {
        const result = await hub.credits.takeBack(params.id!, params.grantId!, asSent<z.input<typeof takeBackInputSchema>>(json));
        return c.json(result, result.status === "taken_back" ? 201 : 200);
      },
    }),
    route({
      method: "get",
      path: "/v1/customers/:id/credits/expiring",
      access: "read",
      tag: TAG,
      summary: "What expires or does not roll over by `until` (default 31 days from now) if nothing draws it first",
      query: creditExpiringQuery,
      handler: ({ params, query }) => hub.credits.expiring(params.id!, query satisfies z.input<typeof expiringQuerySchema>),
    }),
  ];
}
