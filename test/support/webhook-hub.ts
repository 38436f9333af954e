import type { RequestHandler } from "msw";
import { setupServer } from "msw/node";
import { afterAll, afterEach, beforeAll } from "vitest";
import { createHub, type Hub, type HubOptions } from "../../src/hub.ts";
import type { CatalogInput } from "../../src/core/catalog/index.ts";
import type { HubConfigInput } from "../../src/config/schema.ts";
import type { Store } from "../../src/store/types.ts";
import { type StandIn } from "./msw/use-stand-ins.ts";
import { openTestStore, type TestStore } from "./store.ts";
import { FLOWGLAD_WEBHOOK_SECRET, STRIPE_WEBHOOK_SECRET } from "./webhooks.ts";

export const FLOWGLAD_BASE = "https://flowglad.test";

/** A catalog whose plans bill API calls at the synced `api_calls` price and map provider prices to plans. */
export const WEBHOOK_CATALOG: CatalogInput = {
  currency: "USD",
  meters: { api_calls: { aggregation: "sum" } },
  features: { api: { type: "metered", meter: "api_calls", reset: "billing_period" }, sso: { type: "boolean" } },
  plans: {
    free: { name: "Free", features: { api: 1000 } },
    pro: {
      name: "Pro",
      features: { api: 100_000, sso: true },
      charges: [{ key: "api", meter: "api_calls", model: "per_unit", price: { lookupKey: "api_calls" } }],
      providerPrices: { stripe: ["pro_monthly", "pro_yearly"], flowglad: ["pro_monthly"] },
    },
    team: { name: "Team", features: { api: null, sso: true }, providerPrices: { stripe: ["team_monthly"] } },
  },
  defaultPlan: "free",
};

/**
 * A hub configured for webhooks from both providers (SDK calls go to the msw stand-ins), on the
 * test's store and clock.
 */
export function webhookHub(store: Store, now: () => Date, options: { config?: HubConfigInput; hub?: HubOptions } = {}): Promise<Hub> {
  return createHub(
    {
      catalog: WEBHOOK_CATALOG,
      stripe: { secretKey: "sk_test_webhooks", webhookSecret: STRIPE_WEBHOOK_SECRET },
      flowglad: { secretKey: "sk_test_flowglad", baseUrl: FLOWGLAD_BASE, webhookSecret: FLOWGLAD_WEBHOOK_SECRET },
      ...options.config,
    },
    { store, now, ...options.hub },
  );
}


/**
 * Registers the file's lifecycle: msw serving `standIns` (unhandled requests fail), one test store
 * and a `webhookHub` on it, stand-ins reset after each test, everything closed after the file.
 */
export function useWebhookHub(now: () => Date, standIns: StandIn[], options: { config?: HubConfigInput; hub?: HubOptions } = {}): { readonly hub: Hub; readonly store: TestStore } {
  const server = setupServer(...standIns.flatMap((s) => s.handlers));
  let store: TestStore | undefined;
  let hub: Hub | undefined;
  beforeAll(async () => {
    server.listen({ onUnhandledRequest: "error" });
    store = await openTestStore();
    hub = await webhookHub(store, now, options);
  });
  afterEach(() => {
    server.resetHandlers();
    for (const standIn of standIns) standIn.reset();
  });
  afterAll(async () => {
    server.close();
    await hub?.close();
    await store?.cleanup();
  });
  return {
    get hub() {
      if (!hub) throw new Error("the webhook hub opens in beforeAll");
      return hub;
    },
    get store() {
      if (!store) throw new Error("the test store opens in beforeAll");
      return store;
    },
  };
}
