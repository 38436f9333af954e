import { z } from "zod";
import { BillingError } from "../../core/errors.ts";
import type { Hub } from "../../hub.ts";
import { route, type RouteSpec } from "../route.ts";

const TAG = "entitlements";

const amountSchema = z.union([z.number(), z.string().max(64)], { error: "must be a number or a decimal string" });

export const entitlementsQuery = z.strictObject({ variant: z.string().min(1).max(128).optional() });

export const checkSchema = z.strictObject({
  customerId: z.string(),
  feature: z.string(),
  /** How much more the caller wants to use (default 1); for a static feature, the total asked about. */
  amount: amountSchema.optional(),
  /** A plan variant for this check instead of the customer's own. */
  variant: z.string().min(1).max(128).optional(),
});

export const consumeSchema = z.strictObject({
  customerId: z.string(),
  feature: z.string(),
  amount: amountSchema,
  /** The idempotency key of this use, as for POST /v1/usage: a retry records nothing more. */
  transactionId: z.string(),
  variant: z.string().min(1).max(128).optional(),
  /** Event properties for the ledger, e.g. { "model": "gpt-5" }. */
  properties: z.record(z.string(), z.unknown()).optional(),
});

/**
 * Request-time entitlements. A check is a question, so "no" is an answer: 200 with
 * `allowed: false` and the refusal. A consume that is refused did not happen, so it is an error
 * (403 with the refusal's code: LIMIT_EXCEEDED, FEATURE_NOT_GRANTED, FORBIDDEN, HOOK_REFUSED, and
 * the full result in `error.details.result`): a client that only looks at the status can never
 * go ahead with a use that was not granted.
 */
export function entitlementRoutes(hub: Hub): RouteSpec[] {
  return [
    route({
      method: "get",
      path: "/v1/customers/:id/entitlements",
      access: "read",
      tag: TAG,
      summary: "Every feature's limit for the customer now: plan or variant, overrides and active adjustments (without usage)",
      query: entitlementsQuery,
      handler: ({ query, params }) => hub.entitlements(params.id!, query.variant === undefined ? {} : { variant: query.variant }),
    }),
    route({
      method: "post",
      path: "/v1/entitlements/check",
      access: "read",
      tag: TAG,
      summary: "May the customer use `amount` (default 1) more of the feature now? Always 200: allowed, limit, used, remaining, resetsAt, and the refusal when not allowed",
      body: checkSchema,
      handler: ({ body }) => {
        const { customerId, feature, ...options } = body;
        return hub.check(customerId, feature, options);
      },
    }),
    route({
      method: "post",
      path: "/v1/entitlements/consume",
      access: "write",
      tag: TAG,
      summary: "Check and record usage of a metered feature atomically: 201 consumed, 200 duplicate (a retry with the same transactionId), 403 refused with the refusal's code and nothing recorded",
      body: consumeSchema,
      status: 201,
      handler: async ({ body, c }) => {
        const { customerId, feature, amount, transactionId, ...options } = body;
        const result = await hub.consume(customerId, feature, amount, transactionId, options);
        // A refused consume (and only that) carries a refusal.
        if (result.refusal !== null) throw new BillingError(result.refusal.code, result.refusal.reason, { details: { result } });
        return c.json(result, result.status === "created" ? 201 : 200);
      },
    }),
  ];
}
