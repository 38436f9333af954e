import type { Hub } from "../hub.ts";
import type { UsageEventInput } from "../hub/ledger.ts";

/** The demo's customers: one on each plan of the sample catalog. */
export const DEMO_CUSTOMERS = [
  { id: "acme", name: "Acme Corp", referenceType: "organization", plan: "enterprise", variant: null },
  { id: "globex", name: "Globex", referenceType: "organization", plan: "pro", variant: "starter" },
  { id: "initech", name: "Initech", referenceType: "team", plan: "free", variant: null },
] as const;

export interface SeedReport {
  customers: number;
  events: number;
  refunds: number;
  /** The billing month the usage belongs to, "2026-03". */
  month: string;
}

type Usage = Omit<UsageEventInput, "customerId" | "transactionId">;

const USAGE: Record<(typeof DEMO_CUSTOMERS)[number]["id"], Usage[]> = {
  acme: [
    { meter: "api_calls", quantity: 1_000_000 },
    { meter: "api_calls", quantity: 250_000 },
    { meter: "llm_tokens", quantity: 3_000_000, properties: { model: "gpt-5" } },
    { meter: "active_models", quantity: 1, properties: { model: "gpt-5" } },
    { meter: "active_models", quantity: 1, properties: { model: "mini" } },
  ],
  globex: [
    { meter: "api_calls", quantity: 18_000 },
    { meter: "api_calls", quantity: 6_000 },
    { meter: "llm_tokens", quantity: "1500000" },
    { meter: "storage_gb_hours", quantity: "250.5" },
    { meter: "active_models", quantity: 1, properties: { model: "mini" } },
  ],
  initech: [
    { meter: "api_calls", quantity: 990 },
    { meter: "llm_tokens", quantity: 12_000 },
  ],
};

function utcMonth(at: Date, offset: number): Date {
  return new Date(Date.UTC(at.getUTCFullYear(), at.getUTCMonth() + offset, 1));
}

/**
 * Seeds a hub on the sample catalog: three customers on different plans with this month as their
 * billing period, a variant, an override, a limit bonus, usage on every meter and a refund.
 * Transaction ids are derived from the month, so seeding again in the same month records nothing
 * twice, and in a later month records that month's usage.
 *
 * @example
 * const report = await seedDemo(hub); // { customers: 3, events: 13, refunds: 1, month: "2026-03" }
 */
export async function seedDemo(hub: Hub): Promise<SeedReport> {
  const now = hub.now();
  const periodStart = utcMonth(now, 0);
  const periodEnd = utcMonth(now, 1);
  const month = periodStart.toISOString().slice(0, 7);

  for (const customer of DEMO_CUSTOMERS) {
    await hub.customers.upsert({ id: customer.id, name: customer.name, referenceType: customer.referenceType, periodStart, periodEnd, metadata: { demo: true } });
    // On its plan for the whole period: a plan change is dated, and the preview prices each part on the plan held then.
    await hub.customers.assign(customer.id, customer.plan, { variant: customer.variant, effectiveAt: periodStart });
  }
  await hub.customers.override("initech", { seats: 3 });
  await hub.customers.adjustLimit("globex", { id: `demo-${month}-launch-bonus`, feature: "api", amount: 5_000, reason: "launch bonus", startsAt: periodStart });

  const events: UsageEventInput[] = DEMO_CUSTOMERS.flatMap(({ id }) =>
    USAGE[id].map((usage, index) => ({ ...usage, customerId: id, transactionId: `demo-${month}-${id}-${index + 1}` })),
  );
  await hub.recordBatch(events);
  await hub.adjust({ customerId: "globex", meter: "api_calls", kind: "refund", quantity: 2_000, reason: "outage credit", transactionId: `demo-${month}-globex-refund-1` });
  return { customers: DEMO_CUSTOMERS.length, events: events.length + 1, refunds: 1, month };
}
