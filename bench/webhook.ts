import Stripe from "stripe";
import { createHub } from "../src/hub.ts";
import { stripePrice, stripeSubscription, signedStripeRequest } from "../test/support/webhooks.ts";
import { stripeEventBody, stripeSignature } from "../test/support/stripe-events.ts";
import { figure, secondsSince } from "./support/measure.ts";
import { perStore } from "./support/stores.ts";
import type { Benchmark } from "./types.ts";

const SECRET = "whsec_bench_3c9a71f2e8d4b6a0";

const CATALOG = {
  currency: "USD",
  meters: { api_calls: { aggregation: "sum" as const } },
  features: { api: { type: "metered" as const, meter: "api_calls", reset: "billing_period" as const }, sso: { type: "boolean" as const } },
  plans: {
    free: { name: "Free", features: { api: 1000 } },
    pro: { name: "Pro", features: { api: 100_000, sso: true }, charges: [{ key: "api", meter: "api_calls", model: "per_unit" as const, price: { lookupKey: "api_calls" } }], providerPrices: { stripe: ["pro_monthly"] } },
    team: { name: "Team", features: { api: null, sso: true }, providerPrices: { stripe: ["team_monthly"] } },
  },
  defaultPlan: "free",
};

const PRO = stripePrice({ id: "price_pro_m", lookup_key: "pro_monthly", unit_amount_decimal: "2900", recurring: { interval: "month", interval_count: 1, meter: null, usage_type: "licensed", trial_period_days: null } });
const TEAM = { ...PRO, id: "price_team_m", lookup_key: "team_monthly" };

interface Delivery {
  body: string;
  signature: string;
}

/**
 * `count` events, half price.updated (prices in turn, a new nickname each time) and half
 * customer.subscription.updated (subscribers switching between pro and team), each newer than
 * the last change of its object so every one is applied. Signed with Stripe's scheme just now.
 */
function deliveries(prefix: string, count: number, objects: number, start: Date): Delivery[] {
  const signedAt = Math.floor(Date.now() / 1000);
  const period = { periodStart: new Date(Date.UTC(start.getUTCFullYear(), start.getUTCMonth(), 1)), periodEnd: new Date(Date.UTC(start.getUTCFullYear(), start.getUTCMonth() + 1, 1)) };
  const out: Delivery[] = [];
  for (let i = 0; i < count; i++) {
    const object = (i >> 1) % objects;
    const created = Math.floor(start.getTime() / 1000) + i;
    const body =
      i % 2 === 0
        ? stripeEventBody("price.updated", stripePrice({ id: `price_bench_${object}`, lookup_key: `bench_key_${object}`, nickname: `v${i}` }), { id: `evt_${prefix}_${i}`, created })
        : stripeEventBody("customer.subscription.updated", stripeSubscription({ id: `sub_bench_${object}`, customer: `cus_bench_${object}`, prices: [(i >> 1) % 2 === 0 ? PRO : TEAM], ...period }), {
            id: `evt_${prefix}_${i}`,
            created,
          });
    out.push({ body, signature: stripeSignature(body, SECRET, signedAt) });
  }
  return out;
}

export const webhook: Benchmark = {
  id: "webhook",
  title: "Stripe webhook verify + apply (price.updated, customer.subscription.updated) vs the bare signature check",
  run: (options) =>
    perStore(options, async ({ name, store }) => {
      const count = options.smoke ? 20 : 1000;
      const objects = options.smoke ? 5 : 50;
      const hub = await createHub({ catalog: CATALOG, store: { migrate: false }, stripe: { secretKey: "sk_test_bench", webhookSecret: SECRET } }, { store });
      try {
        for (let i = 0; i < objects; i++) await hub.customers.upsert({ id: `org_bench_${i}`, providerIds: { stripe: `cus_bench_${i}` } });
        const start = new Date(Date.now() - 3_600_000);
        const warmUp = deliveries("warm", 2 * objects, objects, new Date(start.getTime() - 3_600_000));
        for (const d of warmUp) await hub.webhooks.stripe(signedStripeRequest(d.body, { signedAt: new Date(), secret: SECRET, signature: d.signature }));
        const events = deliveries("bench", count, objects, start);
        const requests = events.map((d) => signedStripeRequest(d.body, { signedAt: new Date(), secret: SECRET, signature: d.signature }));
        let begin = process.hrtime.bigint();
        for (const request of requests) {
          const response = await hub.webhooks.stripe(request);
          const answer = (await response.json()) as { outcome?: string };
          if (response.status !== 200 || answer.outcome !== "applied") throw new Error(`a delivery was not applied: ${response.status} ${JSON.stringify(answer)}`);
        }
        const applied = count / secondsSince(begin);
        const client = new Stripe("sk_test_bench");
        const verifyRounds = options.smoke ? 1 : Math.max(1, Math.floor(20_000 / count));
        begin = process.hrtime.bigint();
        for (let round = 0; round < verifyRounds; round++) for (const d of events) client.webhooks.constructEvent(d.body, d.signature, SECRET);
        const verified = (verifyRounds * count) / secondsSince(begin);
        options.log(`${name}: ${Math.round(applied)} events/s applied, ${Math.round(verified)} signature checks/s`);
        return [
          figure({
            name: "webhook (Stripe verify + apply)",
            store: name,
            value: applied,
            unit: "events/s",
            baseline: { name: "stripe.webhooks.constructEvent", value: verified },
            notes: "half price.updated, half customer.subscription.updated (a plan change each time), one delivery at a time",
          }),
        ];
      } finally {
        await hub.close();
      }
    }),
};
