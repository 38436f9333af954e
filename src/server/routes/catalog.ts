import { z } from "zod";
import type { Catalog, Plan } from "../../core/catalog/index.ts";
import { BillingError, listKeys } from "../../core/errors.ts";
import type { Hub } from "../../hub.ts";
import { WEBHOOK_OUTCOMES } from "../../store/webhooks/webhook-log.ts";
import { route, type RouteSpec } from "../route.ts";
import { flag, wholeNumber } from "./query.ts";

const TAG = "catalog";

export const pricesQuery = z.strictObject({
  provider: z.string().min(1).max(64).optional(),
  lookupKey: z.string().min(1).max(200).optional(),
  priceId: z.string().min(1).max(255).optional(),
  current: flag.optional(),
});
export const webhookEventsQuery = z.strictObject({
  provider: z.string().min(1).max(64).optional(),
  outcome: z.enum(WEBHOOK_OUTCOMES).optional(),
  limit: wholeNumber(1000).optional(),
});

/** A plan as the API shows it: what it grants each feature and what it bills. */
function planView(plan: Plan, catalog: Catalog) {
  return {
    key: plan.key,
    name: plan.name,
    description: plan.description ?? null,
    default: plan.key === catalog.defaultPlan,
    currency: catalog.currency,
    metadata: plan.metadata,
    features: plan.grants,
    charges: plan.charges,
    minimumCommitment: plan.pricing.minimumCommitment ?? null,
    providerPrices: plan.providerPrices,
    trial: plan.trial,
  };
}

/** A plan as `GET /v1/plans/:key` answers it. */
export type PlanView = ReturnType<typeof planView>;

/** The catalog as `GET /v1/catalog` answers it. */
export type CatalogView = ReturnType<typeof catalogView>;

/** The catalog as `GET /v1/catalog` answers it. */
export function catalogView(catalog: Catalog) {
  return {
    currency: catalog.currency,
    defaultPlan: catalog.defaultPlan,
    proration: catalog.proration,
    meters: Object.values(catalog.meters),
    features: Object.values(catalog.features),
    plans: Object.keys(catalog.plans),
  };
}

/** The catalog (read-only: it is configuration), the prices synced from providers and the webhook log. */
export function catalogRoutes(hub: Hub): RouteSpec[] {
  const { catalog } = hub;
  return [
    route({
      method: "get",
      path: "/v1/catalog",
      access: "read",
      tag: TAG,
      summary: "The catalog's currency, default plan, meters, features and plan keys",
      handler: async () => catalogView(catalog),
    }),
    route({
      method: "get",
      path: "/v1/plans",
      access: "read",
      tag: TAG,
      summary: "Every plan with its grants per feature (limits, variants), charges and minimum commitment",
      handler: async () => ({ plans: Object.values(catalog.plans).map((plan) => planView(plan, catalog)) }),
    }),
    route({
      method: "get",
      path: "/v1/plans/:key",
      access: "read",
      tag: TAG,
      summary: "One plan (404 lists the valid keys)",
      handler: async ({ params }) => {
        const key = params.key!;
        if (!Object.hasOwn(catalog.plans, key)) {
          throw new BillingError("NOT_FOUND", `No plan ${JSON.stringify(key)}; plans: ${listKeys(Object.keys(catalog.plans))}`, { field: "key", details: { valid: Object.keys(catalog.plans).sort() } });
        }
        return planView(catalog.plans[key]!, catalog);
      },
    }),
    route({
      method: "get",
      path: "/v1/prices",
      access: "read",
      tag: TAG,
      summary: "Versions of prices synced from providers, oldest first (current=true: only each price's current version)",
      query: pricesQuery,
      handler: async ({ query }) => {
        const { current, ...filter } = query;
        const versions = await hub.prices.history(filter);
        return { prices: current ? versions.filter((version) => version.validTo === null) : versions };
      },
    }),
    route({
      method: "get",
      path: "/v1/webhook-events",
      access: "read",
      tag: TAG,
      summary: "The webhook log, newest first: provider, event id, type, object, outcome and error",
      query: webhookEventsQuery,
      handler: async ({ query }) => ({ events: await hub.webhooks.events(query) }),
    }),
  ];
}
