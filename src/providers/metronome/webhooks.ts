import { createHmac, timingSafeEqual } from "node:crypto";
import { z } from "zod";
import { BillingError } from "../../core/errors.ts";
import type { ProviderChange, WebhookDelivery } from "../types.ts";
import { assertStorableJson, headerOf, MAX_EVENT_ID_LENGTH, rawBodyText } from "../webhook-delivery.ts";

export interface MetronomeWebhookOptions {
  /** The webhook's signing secret (metronome.webhookSecret / METRONOME_WEBHOOK_SECRET). */
  secret: string | undefined;
  now: () => Date;
}

/** `client.webhooks.verifySignature` in @metronome/sdk 3.10 refuses dates more than 5 minutes old or ahead. */
const TOLERANCE_MS = 5 * 60_000;

// "Metronome notifications have this structure: { id, type, properties }", and "use the
// notification's id field to deduplicate" (docs.metronome.com/developer-resources/using-the-api/webhooks).
const bodySchema = z.object({ id: z.string().min(1), type: z.string().min(1), properties: z.record(z.string(), z.unknown()).optional() });

/**
 * Verifies a Metronome webhook and maps it to billhub's change union. Verification is the SDK's
 * (`resources/webhooks.js` of @metronome/sdk 3.10, `verifySignature`): the `Metronome-Webhook-Signature`
 * header is the hex HMAC-SHA256, keyed with the secret as given, of the `X-Metronome-Date` header,
 * a newline and the raw body, and the date must be within 5 minutes of now. (Metronome's older
 * guide names the plain `Date` header; it is read when `X-Metronome-Date` is absent.) It is done
 * here rather than through the SDK so the clock is billhub's and the SDK stays unloaded.
 *
 * Metronome's notifications are alerts, contract, commit and credit changes and invoice events
 * (…/set-up-notifications/system-notifications); none carries a price or a plan billhub's catalog
 * could take, so each verified event is logged once (deduplicated on `id`) and answered 200 as
 * `ignored`, with the reason.
 *
 * @example
 * const change = parseMetronomeWebhook({ rawBody: await request.text(), headers: request.headers },
 *   { secret: process.env.METRONOME_WEBHOOK_SECRET, now: () => new Date() });
 */
export function parseMetronomeWebhook(delivery: WebhookDelivery, options: MetronomeWebhookOptions): ProviderChange {
  const secret = options.secret;
  if (secret === undefined || secret === "") {
    throw new BillingError("CONFIG_INVALID", "Invalid configuration: metronome.webhookSecret (METRONOME_WEBHOOK_SECRET) is required to verify Metronome webhooks; copy the webhook's secret from Metronome", {
      field: "metronome.webhookSecret",
    });
  }
  const body = rawBodyText(delivery, "metronome");
  const dateHeader = headerOf(delivery, "x-metronome-date") === undefined && headerOf(delivery, "date") !== undefined ? "date" : "x-metronome-date";
  const date = requiredHeader(delivery, dateHeader);
  const signature = requiredHeader(delivery, "metronome-webhook-signature");

  const sentAt = new Date(date);
  if (Number.isNaN(sentAt.getTime())) invalid(`${dateHeader} is not a date: ${JSON.stringify(date.slice(0, 40))}`, `headers.${dateHeader}`);
  const age = options.now().getTime() - sentAt.getTime();
  if (age > TOLERANCE_MS) invalid(`Metronome webhook date is ${Math.round(age / 1000)}s old, more than ${TOLERANCE_MS / 1000}s: a replay, or a clock out of sync`, `headers.${dateHeader}`);
  if (-age > TOLERANCE_MS) invalid(`Metronome webhook date is ${Math.round(-age / 1000)}s ahead, more than ${TOLERANCE_MS / 1000}s: check the server clock`, `headers.${dateHeader}`);

  const expected = Buffer.from(createHmac("sha256", secret).update(`${date}\n${body}`).digest("hex"));
  const given = Buffer.from(signature.trim());
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    invalid("Metronome webhook signature did not verify. Pass the raw, unparsed request body and the webhook's own signing secret", "headers.metronome-webhook-signature");
  }

  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch (error) {
    throw new BillingError("WEBHOOK_PAYLOAD_INVALID", `Metronome webhook body is not JSON: ${(error as Error).message}`, { provider: "metronome", field: "rawBody", cause: error });
  }
  assertStorableJson(json, "metronome");
  const parsed = bodySchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new BillingError("WEBHOOK_PAYLOAD_INVALID", `Metronome webhook body is malformed: ${issue.path.join(".") || "body"}: ${issue.message}`, {
      provider: "metronome",
      field: issue.path.join(".") || "rawBody",
    });
  }
  const event = parsed.data;
  if (event.id.length > MAX_EVENT_ID_LENGTH) {
    throw new BillingError("WEBHOOK_PAYLOAD_INVALID", `Metronome webhook id is ${event.id.length} characters long, more than the ${MAX_EVENT_ID_LENGTH} billhub's webhook log keeps; it was not applied`, {
      provider: "metronome",
      field: "id",
    });
  }
  return {
    provider: "metronome",
    eventId: event.id,
    eventType: event.type,
    created: sentAt,
    livemode: null,
    kind: "ignored",
    reason: `billhub does not act on Metronome ${event.type} notifications: Metronome keeps contracts, rate cards and invoices itself, and billhub's plans are not set from them`,
  };
}

function requiredHeader(delivery: WebhookDelivery, name: string): string {
  const value = headerOf(delivery, name);
  if (value === undefined || value === "") invalid(`Missing ${name} header: the request did not come from Metronome, or a proxy dropped the header`, `headers.${name}`);
  return value;
}

function invalid(message: string, field: string): never {
  throw new BillingError("WEBHOOK_SIGNATURE_INVALID", message, { provider: "metronome", field });
}
