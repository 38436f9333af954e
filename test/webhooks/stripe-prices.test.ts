import { describe, expect, it } from "vitest";
import { createStripeStandIn } from "../support/msw/stripe.ts";
import { useWebhookHub } from "../support/webhook-hub.ts";
import { answer, stripePrice, stripeRequest } from "../support/webhooks.ts";

const T0 = new Date("2026-03-10T12:00:00.000Z");
const at = (s: number) => new Date(T0.getTime() + s * 1000);
let clock = T0;
const stripe = createStripeStandIn({ now: () => clock });
const env = useWebhookHub(() => clock, [stripe]);

/** Delivers a signed Stripe event now (the signature is fresh; `created` is when the change happened). */
async function deliver(type: string, object: Record<string, unknown>, options: { id: string; created: Date }) {
  return answer(await env.hub.webhooks.stripe(stripeRequest(type, object, { ...options, signedAt: clock })));
}

async function history(priceId: string) {
  return (await env.hub.priceHistory({ provider: "stripe", priceId })).map((version) => ({
    lookupKey: version.lookupKey,
    nickname: (version.price as { nickname: string | null }).nickname,
    validFrom: version.validFrom,
    validTo: version.validTo,
  }));
}

describe("Stripe price events", () => {
  it("stores a created price as its first version, resolvable by lookup key, and logs the event", async () => {
    const price = stripePrice({ id: "price_create_1", lookup_key: "create_key", unit_amount_decimal: "0.5" });
    const response = await deliver("price.created", price, { id: "evt_create_1", created: at(0) });
    expect(response).toEqual({ status: 200, body: { received: true, eventId: "evt_create_1", outcome: "applied" } });

    const [version] = await env.hub.priceHistory({ priceId: "price_create_1" });
    expect(version).toMatchObject({ provider: "stripe", lookupKey: "create_key", currency: "USD", active: true, validFrom: at(0), validTo: null, source: "evt_create_1" });
    expect(version!.resolved).toEqual({ scheme: "per_unit", id: "price_create_1", currency: "USD", unitAmount: "0.5", transformQuantity: null });
    const resolve = await env.hub.priceResolverAt(at(1));
    expect(resolve({ lookupKey: "create_key" })).toEqual(version!.resolved);

    const [logged] = (await env.hub.webhooks.events({ provider: "stripe" })).filter((event) => event.eventId === "evt_create_1");
    expect(logged).toMatchObject({ eventType: "price.created", objectType: "price", objectId: "price_create_1", outcome: "applied", error: null, attempts: 1, receivedAt: clock, created: at(0) });
  });

  it("answers a redelivered event 200 duplicate and changes nothing", async () => {
    const price = stripePrice({ id: "price_dup_1", lookup_key: "dup_key" });
    await deliver("price.created", price, { id: "evt_dup_1", created: at(0) });
    const before = await env.hub.priceHistory({ priceId: "price_dup_1" });
    const again = await deliver("price.created", price, { id: "evt_dup_1", created: at(0) });
    expect(again).toEqual({ status: 200, body: { received: true, eventId: "evt_dup_1", outcome: "duplicate" } });
    expect(await env.hub.priceHistory({ priceId: "price_dup_1" })).toEqual(before);
    const logged = (await env.hub.webhooks.events()).filter((event) => event.eventId === "evt_dup_1");
    expect(logged).toHaveLength(1);
    expect(logged[0]).toMatchObject({ outcome: "applied", attempts: 1 });
  });

  it("enters an older event that arrives late in the history in its place, leaving the newer state current", async () => {
    const base = { id: "price_order_1", lookup_key: "order_key" };
    await deliver("price.created", stripePrice({ ...base, nickname: "v1" }), { id: "evt_order_1", created: at(0) });
    await deliver("price.updated", stripePrice({ ...base, nickname: "v3" }), { id: "evt_order_3", created: at(20) });
    const late = await deliver("price.updated", stripePrice({ ...base, nickname: "v2", unit_amount_decimal: "0.7" }), { id: "evt_order_2", created: at(10) });

    expect(late).toEqual({
      status: 200,
      body: { received: true, eventId: "evt_order_2", outcome: "applied", detail: "a newer change (event evt_order_3) is already applied; this older change was entered in the history in its place" },
    });
    expect(await history("price_order_1")).toEqual([
      { lookupKey: "order_key", nickname: "v1", validFrom: at(0), validTo: at(10) },
      { lookupKey: "order_key", nickname: "v2", validFrom: at(10), validTo: at(20) },
      { lookupKey: "order_key", nickname: "v3", validFrom: at(20), validTo: null },
    ]);
    expect((await env.hub.priceResolverAt(at(15)))({ lookupKey: "order_key" })).toMatchObject({ unitAmount: "0.7" });
    expect((await env.hub.priceResolverAt(at(25)))({ lookupKey: "order_key" })).toMatchObject({ unitAmount: "0.5" });
    expect(stripe.calls("retrieve_price")).toHaveLength(0);
  });

  it("resolves a price at an instant before its archive when the archive arrived before its earlier versions", async () => {
    const base = { id: "price_arch_1", lookup_key: "arch_key" };
    await deliver("price.updated", stripePrice({ ...base, active: false }), { id: "evt_arch_2", created: at(60) });
    expect((await deliver("price.created", stripePrice(base), { id: "evt_arch_1", created: at(0) })).body.outcome).toBe("applied");
    expect((await env.hub.priceResolverAt(at(30)))({ lookupKey: "arch_key" })).toMatchObject({ id: "price_arch_1", unitAmount: "0.5" });
    expect((await env.hub.priceHistory({ priceId: "price_arch_1" })).map((v) => [v.active, v.validFrom, v.validTo, v.source])).toEqual([
      [true, at(0), at(60), "evt_arch_1"],
      [false, at(60), null, "evt_arch_2"],
    ]);
  });

  it("takes the tiers of a late tiered price event from the price as Stripe has it now (tiers never change) and the rest from the event", async () => {
    const tiers = [
      { up_to: 100, unit_amount: null, unit_amount_decimal: "1", flat_amount: null, flat_amount_decimal: null },
      { up_to: null, unit_amount: null, unit_amount_decimal: "0.5", flat_amount: null, flat_amount_decimal: null },
    ];
    const base = stripePrice({ id: "price_late_tiers", lookup_key: "late_tiers_key", billing_scheme: "tiered", tiers_mode: "volume", unit_amount_decimal: null });
    stripe.putObject("price", { ...base, nickname: "now", tiers });
    await deliver("price.updated", { ...base, nickname: "now" }, { id: "evt_late_tiers_2", created: at(50) });
    expect((await deliver("price.created", { ...base, nickname: "then" }, { id: "evt_late_tiers_1", created: at(0) })).body.outcome).toBe("applied");
    expect(await history("price_late_tiers")).toEqual([
      { lookupKey: "late_tiers_key", nickname: "then", validFrom: at(0), validTo: at(50) },
      { lookupKey: "late_tiers_key", nickname: "now", validFrom: at(50), validTo: null },
    ]);
    expect((await env.hub.priceResolverAt(at(10)))({ lookupKey: "late_tiers_key" })).toMatchObject({ scheme: "tiered", tiersMode: "volume", tiers: [{ upTo: 100, unitAmount: "1" }, { upTo: null, unitAmount: "0.5" }] });
  });

  it("keeps the change already in the history for a second when a different late change of that second arrives, and says so", async () => {
    const base = { id: "price_late_tie", lookup_key: "late_tie_key" };
    await deliver("price.created", stripePrice({ ...base, nickname: "x" }), { id: "evt_late_tie_1", created: at(10) });
    await deliver("price.updated", stripePrice({ ...base, nickname: "z" }), { id: "evt_late_tie_3", created: at(40) });
    const tie = await deliver("price.updated", stripePrice({ ...base, nickname: "y" }), { id: "evt_late_tie_2", created: at(10) });
    expect(tie).toMatchObject({ status: 200, body: { outcome: "stale", detail: expect.stringContaining("another change in the same second (event evt_late_tie_1)") } });
    expect((await history("price_late_tie")).map((v) => v.nickname)).toEqual(["x", "z"]);
  });

  it("settles two changes in the same second by re-reading the price, so the later one is never dropped", async () => {
    const base = { id: "price_tie_1", lookup_key: "tie_key" };
    await deliver("price.created", stripePrice({ ...base, nickname: "first" }), { id: "evt_tie_0", created: at(0) });
    // Two updates in second 30; Stripe's current state is the second one. They arrive newest first.
    stripe.putObject("price", stripePrice({ ...base, nickname: "second" }));
    await deliver("price.updated", stripePrice({ ...base, nickname: "second" }), { id: "evt_tie_2", created: at(30) });
    const older = await deliver("price.updated", stripePrice({ ...base, nickname: "interim" }), { id: "evt_tie_1", created: at(30) });

    expect(older.body.outcome).toBe("applied");
    expect(stripe.calls("retrieve_price")).toHaveLength(1);
    expect(await history("price_tie_1")).toEqual([
      { lookupKey: "tie_key", nickname: "first", validFrom: at(0), validTo: at(30) },
      { lookupKey: "tie_key", nickname: "second", validFrom: at(30), validTo: null },
    ]);
  });

  it("applies the later of two same-second changes when it arrives last, after re-reading it", async () => {
    const base = { id: "price_tie_2", lookup_key: "tie_key_2" };
    stripe.putObject("price", stripePrice({ ...base, nickname: "second" }));
    await deliver("price.created", stripePrice({ ...base, nickname: "first" }), { id: "evt_tie2_1", created: at(5) });
    await deliver("price.updated", stripePrice({ ...base, nickname: "second" }), { id: "evt_tie2_2", created: at(5) });
    expect(await history("price_tie_2")).toEqual([{ lookupKey: "tie_key_2", nickname: "second", validFrom: at(5), validTo: null }]);
    // The same state again in that second needs no re-read.
    await deliver("price.updated", stripePrice({ ...base, nickname: "second" }), { id: "evt_tie2_3", created: at(5) });
    expect(stripe.calls("retrieve_price")).toHaveLength(1);
  });

  it("re-reads a tiered price with its tiers, which Stripe leaves out of events", async () => {
    const tiers = [
      { up_to: 1000, unit_amount: null, unit_amount_decimal: "0", flat_amount: null, flat_amount_decimal: null },
      { up_to: null, unit_amount: null, unit_amount_decimal: "0.25", flat_amount: null, flat_amount_decimal: null },
    ];
    const tiered = stripePrice({ id: "price_tiered_1", lookup_key: "tiered_key", billing_scheme: "tiered", tiers_mode: "graduated", unit_amount_decimal: null });
    stripe.putObject("price", { ...tiered, tiers });
    await deliver("price.created", tiered, { id: "evt_tiered_1", created: at(0) });

    const retrieve = stripe.calls("retrieve_price");
    expect(retrieve).toHaveLength(1);
    const [version] = await env.hub.priceHistory({ priceId: "price_tiered_1" });
    expect(version!.resolved).toEqual({
      scheme: "tiered",
      id: "price_tiered_1",
      currency: "USD",
      tiersMode: "graduated",
      tiers: [
        { upTo: 1000, unitAmount: "0" },
        { upTo: null, unitAmount: "0.25" },
      ],
    });
  });

  it("ends a deleted price's current version: past instants still resolve it, later ones do not", async () => {
    const price = stripePrice({ id: "price_del_1", lookup_key: "del_key" });
    await deliver("price.created", price, { id: "evt_del_1", created: at(0) });
    await deliver("price.deleted", { ...price, active: false }, { id: "evt_del_2", created: at(60) });
    expect(await history("price_del_1")).toEqual([{ lookupKey: "del_key", nickname: null, validFrom: at(0), validTo: at(60) }]);
    expect((await env.hub.priceResolverAt(at(59)))({ lookupKey: "del_key" })).toMatchObject({ id: "price_del_1" });
    expect((await env.hub.priceResolverAt(at(60)))({ lookupKey: "del_key" })).toBeUndefined();
    // An update from before the deletion, arriving late, goes in the history before it and does not bring it back.
    expect((await deliver("price.updated", { ...price, nickname: "renamed" }, { id: "evt_del_0", created: at(30) })).body.outcome).toBe("applied");
    expect(await history("price_del_1")).toEqual([
      { lookupKey: "del_key", nickname: null, validFrom: at(0), validTo: at(30) },
      { lookupKey: "del_key", nickname: "renamed", validFrom: at(30), validTo: at(60) },
    ]);
    expect((await env.hub.priceResolverAt(at(61)))({ lookupKey: "del_key" })).toBeUndefined();
  });

  it("keeps a price that cannot price usage with the reason, and names it when a charge resolves to it", async () => {
    const custom = stripePrice({ id: "price_custom_1", lookup_key: "custom_key", unit_amount_decimal: null, unit_amount: null });
    await deliver("price.created", custom, { id: "evt_custom_1", created: at(0) });
    const [version] = await env.hub.priceHistory({ priceId: "price_custom_1" });
    expect(version).toMatchObject({ resolved: null, resolveError: expect.stringContaining("has no unit amount") });
    const resolve = await env.hub.priceResolverAt(at(1));
    expect(() => resolve({ lookupKey: "custom_key" })).toThrow(expect.objectContaining({ code: "CATALOG_INVALID", message: expect.stringContaining("Price price_custom_1 (lookup key \"custom_key\") cannot price usage") }));
  });

  it("keeps package pricing (transform_quantity) and sub-cent amounts exact", async () => {
    const price = stripePrice({ id: "price_pkg_1", lookup_key: "pkg_key", unit_amount_decimal: "0.0125", transform_quantity: { divide_by: 1000, round: "up" } });
    await deliver("price.created", price, { id: "evt_pkg_1", created: at(0) });
    const resolve = await env.hub.priceResolverAt(at(0));
    expect(resolve({ lookupKey: "pkg_key", provider: "stripe" })).toEqual({ scheme: "per_unit", id: "price_pkg_1", currency: "USD", unitAmount: "0.0125", transformQuantity: { divideBy: 1000, round: "up" } });
  });
});

