import type { HubConfigInput } from "../../src/config/schema.ts";
import { createHub, type Hub } from "../../src/hub.ts";
import { createApp } from "../../src/server/app.ts";
import type { Store } from "../../src/store/types.ts";
import { READ_KEY, SAMPLE_CATALOG, WRITE_KEY } from "./api.ts";
import { stripeEventBody, stripeSignature } from "./stripe-events.ts";
import { STRIPE_WEBHOOK_SECRET, stripePrice } from "./webhooks.ts";

export { READ_KEY, WRITE_KEY };

const HOUR = 3_600_000;

/** The sample catalog, usage going to Stripe (its stand-in), both API keys. */
export function dashboardConfig(options: { forwarder?: boolean } = {}): HubConfigInput {
  return {
    catalog: SAMPLE_CATALOG,
    provider: { default: "stripe" },
    stripe: {
      secretKey: "sk_test_dashboard",
      webhookSecret: STRIPE_WEBHOOK_SECRET,
      meters: { api_calls: { eventName: "api_call" }, llm_tokens: { eventName: "llm_tokens" }, storage_gb_hours: { eventName: "storage_gb_hours" } },
    },
    forwarder: { enabled: options.forwarder ?? false, pollIntervalMs: 50, backoffBaseMs: 1000, backoffCapMs: 60_000 },
    server: { apiKeys: [{ key: WRITE_KEY, access: "write" }, { key: READ_KEY, access: "read" }] },
  };
}

/** The instant seeded hubs live at: usage "today" and "this hour" are relative to it. */
export const DASHBOARD_NOW = new Date("2026-03-10T12:30:00.000Z");

export function dashboardHub(store: Store, options: { forwarder?: boolean } = {}): Promise<Hub> {
  return createHub(dashboardConfig(options), { store, now: () => DASHBOARD_NOW, forwarder: { log: () => {} } });
}

/** What the seed wrote, for tests to look for. */
export interface Seeded {
  /** The invoiced month ("2026-11"). */
  period: string;
  /** acme's api usage in its current month. */
  acmeApiUsed: string;
  /** The outbox row that died (its customer had no Stripe id) and can be replayed once linked. */
  dead: { transactionId: string; customerId: string; provider: string };
  /** Customers created besides acme and globex, for paging. */
  fillers: number;
}

function previousMonth(now: Date): { key: string; at: Date } {
  const at = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - 1, 5, 12));
  return { key: at.toISOString().slice(0, 7), at };
}

/**
 * A hub with something on every page: acme on pro with usage this month and last, an invoice run
 * for last month, usage delivered to Stripe, one dead outbox row (globex, not linked to Stripe),
 * a synced price and a webhook delivery, and filler customers for paging.
 */
export async function seedDashboard(hub: Hub, options: { fillers?: number } = {}): Promise<Seeded> {
  const now = hub.now();
  const last = previousMonth(now);
  const fillers = options.fillers ?? 55;
  await hub.upsertCustomer({ id: "acme", name: "Acme Corp", email: "billing@acme.test", providerIds: { stripe: "cus_acme" } });
  // On pro since before last month: plan changes are dated, and last month is invoiced on the plan held then.
  await hub.assign("acme", "pro", { effectiveAt: new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - 1, 1)) });
  await hub.upsertCustomer({ id: "globex", name: "Globex", email: "ap@globex.test" });
  for (let i = 0; i < fillers; i++) await hub.upsertCustomer({ id: `cust_${String(i).padStart(3, "0")}`, name: `Filler ${i}` });

  await hub.recordBatch([
    { customerId: "acme", meter: "api_calls", quantity: 20_000, transactionId: "acme_last_month", timestamp: last.at },
    { customerId: "acme", meter: "llm_tokens", quantity: 1_500_000, transactionId: "acme_tokens_last_month", timestamp: last.at },
  ]);
  await hub.runInvoices({ period: last.key });

  const hourAgo = new Date(now.getTime() - HOUR);
  await hub.recordBatch([
    { customerId: "acme", meter: "api_calls", quantity: 1200, transactionId: "acme_api_1", timestamp: hourAgo },
    { customerId: "acme", meter: "api_calls", quantity: 300, transactionId: "acme_api_2", timestamp: now },
    { customerId: "acme", meter: "llm_tokens", quantity: 42_000, transactionId: "acme_tokens_1", timestamp: now },
    { customerId: "globex", meter: "api_calls", quantity: 7, transactionId: "globex_api_1", timestamp: now },
  ]);
  await hub.outbox.drain();

  const app = createApp(hub);
  const body = stripeEventBody("price.created", stripePrice(), { id: "evt_dashboard_price", created: Math.floor(now.getTime() / 1000) });
  await app.fetch(
    new Request("http://billhub.test/webhooks/stripe", {
      method: "POST",
      headers: { "content-type": "application/json", "stripe-signature": stripeSignature(body, STRIPE_WEBHOOK_SECRET, Math.floor(now.getTime() / 1000)) },
      body,
    }),
  );
  return { period: last.key, acmeApiUsed: "1500", dead: { transactionId: "globex_api_1", customerId: "globex", provider: "stripe" }, fillers };
}
