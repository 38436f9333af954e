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
