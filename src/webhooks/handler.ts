import { BillingError, bodyUnreadError } from "../core/errors.ts";
import { providerIdsWith, type ProviderIdWith } from "../providers/index.ts";
import type { WebhookDeps } from "./deps.ts";
import { processDelivery } from "./process-delivery.ts";

/** A Web-standard request handler: mount it on any runtime that speaks Request/Response. */
export type WebhookHandler = (request: Request) => Promise<Response>;

/** The providers that send webhooks billhub applies: those whose definition declares `webhooks`. */
export type WebhookProvider = ProviderIdWith<"webhooks">;
export const WEBHOOK_PROVIDERS = providerIdsWith("webhooks") as readonly WebhookProvider[];

/**
 * The webhook route of one provider as `(request) => Promise<Response>`. It reads the raw body
 * (signatures cover the exact bytes), verifies it, applies the event once and in order, and
 * answers: 200 for applied, duplicate, stale and ignored events (`{ received, eventId, outcome }`);
 * 400 for a missing or bad signature, a malformed body or an event of the other mode than the
 * API key's (`{ error: { code, message, field } }`), which a retry cannot fix, and for a body that
 * ended before all of it arrived; 5xx only when a redelivery could succeed (the database is down, the
 * provider could not be re-read, billhub is misconfigured).
 *
 * @example Next.js (app/api/webhooks/stripe/route.ts)
 * export const POST = hub.webhooks.stripe;
 * @example Hono
 * app.post("/webhooks/stripe", (c) => hub.webhooks.stripe(c.req.raw));
 */
export function createWebhookHandler(deps: WebhookDeps, provider: WebhookProvider): WebhookHandler {
  return async (request) => {
    const receivedAt = deps.now();
    let rawBody: Uint8Array;
    try {
      rawBody = new Uint8Array(await request.arrayBuffer());
    } catch {
      // The sender went away or the server's request deadline ended the body mid-way: nothing
      // arrived to verify or apply, and nothing of ours failed (no outcome is counted). The
      // provider's redelivery brings the whole body again.
      const unread = bodyUnreadError();
      return Response.json(unread.toJSON(), { status: unread.status });
    }
    try {
      const result = await processDelivery(deps, provider, { rawBody, headers: request.headers }, receivedAt);
      deps.countOutcome(provider, result.outcome);
      return Response.json({ received: true, eventId: result.eventId, outcome: result.outcome, ...(result.error === null ? {} : { detail: result.error }) });
    } catch (error) {
      return errorResponse(deps, provider, error);
    }
  };
}

/** Refusals of the delivery itself: a redelivery of the same bytes would be refused again. */
const REFUSALS = new Set(["WEBHOOK_SIGNATURE_INVALID", "WEBHOOK_PAYLOAD_INVALID", "WEBHOOK_MODE_MISMATCH", "WEBHOOK_EVENT_UNSUPPORTED"]);

function errorResponse(deps: WebhookDeps, provider: string, error: unknown): Response {
  if (error instanceof BillingError && REFUSALS.has(error.code)) {
    deps.countOutcome(provider, "rejected");
    // A body the provider signed but billhub refuses is redelivered for days and refused each
    // time: say why where the operator looks, since it may never reach the webhook log.
    if (error.code !== "WEBHOOK_SIGNATURE_INVALID") console.warn(`billhub: refused a ${provider} webhook event (400 ${error.code}): ${error.message}`);
    return Response.json(error.toJSON(), { status: 400 });
  }
  deps.countOutcome(provider, "failed");
  if (error instanceof BillingError) {
    // Anything else after the body was accepted is ours to fix or wait out: ask for a redelivery.
    const status = error.retryable ? 503 : error.status >= 500 ? error.status : 500;
    return Response.json(error.toJSON(), { status, headers: error.retryable ? { "retry-after": "60" } : {} });
  }
  console.error(`billhub: unexpected error handling a ${provider} webhook:`, error);
  return Response.json(new BillingError("INTERNAL", "Internal error; the event was not applied and will be when the provider redelivers it").toJSON(), { status: 500 });
}
