import { readFileSync } from "node:fs";
import Stripe from "stripe";

/** Stripe's published object shapes (values are filler; tests set values that make sense). */
const fixtures = JSON.parse(readFileSync(new URL("../fixtures/stripe/objects.json", import.meta.url), "utf8")) as Record<string, Record<string, unknown>>;

/** A deep copy of one fixture object (`price`, `product`, `subscription`, `invoice`, `event`, `customer`, `checkout.session`, ...) with overrides. */
export function stripeObject(name: string, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const base = fixtures[name];
  if (base === undefined) throw new Error(`no Stripe fixture named ${name}`);
  return { ...structuredClone(base), ...overrides };
}

/** A Stripe event envelope around `object`, serialized as Stripe sends it. */
export function stripeEventBody(type: string, object: Record<string, unknown>, options: { id?: string; created?: number; livemode?: boolean } = {}): string {
  const event = stripeObject("event", {
    id: options.id ?? "evt_1PgzV3B7WZ01zgkW9eSg2ZLf",
    type,
    created: options.created ?? 1_773_144_000,
    livemode: options.livemode ?? false,
    api_version: "2026-10-28.endive",
    data: { object },
  });
  return JSON.stringify(event, null, 2);
}

/** The `Stripe-Signature` header Stripe would send for `body`, signed at `timestamp` (unix seconds). */
export function stripeSignature(body: string, secret: string, timestamp: number): string {
  return Stripe.webhooks.generateTestHeaderString({ payload: body, secret, timestamp });
}
