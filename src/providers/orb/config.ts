import { z } from "zod";
import { meterKeySchema, sendLimitsSchema } from "../define-provider.ts";

const orbMeterSchema = z.strictObject({
  /** The event's `event_name`, which Orb's billable metric filters on. */
  eventName: z.string().min(1),
  /** The property that carries the quantity (Orb aggregates numeric properties: "Values that you wish to numerically aggregate should be of numeric type"). */
  quantityProperty: z.string().min(1).default("quantity"),
  /** The billable metric that counts these events: needed only to reconcile totals (GET /subscriptions/{id}/usage reports usage per billable metric). */
  billableMetricId: z.string().min(1).optional(),
});

/** The `orb` config section. */
export const orbConfigSchema = z.strictObject({
  /** Orb's API key (ORB_API_KEY, the SDK's own variable name). */
  secretKey: z.string().min(1),
  /** Orb's API base (the SDK's `baseURL`); https://api.withorb.com/v1 when left out. */
  baseUrl: z.url().optional(),
  /** The webhook's signing secret, as Orb shows it. */
  webhookSecret: z.string().min(1).optional(),
  /** Catalog meter key → the event name (and quantity property) Orb's billable metric reads. */
  meters: z.record(meterKeySchema, orbMeterSchema).default({}),
  /**
   * The account's ingestion grace period in hours, as set in Orb: usage older than this is refused
   * before sending (Orb would refuse it: "Events with `timestamp < current_time - grace_period`
   * will not be accepted"). Left out, Orb's own answer decides.
   */
  gracePeriodHours: z.number().positive("must be a number above 0").optional(),
  /** How long one request to Orb may take before it counts as failed (retried by the forwarder). */
  timeoutMs: z.number().int().min(1).default(30_000),
  ...sendLimitsSchema,
});

export type OrbSettings = z.output<typeof orbConfigSchema>;
export type OrbMeters = OrbSettings["meters"];
