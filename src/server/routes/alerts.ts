import { z } from "zod";
import { ALERT_KINDS } from "../../core/catalog/index.ts";
import type { Hub } from "../../hub.ts";
import { DELIVERY_STATUSES } from "../../hub/alerts/alerts-api.ts";
import { route, type RouteSpec } from "../route.ts";

const TAG = "alerts";

const filters = {
  alert: z.string().min(1).max(128).optional(),
  kind: z.enum(ALERT_KINDS).optional(),
  status: z.enum(DELIVERY_STATUSES).optional(),
  cursor: z.string().min(1).max(200).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(50),
};
export const alertsQuery = z.strictObject({ customerId: z.string().min(1).max(255).optional(), ...filters });
export const customerAlertsQuery = z.strictObject(filters);

// One object (not a union) so that /openapi.json documents it as an object with its fields.
export const alertReplayBody = z
  .strictObject({
    eventId: z.string().min(1).max(100).optional(),
    dead: z.literal(true).optional(),
    endpoint: z.string().min(1).max(64).optional(),
  })
  .refine((body) => (body.eventId === undefined) !== (body.dead === undefined), {
    message: "give either eventId (one alert's deliveries) or dead: true (every dead delivery)",
    path: ["eventId"],
  });

/** Fired threshold alerts and their deliveries (read keys); replaying dead deliveries (write keys). */
export function alertRoutes(hub: Hub): RouteSpec[] {
  return [
    route({
      method: "get",
      path: "/v1/alerts",
      access: "read",
      tag: TAG,
      summary: "Fired threshold alerts, newest first, each with its event and every endpoint's delivery (filter by customerId, alert, kind, delivery status; cursor pagination)",
      query: alertsQuery,
      handler: ({ query }) => hub.alerts.list(query),
    }),
    route({
      method: "get",
      path: "/v1/customers/:id/alerts",
      access: "read",
      tag: TAG,
      summary: "One customer's fired threshold alerts, newest first (404 for an unknown customer)",
      query: customerAlertsQuery,
      handler: async ({ params, query }) => hub.alerts.list({ ...query, customerId: (await hub.customers.get(params.id!)).id }),
    }),
    route({
      method: "post",
      path: "/v1/alerts/replay",
      access: "write",
      tag: TAG,
      summary: "Make dead alert deliveries pending again, with the same event id: one alert's ({ eventId, endpoint? }) or all ({ dead: true, endpoint? })",
      body: alertReplayBody,
      handler: ({ body }) =>
        hub.alerts.replay(body.eventId !== undefined ? { eventId: body.eventId, ...(body.endpoint ? { endpoint: body.endpoint } : {}) } : { dead: true, ...(body.endpoint ? { endpoint: body.endpoint } : {}) }),
    }),
  ];
}
