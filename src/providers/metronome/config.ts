import { z } from "zod";
import { meterKeySchema, sendLimitsSchema } from "../define-provider.ts";

const metronomeMeterSchema = z.strictObject({
  /** The usage event's `event_type`, which Metronome's billable metric matches. */
  eventType: z.string().min(1),
  /** The property that carries the quantity, as an exact decimal string (Metronome sums properties). */
  quantityProperty: z.string().min(1).default("quantity"),
  /** The billable metric that counts these events: needed only to reconcile totals (POST /v1/usage). */
  billableMetricId: z.string().min(1).optional(),
});

/** The `metronome` config section. */
export const metronomeConfigSchema = z.strictObject({
  /** Metronome's API bearer token (METRONOME_BEARER_TOKEN, the SDK's own variable name). */
  secretKey: z.string().min(1),
  /** Metronome's API base (the SDK's `baseURL`); https://api.metronome.com when left out. */
  baseUrl: z.url().optional(),
  /** The webhook's signing secret, as Metronome shows it. */
  webhookSecret: z.string().min(1).optional(),
  /** Catalog meter key → the event type (and quantity property) Metronome's billable metric reads. */
  meters: z.record(meterKeySchema, metronomeMeterSchema).default({}),
  /** How long one request to Metronome may take before it counts as failed (retried by the forwarder). */
  timeoutMs: z.number().int().min(1).default(30_000),
  ...sendLimitsSchema,
});

export type MetronomeSettings = z.output<typeof metronomeConfigSchema>;
export type MetronomeMeters = MetronomeSettings["meters"];
