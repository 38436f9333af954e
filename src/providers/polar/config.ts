import { z } from "zod";
import { meterKeySchema, sendLimitsSchema } from "../define-provider.ts";

const polarMeterSchema = z.strictObject({
  /** The event `name` the Polar meter's filter matches. */
  eventName: z.string().min(1),
  /** The metadata property the meter's sum aggregation reads (Polar sums numeric metadata only). */
  quantityProperty: z.string().min(1).default("quantity"),
  /** The Polar meter's id: needed only to reconcile totals (GET /v1/meters/{id}/quantities). */
  meterId: z.string().min(1).optional(),
});

/** The `polar` config section. */
export const polarConfigSchema = z.strictObject({
  /** A Polar organization access token (POLAR_ACCESS_TOKEN), sent as `Authorization: Bearer`. */
  secretKey: z.string().min(1),
  /** Polar's environment: `production` (https://api.polar.sh) or `sandbox` (https://sandbox-api.polar.sh); tokens differ per environment. */
  environment: z.enum(["production", "sandbox"]).default("production"),
  /** Another API base (a local stand-in); overrides `environment`'s. */
  baseUrl: z.url().optional(),
  /** The webhook endpoint's secret, as Polar shows it (`whsec_…` or the plain secret). */
  webhookSecret: z.string().min(1).optional(),
  /** Catalog meter key → the event name (and metadata property) Polar's meter reads. */
  meters: z.record(meterKeySchema, polarMeterSchema).default({}),
  /** How long one request to Polar may take (the SDK's own default is 5 s); a timed-out send is retried by the forwarder. */
  timeoutMs: z.number().int().min(1).default(5_000),
  /**
   * How long Polar is trusted to recognize a resent `external_id`. Polar publishes no window; the
   * forwarder leaves a resend later than this to an operator.
   */
  dedupeWindowHours: z.number().positive().default(24),
  ...sendLimitsSchema,
});

export type PolarSettings = z.output<typeof polarConfigSchema>;
export type PolarMeters = PolarSettings["meters"];
