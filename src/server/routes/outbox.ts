import { z } from "zod";
import type { Hub } from "../../hub.ts";
import { providerIdEnum } from "../../providers/index.ts";
import { OUTBOX_STATUSES } from "../../store/outbox/read.ts";
import { route, type RouteSpec } from "../route.ts";

const provider = providerIdEnum("pushUsage");

export const outboxRowsQuery = z.strictObject({
  status: z.enum(OUTBOX_STATUSES).optional(),
  provider: provider.optional(),
  transactionId: z.string().min(1).max(100).optional(),
  cursor: z.string().min(1).max(1000).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(50),
});

// One object (not a union) so that /openapi.json documents it as an object with its fields.
export const outboxReplayBody = z
  .strictObject({
    transactionId: z.string().min(1).max(100).optional(),
    dead: z.literal(true).optional(),
    provider: provider.optional(),
  })
  .refine((body) => (body.transactionId === undefined) !== (body.dead === undefined), {
    message: "give either transactionId (one row) or dead: true (every dead row)",
    path: ["transactionId"],
  });

/** The outbox over HTTP: its status and rows (read keys), replaying dead rows (write keys). */
export function outboxRoutes(hub: Hub): RouteSpec[] {
  return [
    route({
      method: "get",
      path: "/v1/outbox",
      access: "read",
      tag: "outbox",
      summary: "Outbox rows per provider and status, and the age of the oldest undelivered row",
      handler: () => hub.outbox.status(),
    }),
    route({
      method: "get",
      path: "/v1/outbox/rows",
      access: "read",
      tag: "outbox",
      summary: "Outbox rows oldest first (filter by status, provider, transactionId; cursor pagination)",
      query: outboxRowsQuery,
      handler: ({ query }) => hub.outbox.list(query),
    }),
    route({
      method: "post",
      path: "/v1/outbox/replay",
      access: "write",
      tag: "outbox",
      summary: "Make dead rows pending again: one transaction's ({ transactionId, provider? }) or all ({ dead: true, provider? })",
      body: outboxReplayBody,
      handler: ({ body }) =>
        hub.outbox.replay(body.transactionId !== undefined ? { transactionId: body.transactionId, provider: body.provider } : { dead: true, provider: body.provider }),
    }),
  ];
}
