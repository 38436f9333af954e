import type { Hub } from "../../hub.ts";
import { providerDefinition } from "../../providers/index.ts";
import { WEBHOOK_PROVIDERS } from "../../webhooks/index.ts";
import { route, type RouteSpec } from "../route.ts";

/**
 * POST /webhooks/<provider> for each configured provider that sends webhooks: public (the provider's
 * signature is the credential) and without a body schema, so the handler gets the raw, unparsed body
 * it verifies. A provider without its config section has no route (a request to it is a 404), not
 * one that fails on every delivery.
 */
export function webhookRoutes(hub: Hub): RouteSpec[] {
  return WEBHOOK_PROVIDERS.filter((provider) => hub.providers.providers.has(provider)).map((provider) =>
    route({
      method: "post",
      path: `/webhooks/${provider}`,
      access: "public",
      tag: "webhooks",
      summary: `${providerDefinition(provider)!.displayName} webhook: verified by signature, applied once and in order`,
      handler: ({ c }) => hub.webhooks[provider](c.req.raw),
    }),
  );
}
