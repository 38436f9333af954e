import { BillingError } from "../core/errors.ts";
import type { WebhookDelivery } from "./types.ts";
import { textProblem, unstorablePart } from "../core/storable-text.ts";

/** A header of a webhook delivery, case-insensitively; the first value when repeated. */
export function headerOf(delivery: WebhookDelivery, name: string): string | undefined {
  const { headers } = delivery;
  if (headers instanceof Headers) return headers.get(name) ?? undefined;
  const wanted = name.toLowerCase();
  for (const [key, value] of Object.entries(headers)) {
    if (key.toLowerCase() !== wanted || value === undefined) continue;
    return typeof value === "string" ? value : value[0];
  }
  return undefined;
}

/** The raw body as text, exactly as signed. A parsed object is refused with how to fix it. */
export function rawBodyText(delivery: WebhookDelivery, provider: string): string {
  const { rawBody } = delivery;
  if (typeof rawBody === "string") return rawBody;
  if (rawBody instanceof Uint8Array) return new TextDecoder("utf-8").decode(rawBody);
  throw new BillingError(
    "WEBHOOK_PAYLOAD_INVALID",
    `The ${provider} webhook body must be the raw, unparsed request body (a string or bytes), not a parsed object: signatures cover the exact bytes. Read it with request.text() before any JSON parsing`,
    { provider, field: "rawBody" },
  );
}

/** The webhook log's limit on an event id (webhook_events.event_id). */
export const MAX_EVENT_ID_LENGTH = 255;

/**
 * Refuses a verified event that holds text PostgreSQL cannot store: a NUL character (no text or
 * jsonb value can hold U+0000) or a lone UTF-16 surrogate (jsonb refuses `\ud800`). Checked
 * before anything is written, so such an event is refused (400) on every delivery instead of
 * failing (500) on each one while the provider retries for days. The field names the first
 * such value (or the object holding such a key) by its path in the event.
 *
 * @example
 * assertStorableJson(JSON.parse('{"data":{"object":{"nickname":"a\\u0000"}}}'), "stripe")
 * // throws WEBHOOK_PAYLOAD_INVALID, field "data.object.nickname"
 */
export function assertStorableJson(event: unknown, provider: string): void {
  const found = unstorablePart(event);
  if (found === undefined) return;
  // A bad key is named by the object holding it: the key itself cannot be shown as it is.
  const last = found.path.at(-1);
  const badKey = typeof last === "string" && textProblem(last) !== undefined;
  const path = (badKey ? found.path.slice(0, -1) : found.path).join(".");
  throw new BillingError("WEBHOOK_PAYLOAD_INVALID", `The ${provider} webhook event cannot be stored: ${path || "the body"}${badKey ? " has a key that" : ""} ${found.message}; it was not applied`, {
    provider,
    field: path || "rawBody",
  });
}
