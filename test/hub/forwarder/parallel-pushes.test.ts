import { http, HttpResponse } from "msw";
import { setupServer } from "msw/node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Hub } from "../../../src/hub.ts";
import { forwarderConfig, forwarderHub, outboxState } from "../../support/forwarder.ts";
import { createStripeStandIn } from "../../support/msw/stripe.ts";
import { driverName, openTestStore, type TestStore } from "../../support/store.ts";
import { NOW } from "../../support/usage-events.ts";
import { waitFor } from "../../support/wait.ts";

const stripe = createStripeStandIn({ now: () => NOW, secretKey: "sk_test_forwarder" });
const server = setupServer(...stripe.handlers);

let store: TestStore;
let hub: Hub;

beforeAll(async () => {
  server.listen({ onUnhandledRequest: "error" });
  store = await openTestStore();
  // One claim loop: with the default four, PostgreSQL's SKIP LOCKED may split the rows between
  // claims taken at the same instant, and a push mixing slow_co's and fast_co's rows waits for
  // slow_co's hung request, which this test is not about.
  hub = await forwarderHub(store, forwarderConfig({ default: "stripe" }, { stripe: { timeoutMs: 30_000 }, forwarder: { concurrency: 1 } }));
  for (const id of ["slow_co", "fast_co"]) await hub.upsertCustomer({ id, providerIds: { stripe: `cus_${id}` } });
});
afterAll(async () => {
  await hub.close();
  server.close();
  await store.cleanup();
});

describe(`a claim's pushes go out together (${driverName})`, () => {
  it("settles each push as soon as Stripe answers it: a request Stripe leaves hanging holds back only its own customer's push", async () => {
    // One claim of 100 rows → two v1 pushes of 50: the first all slow_co's, the second all fast_co's.
    const at = (minute: number) => new Date(NOW.getTime() - 3_600_000 + minute * 1000);
    await hub.recordBatch(Array.from({ length: 50 }, (_, i) => ({ customerId: "slow_co", meter: "api_calls", quantity: 1, transactionId: `slow_${i}`, timestamp: at(i) })));
    await hub.recordBatch(Array.from({ length: 50 }, (_, i) => ({ customerId: "fast_co", meter: "api_calls", quantity: 1, transactionId: `fast_${i}`, timestamp: at(100 + i) })));
    // slow_co's first request gets no answer until the test has seen fast_co's push settled (the
    // client's 30 s timeout is far off), then its connection drops: no machine is slow enough for
    // the clock to decide the order. It is picked by its customer, not as the first request to
    // arrive: the two pushes start together, and either may reach Stripe first.
    let release = () => {};
    const released = new Promise<void>((resolve) => (release = resolve));
    let held = false;
    server.use(
      http.post("https://api.stripe.com/v1/billing/meter_events", async ({ request }) => {
        if (held || new URLSearchParams(await request.clone().text()).get("payload[stripe_customer_id]") !== "cus_slow_co") return undefined;
        held = true;
        await released;
        return HttpResponse.error();
      }),
    );

    let drained = false;
    const drain = hub.outbox.drain({ batchSize: 100 }).finally(() => (drained = true));
    try {
      await waitFor("fast_co's push to be settled", async () => (await outboxState(store)).filter((row) => row.transaction_id.startsWith("fast_") && row.status === "delivered").length === 50, {
        timeoutMs: 20_000,
        intervalMs: 20,
      });
      // slow_co's first request is still unanswered: its push is not settled yet.
      expect(drained).toBe(false);
      expect((await outboxState(store)).filter((row) => row.transaction_id.startsWith("slow_") && row.status !== "pending")).toEqual([]);
    } finally {
      // The hung request's connection drops (also when the test failed, so the drain can end),
      // and its quick retry delivers it.
      release();
    }
    expect(await drain).toMatchObject({ claimed: 100, delivered: 100 });
    expect(stripe.events()).toHaveLength(100);
    expect(stripe.duplicates()).toEqual([]);
    expect(held).toBe(true);
    server.resetHandlers();
  });
});