describe("Stripe product events", () => {
  it("applies product changes in order and keeps a deleted product deleted", async () => {
    const product = { id: "prod_order_1", object: "product", name: "API", active: true, default_price: null, metadata: { billhub_plan: "pro" }, updated: 0 };
    expect((await deliver("product.created", product, { id: "evt_prod_1", created: at(0) })).body.outcome).toBe("applied");
    expect((await deliver("product.deleted", { id: "prod_order_1", object: "product", deleted: true }, { id: "evt_prod_3", created: at(40) })).body.outcome).toBe("applied");
    expect((await deliver("product.updated", { ...product, name: "API v2" }, { id: "evt_prod_2", created: at(20) })).body.outcome).toBe("stale");
    const rows = await env.store.query("SELECT name, active, deleted FROM provider_products WHERE product_id = 'prod_order_1'");
    expect(rows.rows).toEqual([{ name: "API", active: false, deleted: true }]);
  });
});

describe("the webhook log", () => {
  it("filters by provider and outcome, and refuses a bad filter naming the field", async () => {
    await deliver("price.created", stripePrice({ id: "price_log_1", lookup_key: "log_key" }), { id: "evt_log_1", created: at(0) });
    const applied = await env.hub.webhooks.events({ provider: "stripe", outcome: "applied", limit: 1000 });
    expect(applied.map((event) => event.eventId)).toContain("evt_log_1");
    expect(applied.every((event) => event.outcome === "applied")).toBe(true);
    expect(await env.hub.webhooks.events({ provider: "flowglad" })).toEqual([]);
    await expect(env.hub.webhooks.events({ outcome: "done" as never })).rejects.toMatchObject({ code: "VALIDATION_FAILED", field: "filter.outcome" });
    await expect(env.hub.webhooks.events({ limit: 0 })).rejects.toMatchObject({ code: "VALIDATION_FAILED", field: "filter.limit" });
  });
});

