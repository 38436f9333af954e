import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { SEED } from "../support/hostile.ts";
import { createStripeStandIn } from "../support/msw/stripe.ts";
import { useWebhookHub } from "../support/webhook-hub.ts";
import { answer, stripePrice, stripeRequest } from "../support/webhooks.ts";

// Stripe delivers events unordered and up to days late. The price history must not depend on the
// order: a price resolved at any instant is what Stripe had then, however the events arrived.

const NOW = new Date("2026-03-10T12:00:00.000Z");
const T0 = new Date("2026-02-01T00:00:00.000Z");
const at = (s: number) => new Date(T0.getTime() + s * 1000);
const stripe = createStripeStandIn({ now: () => NOW });
const env = useWebhookHub(() => NOW, [stripe]);

interface PriceEvent {
  name: string;
  type: string;
  /** Which of the two prices of one delivery run the event is about. */
  price: "main" | "successor";
  fields: Record<string, unknown>;
  created: number;
}

/**
 * One price's life at Stripe, at distinct seconds: created, renamed, archived, reactivated in its
 * first state (A B A: the last change repeats an earlier state), deleted, created again, and its
 * lookup key taken over by a successor price.
 */
const EVENTS: PriceEvent[] = [
  { name: "created", type: "price.created", price: "main", fields: { nickname: "a", unit_amount_decimal: "0.5" }, created: 0 },
  { name: "renamed", type: "price.updated", price: "main", fields: { nickname: "b", unit_amount_decimal: "0.5" }, created: 10 },
  { name: "archived", type: "price.updated", price: "main", fields: { nickname: "b", active: false, unit_amount_decimal: "0.5" }, created: 20 },
  { name: "reactivated", type: "price.updated", price: "main", fields: { nickname: "a", unit_amount_decimal: "0.5" }, created: 30 },
  { name: "deleted", type: "price.deleted", price: "main", fields: { nickname: "a", active: false, unit_amount_decimal: "0.5" }, created: 40 },
  { name: "re-created", type: "price.created", price: "main", fields: { nickname: "c", unit_amount_decimal: "0.75" }, created: 50 },
  { name: "key given up", type: "price.updated", price: "main", fields: { nickname: "c", unit_amount_decimal: "0.75", lookup_key: null }, created: 60 },
  { name: "successor created", type: "price.created", price: "successor", fields: { nickname: "s", unit_amount_decimal: "0.4" }, created: 60 },
];

/** Instants around every change, and between them. */
const INSTANTS = [...new Set(EVENTS.map((event) => event.created))].flatMap((s) => [at(s - 1), new Date(at(s).getTime() - 1), at(s), at(s + 5)]);

let run = 0;

/** Delivers `events` in the given order, for prices of their own, and reads back what was stored. */
async function deliverInOrder(events: readonly PriceEvent[]) {
  run += 1;
  const ids = { main: `price_order_${run}`, successor: `price_succ_${run}` };
  const lookupKey = `order_key_${run}`;
  for (const event of events) {
    const object = stripePrice({ id: ids[event.price], lookup_key: lookupKey, ...event.fields });
    const response = await answer(await env.hub.webhooks.stripe(stripeRequest(event.type, object, { id: `evt_${run}_${event.price}_${event.created}`, created: at(event.created), signedAt: NOW })));
    expect(response.status, JSON.stringify(response.body)).toBe(200);
  }
  const anonymous = (text: string) => text.replaceAll(ids.main, "MAIN").replaceAll(ids.successor, "SUCCESSOR").replaceAll(lookupKey, "KEY").replaceAll(`evt_${run}_`, "evt_");
  const history = [];
  for (const priceId of [ids.main, ids.successor]) {
    for (const version of await env.hub.priceHistory({ provider: "stripe", priceId })) {
      // The hash covers the price id, which each run makes its own.
      const { provider: _, stateHash: __, ...rest } = version;
      history.push(JSON.parse(anonymous(JSON.stringify(rest))) as unknown);
    }
  }
  const resolutions = [];
  for (const instant of INSTANTS) {
    const resolved = (await env.hub.priceResolverAt(instant))({ lookupKey, provider: "stripe" });
    resolutions.push([instant.toISOString(), resolved === undefined ? null : JSON.parse(anonymous(JSON.stringify(resolved)))]);
  }
  return { history, resolutions };
}

const summary = (history: unknown[]) =>
  history.map((version) => {
    const v = version as { priceId: string; lookupKey: string | null; active: boolean; price: { nickname: string }; validFrom: string; validTo: string | null };
    return [v.priceId, v.price.nickname, v.lookupKey, v.active, v.validFrom, v.validTo];
  });

describe("the price history, whatever order Stripe delivers the events in", () => {
  it("holds every version at its own time when the events arrive in the order they happened", async () => {
    const { history, resolutions } = await deliverInOrder(EVENTS);
    const iso = (s: number) => at(s).toISOString();
    expect(summary(history)).toEqual([
      ["MAIN", "a", "KEY", true, iso(0), iso(10)],
      ["MAIN", "b", "KEY", true, iso(10), iso(20)],
      ["MAIN", "b", "KEY", false, iso(20), iso(30)],
      ["MAIN", "a", "KEY", true, iso(30), iso(40)],
      ["MAIN", "c", "KEY", true, iso(50), iso(60)],
      ["MAIN", "c", null, true, iso(60), null],
      ["SUCCESSOR", "s", "KEY", true, iso(60), null],
    ]);
    const unitAmountAt = (s: number) => (resolutions.find(([instant]) => instant === iso(s))![1] as { unitAmount: string; id: string } | null);
    expect([0, 35, 45, 55, 65].map((s) => unitAmountAt(s) && [unitAmountAt(s)!.id, unitAmountAt(s)!.unitAmount])).toEqual([
      ["MAIN", "0.5"],
      ["MAIN", "0.5"],
      null,
      ["MAIN", "0.75"],
      ["SUCCESSOR", "0.4"],
    ]);
  });

  it("stores the same history and resolves every instant the same when the events arrive newest first", async () => {
    const inOrder = await deliverInOrder(EVENTS);
    expect(await deliverInOrder([...EVENTS].reverse())).toEqual(inOrder);
  });

  it("stores the same history and resolves every instant the same for any delivery order", async () => {
    const inOrder = await deliverInOrder(EVENTS);
    await fc.assert(
      fc.asyncProperty(fc.shuffledSubarray(EVENTS, { minLength: EVENTS.length, maxLength: EVENTS.length }), async (shuffled) => {
        expect(await deliverInOrder(shuffled), shuffled.map((event) => event.name).join(" → ")).toEqual(inOrder);
      }),
      { seed: SEED, numRuns: 30, endOnFailure: true },
    );
  });
});
