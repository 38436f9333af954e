import { z } from "zod";

/** Endpoint ids name an endpoint in delivery rows and the API: what a typo would break, so kept plain. */
const endpointIdSchema = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$/, "must start with a letter or digit and use only letters, digits, _ . : - (at most 64)");
const alertKeySchema = z.string().min(1).max(128);

function isHttpUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return (url.protocol === "http:" || url.protocol === "https:") && url.hostname !== "";
  } catch {
    return false;
  }
}

/**
 * A Standard Webhooks signing secret: `whsec_` and the base64 of 24 to 64 random bytes (what the
 * `standardwebhooks` package and its verifiers in other languages accept).
 *
 * @example
 * isWebhookSecret("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw") // true
 * isWebhookSecret("sk_live_123")                         // false
 */
export function isWebhookSecret(value: string): boolean {
  const match = /^whsec_([A-Za-z0-9+/]+={0,2})$/.exec(value);
  if (match === null) return false;
  const bytes = Buffer.from(match[1]!, "base64");
  return bytes.length >= 24 && bytes.length <= 64 && bytes.toString("base64").replace(/=+$/, "") === match[1]!.replace(/=+$/, "");
}

const endpointSchema = z.strictObject({
  /** Where alert events are POSTed. */
  url: z.string().refine(isHttpUrl, "must be an http:// or https:// URL"),
  /** The endpoint's signing secret: `whsec_` + base64 of 24–64 random bytes. */
  secret: z.string().refine(isWebhookSecret, 'must be a Standard Webhooks secret: "whsec_" followed by the base64 of 24 to 64 random bytes'),
  /** Only these catalog alerts (keys) go to this endpoint; default: every alert. */
  alerts: z.array(alertKeySchema).optional(),
});

const deliverySchema = z
  .strictObject({
    /** Run the alert sender inside `billhub serve`. */
    enabled: z.boolean().default(true),
    /** Deliveries one claim takes, sent at once. */
    batchSize: z.number().int().min(1).max(500).default(20),
    /** Attempts before a delivery is dead (replay brings it back). */
    maxAttempts: z.number().int().min(1).max(100).default(12),
    /** First backoff step; each attempt doubles it up to backoffCapMs, with jitter. */
    backoffBaseMs: z.number().int().min(0).default(5_000),
    backoffCapMs: z.number().int().min(0).default(3_600_000),
    /** How long an endpoint has to answer one delivery. */
    timeoutMs: z.number().int().min(100).max(120_000).default(10_000),
    /**
     * How long a claim holds its deliveries: a sender that dies mid-send leaves them due again
     * after this. Longer than timeoutMs, so a live sender always settles before its lease ends.
     */
    leaseMs: z.number().int().min(1_000).max(3_600_000).default(60_000),
    /** How often an idle sender looks for due deliveries. */
    pollIntervalMs: z.number().int().min(10).default(1_000),
  })
  .refine((delivery) => delivery.backoffCapMs >= delivery.backoffBaseMs, { message: "must be at least backoffBaseMs", path: ["backoffCapMs"] })
  .refine((delivery) => delivery.leaseMs > delivery.timeoutMs, { message: "must be longer than timeoutMs (a delivery must be settled before its lease ends)", path: ["leaseMs"] });

const evaluationSchema = z.strictObject({
  /**
   * How often the alert sender evaluates recorded usage (`record`, `recordBatch`) against the
   * usage and spend alerts: the longest an alert reached by recorded usage waits to fire, beyond
   * the evaluation itself. A customer is evaluated at most once per interval however often it records.
   */
  intervalMs: z.number().int().min(10).max(3_600_000).default(5_000),
});

/** Where threshold alerts are delivered, as signed webhooks, and how; how often recorded usage is evaluated. */
export const alertsConfigSchema = z.strictObject({
  /** Endpoints by id: `{ ops: { url: "https://...", secret: "whsec_..." } }`. */
  endpoints: z.record(endpointIdSchema, endpointSchema).default({}),
  delivery: deliverySchema.default(() => deliverySchema.parse({})),
  evaluation: evaluationSchema.default(() => evaluationSchema.parse({})),
});

export type AlertsConfig = z.output<typeof alertsConfigSchema>;
export type AlertEndpointConfig = z.output<typeof endpointSchema>;