describe("the price resolver's input", () => {
  it("refuses an invalid instant and a period that does not end after it starts", async () => {
    await expect(env.hub.priceResolverAt(new Date("not a date"))).rejects.toMatchObject({ code: "VALIDATION_FAILED", field: "at" });
    await expect(env.hub.priceResolverForPeriod({ start: at(10), end: at(10) })).rejects.toMatchObject({ code: "VALIDATION_FAILED", field: "period" });
  });
});

describe("events billhub does not act on", () => {
  it("acknowledges an unknown event type with 200 and no effect, logged as ignored", async () => {
    const charge = { id: "ch_1", object: "charge", amount: 1000 };
    expect(await deliver("charge.succeeded", charge, { id: "evt_ignored_1", created: at(0) })).toEqual({
      status: 200,
      body: { received: true, eventId: "evt_ignored_1", outcome: "ignored", detail: "billhub does not act on Stripe charge.succeeded events" },
    });
    expect(await deliver("charge.succeeded", charge, { id: "evt_ignored_1", created: at(0) })).toMatchObject({ status: 200, body: { outcome: "duplicate" } });
    const [logged] = (await env.hub.webhooks.events()).filter((event) => event.eventId === "evt_ignored_1");
    expect(logged).toMatchObject({ outcome: "ignored", objectType: null, attempts: 1 });
  });
});

