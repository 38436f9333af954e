import { z } from "zod";
import type { Hub } from "../../hub.ts";
import { customerFieldsSchema } from "../../hub/customer-input.ts";
import { checkoutInputSchema, portalInputSchema, providerCustomerInputSchema, type CheckoutInput, type PortalInput, type ProviderCustomerOptions } from "../../hub/hosted-pages.ts";
import { adjustmentInputSchema, type LimitAdjustmentInput } from "../../hub/limit-adjustments.ts";
import { asSent, route, type RouteSpec } from "../route.ts";
import { flag, instant, keyList, wholeNumber } from "./query.ts";

const TAG = "customers";

export const assignSchema = z.strictObject({
  plan: z.string().min(1).max(128),
  /** One of the plan's variants ("starter"); null or omitted for none. */
  variant: z.string().min(1).max(128).nullable().optional(),
  /** When the change takes effect (default now): not in the future, not before the latest change or inside an invoiced period. */
  effectiveAt: instant.optional(),
  /** Start the plan's trial (plans.<plan>.trial): no flat fee until it ends. */
  trial: z.boolean().optional(),
});

/** Feature key → `true`/`false` for a flag, a limit (number or decimal string) or null for unlimited. */
/** `GET /v1/customers`'s query. */
export const customerListQuery = z.strictObject({
  search: z.string().min(1).max(200).optional(),
  limit: wholeNumber(500).optional(),
  cursor: z.string().min(1).max(255).optional(),
});
export const unassignQuery = z.strictObject({ effectiveAt: instant.optional() });
export const adjustmentListQuery = z.strictObject({ feature: z.string().min(1).max(128).optional(), includeEnded: flag.optional() });

export const overridesSchema = z.record(z.string().min(1).max(128), z.union([z.boolean(), z.number(), z.string().max(64), z.null()]));

/**
 * Customers, their plan, overrides, limit adjustments and synced subscriptions. Answers are the
 * hub's own return values as JSON (dates as ISO 8601 strings).
 */
