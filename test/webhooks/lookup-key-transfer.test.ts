import { describe, expect, it } from "vitest";
import { mapUsageToLineItems } from "../../src/core/pricing/map-usage-to-line-items.ts";
import { createStripeStandIn } from "../support/msw/stripe.ts";
import { useWebhookHub } from "../support/webhook-hub.ts";
import { answer, stripePrice, stripeRequest } from "../support/webhooks.ts";

const FEBRUARY = { start: new Date("2026-02-01T00:00:00.000Z"), end: new Date("2026-03-01T00:00:00.000Z") };
const MARCH = { start: new Date("2026-03-01T00:00:00.000Z"), end: new Date("2026-04-01T00:00:00.000Z") };
/** When the old price was created, and when the new one took over its lookup key. */
const CREATED = new Date("2026-01-15T09:00:00.000Z");
const TRANSFER = new Date("2026-03-10T12:00:00.000Z");

let clock = TRANSFER;
const stripe = createStripeStandIn({ now: () => clock });
const env = useWebhookHub(() => clock, [stripe]);

async function deliver(type: string, object: Record<string, unknown>, options: { id: string; created: Date }) {
  clock = new Date(Math.max(clock.getTime(), options.created.getTime()));
  return answer(await env.hub.webhooks.stripe(stripeRequest(type, object, { ...options, signedAt: clock })));
}

/** The invoice preview of a period on plan pro: 20,000 API calls at the api_calls price in effect then. */
async function preview(period: { start: Date; end: Date }) {
  const resolvePrice = await env.hub.priceResolverForPeriod(period);
  return mapUsageToLineItems(env.hub.catalog.plans.pro!.pricing, { api_calls: 20_000 }, { resolvePrice, period });
}

describe("a lookup-key transfer in Stripe (a new price taking over the old price's lookup_key)", () => {
  it("changes the next invoice preview and leaves the previous period's preview as it was, whatever order the two events arrive in", async () => {
    const old = stripePrice({ id: "price_api_old", lookup_key: "api_calls", unit_amount_decimal: "0.5", created: Math.floor(CREATED.getTime() / 1000) });
    await deliver("price.created", old, { id: "evt_old_created", created: CREATED });
    clock = new Date("2026-03-05T00:00:00.000Z");
    const februaryBefore = await preview(FEBRUARY);
    expect(februaryBefore.lineItems[0]).toMatchObject({ amount: 10_000, price: { lookupKey: "api_calls", id: "price_api_old" } });
    expect((await preview(MARCH)).subtotal).toBe(10_000);

    // Stripe sends price.created for the new price and price.updated for the old one (its lookup
    // key now null), both in the transfer's second; here the new price's event arrives first.
    const created = await deliver("price.created", stripePrice({ id: "price_api_new", lookup_key: "api_calls", unit_amount_decimal: "0.4" }), { id: "evt_new_created", created: TRANSFER });
    expect(created.body.outcome).toBe("applied");
    // Until the old price's event arrives both hold the key; the one that took it last wins, as at Stripe.
    expect((await preview(MARCH)).lineItems[0]).toMatchObject({ amount: 8000, price: { id: "price_api_new" } });
    await deliver("price.updated", { ...old, lookup_key: null }, { id: "evt_old_updated", created: TRANSFER });

    const march = await preview(MARCH);
    expect(march.lineItems[0]).toMatchObject({ exactAmount: "8000", amount: 8000, price: { lookupKey: "api_calls", id: "price_api_new" } });
    expect(march.subtotal).toBe(8000);
    expect(await preview(FEBRUARY)).toEqual(februaryBefore);

    const holders = (await env.hub.priceHistory({ lookupKey: "api_calls" })).map((version) => [version.priceId, version.validFrom, version.validTo]);
    expect(holders).toEqual([
      ["price_api_old", CREATED, TRANSFER],
      ["price_api_new", TRANSFER, null],
    ]);
  });

  it("fails the preview loudly, naming the lookup key, while no price holds it (never a silent zero)", async () => {
    const old = stripePrice({ id: "price_gap_old", lookup_key: "gap_key", unit_amount_decimal: "1" });
    await deliver("price.created", old, { id: "evt_gap_1", created: CREATED });
    const transfer = new Date("2026-05-10T00:00:00.000Z");
    await deliver("price.updated", { ...old, lookup_key: null }, { id: "evt_gap_2", created: transfer });
    const resolvePrice = await env.hub.priceResolverAt(new Date(transfer.getTime() + 1000));
    const plan = { key: "gap", currency: "USD", charges: [{ key: "api", meter: "api_calls", model: "per_unit" as const, price: { lookupKey: "gap_key" } }] };
    expect(() => mapUsageToLineItems(plan, { api_calls: 10 }, { resolvePrice })).toThrow(expect.objectContaining({ code: "CATALOG_INVALID", message: expect.stringContaining('no synced price has lookup key "gap_key"') }));
  });
});
