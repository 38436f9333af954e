import { createHmac } from "node:crypto";

/**
 * Polar objects as the 2026-10 API sends them (`Product`, `Subscription` in @polar-sh/sdk's models),
 * with values that make sense, and webhook deliveries signed the Standard Webhooks way.
 */
export const POLAR_WEBHOOK_SECRET = "polar_whs_3sE9oFqKXb2mWQ7dTgVh1cYp";

export function polarProduct(overrides: Record<string, unknown> = {}) {
  const id = (overrides.id as string | undefined) ?? "7f5a2a9e-4b1c-4c0e-9a57-2b8f3e1d6c01";
  return {
    id,
    created_at: "2026-01-05T09:00:00.000000Z",
    modified_at: "2026-03-01T10:00:00.000000Z",
    trial_interval: null,
    trial_interval_count: null,
    name: "Pro",
    description: "For growing teams",
    visibility: "public",
    recurring_interval: "month",
    recurring_interval_count: 1,
    meter_interval: "month",
    meter_interval_count: 1,
    is_recurring: true,
    is_archived: false,
    organization_id: "1dbfc517-0bbf-4301-9ba8-555ca42b9737",
    metadata: {},
    is_deletable: false,
    prices: [
      { created_at: "2026-01-05T09:00:00Z", modified_at: null, id: "b9a1c0f4-8d2e-4f6a-a1c3-5e7d9f0b2a11", source: "catalog", amount_type: "fixed", price_currency: "usd", tax_behavior: null, is_archived: false, product_id: id, price_amount: 4900 },
      {
        created_at: "2026-01-05T09:00:00Z",
        modified_at: null,
        id: "c2d4e6f8-1a3b-4c5d-8e9f-0a1b2c3d4e22",
        source: "catalog",
        amount_type: "metered_unit",
        price_currency: "usd",
        tax_behavior: null,
        is_archived: false,
        product_id: id,
        cap_amount: null,
        meter_id: "meter-api",
        meter: { id: "meter-api", name: "API calls" },
        unit_amount: "0.05",
      },
    ],
    benefits: [],
    medias: [],
    attached_custom_fields: [],
    ...overrides,
  };
}

export function polarSubscription(overrides: Record<string, unknown> = {}) {
  const product = (overrides.product as ReturnType<typeof polarProduct> | undefined) ?? polarProduct();
  return {
    created_at: "2026-03-01T10:00:00.000000Z",
    modified_at: "2026-03-01T10:00:05.000000Z",
    id: "0e3a7c52-6f1d-4b8e-9c2a-7d4f1e5b3a90",
    amount: 4900,
    currency: "usd",
    recurring_interval: "month",
    recurring_interval_count: 1,
    status: "active",
    current_period_start: "2026-03-01T10:00:00Z",
    current_period_end: "2026-04-01T10:00:00Z",
    current_meter_period_start: "2026-03-01T10:00:00Z",
    current_meter_period_end: "2026-04-01T10:00:00Z",
    trial_start: null,
    trial_end: null,
    cancel_at_period_end: false,
    canceled_at: null,
    started_at: "2026-03-01T10:00:00Z",
    ends_at: null,
    ended_at: null,
    pause_at_period_end: false,
    paused_at: null,
    resumes_at: null,
    customer_id: "5c8e1f2a-3b4d-4e6f-8a9b-0c1d2e3f4a5b",
    product_id: product.id,
    discount_id: null,
    checkout_id: "9d8c7b6a-5e4f-4a3b-8c2d-1e0f9a8b7c6d",
    seats: null,
    units: null,
    customer_cancellation_reason: null,
    customer_cancellation_comment: null,
    metadata: {},
    customer: {
      id: "5c8e1f2a-3b4d-4e6f-8a9b-0c1d2e3f4a5b",
      created_at: "2026-02-20T08:00:00Z",
      modified_at: null,
      metadata: {},
      external_id: "acme",
      email: "billing@acme.example",
      email_verified: true,
      type: "team",
      name: "Acme",
      billing_name: null,
    },
    product,
    discount: null,
    prices: product.prices,
    meters: [],
    pending_update: null,
    ...overrides,
  };
}

/** A webhook body as Polar sends it: `{ type, timestamp, api_version, data }`. */
export function polarEvent(type: string, data: unknown, timestamp = "2026-03-10T11:59:30.123456Z"): string {
  return JSON.stringify({ type, timestamp, api_version: "2026-10", data });
}

/**
 * Headers of a delivery of `body`, signed as Polar signs: HMAC-SHA256 keyed with the UTF-8 bytes
 * of the whole secret over `${id}.${timestamp}.${body}`, base64, as `v1,<sig>`.
 */
export function polarHeaders(body: string, options: { id?: string; at?: Date; secret?: string; key?: Buffer } = {}): Headers {
  const id = options.id ?? "msg_2bYQk7yWmZ3nA9xR";
  const timestamp = String(Math.floor((options.at ?? new Date()).getTime() / 1000));
  const key = options.key ?? Buffer.from(options.secret ?? POLAR_WEBHOOK_SECRET, "utf8");
  const signature = createHmac("sha256", key).update(`${id}.${timestamp}.${body}`).digest("base64");
  return new Headers({ "content-type": "application/json", "webhook-id": id, "webhook-timestamp": timestamp, "webhook-signature": `v1,${signature}` });
}
