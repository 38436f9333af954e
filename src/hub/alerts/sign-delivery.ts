import { Webhook } from "standardwebhooks";

/**
 * The headers of one Standard Webhooks delivery: `webhook-id` (the event id, the same on every
 * retry so receivers can deduplicate), `webhook-timestamp` (this attempt, in seconds) and
 * `webhook-signature` (`v1,` + base64 HMAC-SHA256 of `id.timestamp.body` under the endpoint's
 * secret), signed by the `standardwebhooks` package itself.
 *
 * @example
 * signedHeaders({ eventId: "evt_1", body: '{"type":"alert.usage"}', secret: "whsec_...", at: new Date() })
 * // { "content-type": "application/json", "webhook-id": "evt_1", "webhook-timestamp": "1796601600", "webhook-signature": "v1,K5oZ..." }
 */
export function signedHeaders(input: { eventId: string; body: string; secret: string; at: Date }): Record<string, string> {
  const timestamp = new Date(Math.floor(input.at.getTime() / 1000) * 1000);
  return {
    "content-type": "application/json",
    "user-agent": "billhub-alerts",
    "webhook-id": input.eventId,
    "webhook-timestamp": String(timestamp.getTime() / 1000),
    "webhook-signature": new Webhook(input.secret).sign(input.eventId, timestamp, input.body),
  };
}
