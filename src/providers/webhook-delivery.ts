import { BillingError } from "../core/errors.ts";
import type { WebhookDelivery } from "./types.ts";

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

// With the `u` flag a string is read by code points, so only an unpaired surrogate is in Cs.
const LONE_SURROGATE = /\p{Cs}/u;

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
  const found = unstorableText(event, "");
  if (found === undefined) return;
  throw new BillingError("WEBHOOK_PAYLOAD_INVALID", `The ${provider} webhook event cannot be stored: ${found.path || "the body"} ${found.problem}; it was not applied`, {
    provider,
    field: found.path || "rawBody",
  });
}

function unstorableText(value: unknown, path: string): { path: string; problem: string } | undefined {
  if (typeof value === "string") {
    if (value.includes("\u0000")) return { path, problem: "holds a NUL character (\\u0000), which PostgreSQL cannot store" };
    if (LONE_SURROGATE.test(value)) return { path, problem: "holds a lone UTF-16 surrogate (\\uD800–\\uDFFF without its pair), which has no UTF-8 form" };
    return undefined;
  }
  if (value === null || typeof value !== "object") return undefined;
  for (const [key, inner] of Object.entries(value)) {
    const keyProblem = unstorableText(key, path);
    if (keyProblem !== undefined) return { path, problem: `has a key that ${keyProblem.problem}` };
    const found = unstorableText(inner, path === "" ? key : `${path}.${key}`);
    if (found !== undefined) return found;
  }
  return undefined;
}