describe("a re-read that fails", () => {
  it("answers 503 so Stripe redelivers, logs the event failed, and applies it on redelivery", async () => {
    const base = { id: "price_retry_1", lookup_key: "retry_key" };
    await deliver("price.created", stripePrice({ ...base, nickname: "a" }), { id: "evt_retry_0", created: at(0) });
    stripe.putObject("price", stripePrice({ ...base, nickname: "b" }));
    stripe.inject("retrieve_price", { kind: "server_error" });
    const failed = await deliver("price.updated", stripePrice({ ...base, nickname: "b" }), { id: "evt_retry_1", created: at(0) });
    expect(failed.status).toBe(503);
    expect(failed.body).toMatchObject({ error: { code: "PROVIDER_UNAVAILABLE", message: expect.stringContaining("Stripe failed (HTTP 500)") } });
    const [logged] = (await env.hub.webhooks.events()).filter((event) => event.eventId === "evt_retry_1");
    expect(logged).toMatchObject({ outcome: "failed", error: expect.stringContaining("PROVIDER_UNAVAILABLE"), attempts: 1 });
    expect(await history("price_retry_1")).toEqual([{ lookupKey: "retry_key", nickname: "a", validFrom: at(0), validTo: null }]);

    const redelivered = await deliver("price.updated", stripePrice({ ...base, nickname: "b" }), { id: "evt_retry_1", created: at(0) });
    expect(redelivered.body.outcome).toBe("applied");
    expect(await history("price_retry_1")).toEqual([{ lookupKey: "retry_key", nickname: "b", validFrom: at(0), validTo: null }]);
    const [after] = (await env.hub.webhooks.events()).filter((event) => event.eventId === "evt_retry_1");
    expect(after).toMatchObject({ outcome: "applied", error: null, attempts: 2 });
  });
});
