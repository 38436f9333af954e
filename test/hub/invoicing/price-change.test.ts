import { setupServer } from "msw/node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Hub } from "../../../src/hub.ts";
import { customer, invoicingHub, use } from "../../support/invoicing.ts";
import { createStripeStandIn } from "../../support/msw/stripe.ts";
import { driverName, openTestStore, type TestStore } from "../../support/store.ts";
import { answer, STRIPE_WEBHOOK_SECRET, stripePrice, stripeRequest } from "../../support/webhooks.ts";

let clock = new Date("2026-01-10T00:00:00.000Z");
const stripe = createStripeStandIn({ now: () => clock });
const server = setupServer(...stripe.handlers);
let store: TestStore;
let hub: Hub;

const seconds = (iso: string) => Math.floor(Date.parse(iso) / 1000);

async function deliver(type: string, object: Record<string, unknown>, id: string, at: string) {
  clock = new Date(at);
  const response = await answer(await hub.webhooks.stripe(stripeRequest(type, object, { id, created: clock, signedAt: clock })));
  expect(response.body.outcome).toBe("applied");
}

/** A new Stripe price taking over the `api_calls` lookup key from the one before it, as Stripe sends it. */
async function transfer(from: Record<string, unknown>, to: Record<string, unknown>, at: string) {
  await deliver("price.created", to, `evt_${String(to.id)}_created`, at);
  await deliver("price.updated", { ...from, lookup_key: null }, `evt_${String(from.id)}_released`, at);
}

beforeAll(async () => {
  server.listen({ onUnhandledRequest: "error" });
  store = await openTestStore();
  hub = await invoicingHub(store, () => clock, { config: { stripe: { secretKey: "sk_test_invoicing", webhookSecret: STRIPE_WEBHOOK_SECRET } } });
});
afterAll(async () => {
  server.close();
  await hub.close();
  await store.cleanup();
});

describe(`invoices priced with Stripe prices by lookup key (${driverName})`, () => {
  it("bills each month with the price holding the lookup key at the month's last instant", async () => {
    const first = stripePrice({ id: "price_api_50", unit_amount_decimal: "0.5", created: seconds("2026-01-10T00:00:00Z") });
    await deliver("price.created", first, "evt_first", "2026-01-10T00:00:00Z");
    await customer(hub, "metered_co", { plan: "metered" });
    clock = new Date("2026-12-02T00:00:00.000Z");
    await use(hub, "metered_co", "api_calls", 10_000, "2026-09-20T00:00:00Z");
    await use(hub, "metered_co", "api_calls", 10_000, "2026-10-05T00:00:00Z");
    await use(hub, "metered_co", "api_calls", 10_000, "2026-11-05T00:00:00Z");
    for (let i = 0; i < 150; i += 1) await use(hub, "metered_co", "requests", 1, `2026-10-${String(10 + (i % 20)).padStart(2, "0")}T00:00:${String(i % 60).padStart(2, "0")}Z`, { transactionId: `req_${i}` });

    // A price change during October reaches October's invoice; one from 1 November on, only November's.
    const second = stripePrice({ id: "price_api_40", unit_amount_decimal: "0.4", created: seconds("2026-10-20T12:00:00Z") });
    await transfer(first, second, "2026-10-20T12:00:00Z");
    const third = stripePrice({ id: "price_api_30", unit_amount_decimal: "0.3", created: seconds("2026-11-01T00:00:00Z") });
    await transfer(second, third, "2026-11-01T00:00:00Z");
    clock = new Date("2026-12-02T00:00:00.000Z");

    const september = await hub.runInvoices({ period: "2026-09" });
    const october = await hub.runInvoices({ period: "2026-10" });
    const november = await hub.runInvoices({ period: "2026-11" });
    expect([september.invoiced, october.invoiced, november.invoiced]).toEqual([1, 1, 1]);
    const lines = async (period: string) => {
      const summary = (await hub.listInvoices({ period })).invoices[0]!;
      return (await hub.getInvoice(summary.id)).lineItems;
    };
    expect((await lines("2026-09"))[0]).toMatchObject({ quantity: "10000", amount: 5000, price: { lookupKey: "api_calls", id: "price_api_50" } });
    expect(await lines("2026-10")).toEqual([
      expect.objectContaining({ chargeKey: "api", quantity: "10000", exactAmount: "4000", amount: 4000, price: { lookupKey: "api_calls", id: "price_api_40" } }),
      // 150 requests: two packages of 100 at 2 USD, the started one billed in full.
      expect.objectContaining({ chargeKey: "requests", quantity: "150", packages: "2", amount: 400 }),
    ]);
    expect((await lines("2026-11"))[0]).toMatchObject({ amount: 3000, price: { id: "price_api_30" } });
  });
});