export function customerRoutes(hub: Hub): RouteSpec[] {
  return [
    route({
      method: "get",
      path: "/v1/customers",
      access: "read",
      tag: TAG,
      summary: "Customers in id order (50 a page, limit up to 500), optionally those whose id, email or name contains `search`; page with cursor=nextCursor",
      query: customerListQuery,
      handler: ({ query }) => hub.customers.list(query),
    }),
    route({
      method: "put",
      path: "/v1/customers/:id",
      access: "write",
      tag: TAG,
      summary: "Create the customer (201) or update the fields given (200); providerIds and metadata merge key by key, null removes a key",
      body: customerFieldsSchema,
      status: 201,
      handler: async ({ body, params, c }) => {
        const result = await hub.customers.upsert({ ...body, id: params.id! });
        return c.json(result, result.created ? 201 : 200);
      },
    }),
    route({
      method: "post",
      path: "/v1/customers/:id/provider-customer",
      access: "write",
      tag: TAG,
      summary: "Create the customer at the provider (its primary one unless named) and store the id in providerIds; 200 with created: false when it has one",
      bodyCheckedByHub: providerCustomerInputSchema,
      status: 201,
      handler: async ({ json, params, c }) => {
        const result = await hub.customers.createProviderCustomer(params.id!, asSent<ProviderCustomerOptions>(json));
        return c.json(result, result.created ? 201 : 200);
      },
    }),
    route({
      method: "post",
      path: "/v1/customers/:id/checkout",
      access: "write",
      tag: TAG,
      summary: "Start the provider's hosted checkout for one of a plan's prices; the plan follows from the subscription webhook",
      bodyCheckedByHub: checkoutInputSchema,
      status: 201,
      handler: async ({ json, params, c }) => c.json(await hub.customers.checkout(params.id!, asSent<CheckoutInput>(json)), 201),
    }),
    route({
      method: "post",
      path: "/v1/customers/:id/portal",
      access: "write",
      tag: TAG,
      summary: "Open a session of the provider's customer portal",
      bodyCheckedByHub: portalInputSchema,
      status: 201,
      handler: async ({ json, params, c }) => c.json(await hub.customers.portal(params.id!, asSent<PortalInput>(json)), 201),
    }),
    route({
      method: "get",
      path: "/v1/customers/:id",
      access: "read",
      tag: TAG,
      summary: "The customer, with the plan in force",
      handler: ({ params }) => hub.customers.get(params.id!),
    }),
    route({
      method: "post",
      path: "/v1/customers/:id/plan",
      access: "write",
      tag: TAG,
      summary: "Put the customer on a plan, optionally on one of its variants, from now or from `effectiveAt`",
      body: assignSchema,
      handler: ({ body, params }) => hub.customers.assign(params.id!, body.plan, { variant: body.variant ?? null, ...(body.effectiveAt === undefined ? {} : { effectiveAt: body.effectiveAt }), ...(body.trial === undefined ? {} : { trial: body.trial }) }),
    }),
    route({
      method: "delete",
      path: "/v1/customers/:id/plan",
      access: "write",
      tag: TAG,
      summary: "Return the customer to the catalog's default plan, from now or from `effectiveAt`",
      query: unassignQuery,
      handler: ({ params, query }) => hub.customers.unassign(params.id!, query.effectiveAt === undefined ? {} : { effectiveAt: query.effectiveAt }),
    }),
    route({
      method: "get",
      path: "/v1/customers/:id/plan-history",
      access: "read",
      tag: TAG,
      summary: "The customer's plan changes, oldest first, each with the instant it took effect (null: since before history was kept) and its source",
      handler: async ({ params }) => ({ changes: await hub.customers.planHistory(params.id!) }),
    }),
    route({
      method: "patch",
      path: "/v1/customers/:id/overrides",
      access: "write",
      tag: TAG,
      summary: "Set the customer's own grant for the features named in the body (others keep theirs); answers every override the customer has",
      body: overridesSchema,
      handler: async ({ body, params }) => ({ overrides: await hub.customers.override(params.id!, body) }),
    }),
    route({
      method: "delete",
      path: "/v1/customers/:id/overrides",
      access: "write",
      tag: TAG,
      summary: "Remove the customer's overrides, or only those of `features=api,sso`; answers those left",
      query: z.strictObject({ features: keyList.optional() }),
      handler: async ({ query, params }) => ({ overrides: await hub.customers.clearOverride(params.id!, query.features) }),
    }),
    route({
      method: "post",
      path: "/v1/customers/:id/adjustments",
      access: "write",
      tag: TAG,
      summary: "Grant (positive amount) or deduct (negative) part of a feature's limit for a time; 201 when created, 200 for a retry with the same id and content",
      bodyCheckedByHub: adjustmentInputSchema,
      status: 201,
      handler: async ({ json, params, c }) => {
        const result = await hub.customers.adjustLimit(params.id!, asSent<LimitAdjustmentInput>(json));
        return c.json(result, result.status === "created" ? 201 : 200);
      },
    }),
    route({
      method: "get",
      path: "/v1/customers/:id/adjustments",
      access: "read",
      tag: TAG,
      summary: "The customer's limit adjustments (ended ones with includeEnded=true)",
      query: adjustmentListQuery,
      handler: async ({ query, params }) => ({
        adjustments: await hub.customers.listAdjustments(params.id!, {
          ...(query.feature === undefined ? {} : { feature: query.feature }),
          includeEnded: query.includeEnded ?? false,
        }),
      }),
    }),
    route({
      method: "post",
      path: "/v1/customers/:id/adjustments/:adjustmentId/end",
      access: "write",
      tag: TAG,
      summary: "End a limit adjustment now (it is kept, and stops counting at once)",
      handler: ({ params }) => hub.customers.endAdjustment(params.id!, params.adjustmentId!),
    }),
    route({
      method: "get",
      path: "/v1/customers/:id/subscriptions",
      access: "read",
      tag: TAG,
      summary: "The customer's provider subscriptions as last synced by webhooks",
      handler: async ({ params }) => ({ subscriptions: await hub.customers.subscriptions((await hub.customers.get(params.id!)).id) }),
    }),
  ];
}
