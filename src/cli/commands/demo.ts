import { IN_MEMORY, type HubConfig } from "../../config/schema.ts";
import type { CheckResult } from "../../core/entitlements/index.ts";
import { formatMinorUnits } from "../../core/money.ts";
import { createHub, type Hub } from "../../hub.ts";
import { PROVIDERS } from "../../providers/index.ts";
import { commandConfig, commandOptions, type Command } from "../command.ts";
import { DEMO_CUSTOMERS, seedDemo } from "../demo-seed.ts";
import { formatTable } from "../table.ts";
import { SAMPLE_CATALOG } from "../sample-catalog.ts";

const HELP = `Usage: billhub demo [--persist] [--config <file>]

Seeds the sample catalog (fixtures/catalog.json) with three customers on the free, pro and
enterprise plans, a variant, an override, a limit bonus and this month's usage (a refund
included), then prints entitlement checks and invoice previews (this month, so far) as tables.

By default everything happens in a throw-away in-memory store. With --persist the demo seeds the
configured store instead (DATABASE_URL, or the embedded store in BILLHUB_DATA_DIR / ./.billhub),
so that \`billhub serve\` afterwards shows the same customers; seeding again in the same month
records nothing twice. Usage always stays in billhub (the manual provider): the demo never sends
anything to a billing provider.`;

/** The provider usage stays in billhub with (one that does not push usage anywhere). */
const LOCAL_PROVIDER = PROVIDERS.find((definition) => !definition.capabilities.pushUsage)!.id;

/** The questions asked of every customer: feature, and how much more is asked for. */
const CHECKS: ReadonlyArray<{ feature: string; amount: string }> = [
  { feature: "api", amount: "25" },
  { feature: "tokens", amount: "1000" },
  { feature: "models", amount: "1" },
  { feature: "seats", amount: "5" },
  { feature: "sso", amount: "1" },
];

function demoConfig(config: HubConfig, persist: boolean): HubConfig {
  return {
    ...config,
    store: persist ? config.store : { ...config.store, url: undefined, dataDir: IN_MEMORY },
    catalog: SAMPLE_CATALOG,
    // Demo usage must never reach a real provider account, whatever the configuration says.
    provider: { default: LOCAL_PROVIDER, routes: {}, mirror: [] },
  };
}

function checkRow(customer: string, plan: string, check: CheckResult, type: string): string[] {
  const flag = type === "boolean";
  return [
    customer,
    plan,
    check.feature,
    flag ? "" : check.exact.amount,
    check.refusal === null ? "yes" : `no (${check.refusal.code})`,
    // billhub counts usage of metered features only; seats and flags have none to show.
    type === "metered" ? check.exact.used : "",
    flag ? (check.allowed ? "on" : "off") : (check.exact.limit ?? "unlimited"),
    flag ? "" : (check.exact.remaining ?? "unlimited"),
    check.resetsAt === null ? "" : check.resetsAt.toISOString().slice(0, 10),
  ];
}

async function entitlementTable(hub: Hub): Promise<string> {
  const rows: string[][] = [];
  for (const { id } of DEMO_CUSTOMERS) {
    const customer = await hub.customers.get(id);
    const plan = customer.variant === null ? customer.plan : `${customer.plan} (${customer.variant})`;
    for (const { feature, amount } of CHECKS) {
      rows.push(checkRow(id, plan, await hub.check(id, feature, { amount }), hub.catalog.features[feature]!.type));
    }
  }
  return formatTable(
    [
      { header: "Customer" },
      { header: "Plan" },
      { header: "Feature" },
      { header: "Asks", align: "right" },
      { header: "Allowed" },
      { header: "Used", align: "right" },
      { header: "Limit", align: "right" },
      { header: "Remaining", align: "right" },
      { header: "Resets" },
    ],
    rows,
  );
}

async function invoiceTable(hub: Hub): Promise<string> {
  const rows: string[][] = [];
  let currency = hub.catalog.currency;
  for (const { id } of DEMO_CUSTOMERS) {
    const preview = await hub.invoices.preview(id);
    currency = preview.currency;
    for (const line of preview.lineItems) {
      rows.push([id, preview.plan, line.description, line.quantity, line.billableQuantity, formatMinorUnits(line.amount, preview.currency)]);
    }
    rows.push([id, preview.plan, "Subtotal", "", "", formatMinorUnits(preview.subtotal, preview.currency)]);
  }
  return formatTable(
    [
      { header: "Customer" },
      { header: "Plan" },
      { header: "Line" },
      { header: "Quantity", align: "right" },
      { header: "Billable", align: "right" },
      { header: `Amount (${currency})`, align: "right" },
    ],
    rows,
  );
}

export const demoCommand: Command = {
  name: "demo",
  summary: "seed a sample catalog, customers and usage; print entitlement checks and invoice previews",
  help: HELP,
  async run(context) {
    const { io } = context;
    const persist = commandOptions(context.args, { persist: { type: "boolean" } }, HELP).persist === true;
    const config = demoConfig(commandConfig(context), persist);
    const hub = await createHub(config);
    try {
      const report = await seedDemo(hub);
      const where = !persist ? "a throw-away in-memory store" : config.store.url ? "PostgreSQL" : `the embedded store in ${config.store.dataDir}`;
      io.err(`Seeded ${report.customers} customers and ${report.events} usage events (${report.refunds} refund) for ${report.month} into ${where}.`);
      io.out("Entitlement checks\n");
      io.out(await entitlementTable(hub));
      io.out("\nInvoice previews (this month so far)\n");
      io.out(await invoiceTable(hub));
    } finally {
      await hub.close();
    }
    return 0;
  },
};
