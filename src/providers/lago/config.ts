import { z } from "zod";
import { meterKeySchema, sendLimitsSchema } from "../define-provider.ts";

const lagoMeterSchema = z.strictObject({
  /** The billable metric's `code`, which the event's `code` names. */
  code: z.string().min(1),
  /** The property the billable metric aggregates (its `field_name`); the quantity goes there. */
  quantityProperty: z.string().min(1).default("quantity"),
});

/** The `lago` config section. */
export const lagoConfigSchema = z.strictObject({
  /** Lago's API key (LAGO_API_KEY). */
  secretKey: z.string().min(1),
  /** Lago's API base including `/api/v1` (the SDK's `baseUrl`); https://api.getlago.com/api/v1 when left out. */
  baseUrl: z.url().optional(),
  /** The organization's HMAC key, for webhooks signed with `X-Lago-Signature-Algorithm: hmac`. */
  webhookHmacKey: z.string().min(1).optional(),
  /**
   * Lago's RSA public key, for webhooks signed with `X-Lago-Signature-Algorithm: jwt` (Lago's
   * default): the PEM, or the base64 text `GET /api/v1/webhooks/public_key` answers.
   */
  webhookPublicKey: z.string().min(1).optional(),
  /** The `iss` a JWT-signed webhook must carry: Lago's API URL; the origin of `baseUrl` when left out. */
  webhookIssuer: z.url().optional(),
  /** Catalog meter key → the billable metric code (and aggregated property) of its events. */
  meters: z.record(meterKeySchema, lagoMeterSchema).default({}),
  /** How long a customer's active subscription, which events are sent to, is reused before it is looked up again. */
  subscriptionCacheTtlMs: z.number().int().min(0).default(60_000),
  /** How long one request to Lago may take before it counts as failed (retried by the forwarder). */
  timeoutMs: z.number().int().min(1).default(30_000),
  ...sendLimitsSchema,
});

export type LagoSettings = z.output<typeof lagoConfigSchema>;
export type LagoMeters = LagoSettings["meters"];
