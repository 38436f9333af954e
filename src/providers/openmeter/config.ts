import { z } from "zod";
import { meterKeySchema, sendLimitsSchema } from "../define-provider.ts";

const openmeterMeterSchema = z.strictObject({
  /** The CloudEvent `type` the OpenMeter meter matches (its `eventType`). */
  eventType: z.string().min(1),
  /** The `data` property the meter's `valueProperty` reads (`$.value` by default), sent as an exact decimal string. */
  valueProperty: z.string().min(1).default("value"),
  /** The meter's slug (or id): needed only to reconcile totals (GET /api/v1/meters/{meterIdOrSlug}/query). */
  meterSlug: z.string().min(1).optional(),
});

/** The `openmeter` config section. */
export const openmeterConfigSchema = z.strictObject({
  /** OpenMeter's API token (OPENMETER_API_KEY), sent as `Authorization: Bearer`. */
  secretKey: z.string().min(1),
  /** OpenMeter's API base: https://openmeter.cloud when left out, or a self-hosted instance. */
  baseUrl: z.url().default("https://openmeter.cloud"),
  /**
   * The CloudEvent `source` of every event billhub sends. OpenMeter deduplicates on `id` and
   * `source` together, so it must never change while usage may still be resent.
   */
  source: z.string().min(1).default("billhub"),
  /** Catalog meter key → the event type (and value property) OpenMeter's meter reads. */
  meters: z.record(meterKeySchema, openmeterMeterSchema).default({}),
  /** How long one request to OpenMeter may take before it counts as failed (retried by the forwarder). */
  timeoutMs: z.number().int().min(1).default(30_000),
  /**
   * How long OpenMeter is trusted to recognize a resent event id. OpenMeter Cloud publishes no
   * window; self-hosted OpenMeter keeps ids as long as its `dedupe.config.expiration` (768h in its
   * example config). The forwarder leaves a resend later than this to an operator.
   */
  dedupeWindowHours: z.number().positive().default(24),
  ...sendLimitsSchema,
});

export type OpenMeterSettings = z.output<typeof openmeterConfigSchema>;
export type OpenMeterMeters = OpenMeterSettings["meters"];
