import type { Plan } from "../../core/catalog/index.ts";
import { cmp, parseDecimal, sub, toDecimalString, ZERO, max } from "../../core/decimal.ts";
import type { InvoicePeriod, InvoiceLine } from "../../core/invoicing/invoice.ts";
import { mapUsageToLineItems } from "../../core/pricing/map-usage-to-line-items.ts";
import { TRUE_UP_KEY } from "../../core/pricing/prepare-plan.ts";
import type { MeterUsageInput } from "../../core/pricing/usage-input.ts";
import type { CustomerRecord } from "../../store/customer-repository.ts";
import { queryUsageTotals } from "../../store/ledger/aggregate.ts";
import type { Sql } from "../../store/types.ts";
import { providerMeters } from "../../config/meter-mappings.ts";
import type { ProviderInvoiceItemSettings } from "../../providers/define-provider.ts";
import type { HubContext } from "../context.ts";
import { priceInvoices, type PricedWindowPart } from "./price-invoices.ts";
import type { PriceResolvers } from "./price-resolvers.ts";

/** One invoice item to add: `key` names it on the invoice (metadata `billhub_line`) and in its idempotency key. */
export interface ItemLine {
  key: string;
  chargeKey: string;
  amount: number;
  description: string;
}

/** A provider's invoice-items settings, and which provider's invoices they are for. */
export interface InvoiceItemSettings extends ProviderInvoiceItemSettings {
  provider: string;
}

/**
 * The charges of a plan billed as invoice items: the configured ones, or by default every charge
 * on a meter the provider is not sent (not in its meter mapping, e.g. `stripe.meters`: it cannot
 * bill it) and the minimum commitment's true-up (providers' meters have no minimums). Flat fees are
 * left to the subscription's own prices at the provider unless configured.
 */
export function itemCharges(ctx: HubContext, plan: Plan, settings: InvoiceItemSettings): Set<string> {
  if (settings.charges !== undefined) return new Set(settings.charges);
  const metered = providerMeters(ctx.config, settings.provider);
  const keys = plan.pricing.charges.filter((charge) => charge.meter !== null && !Object.hasOwn(metered, charge.meter)).map((charge) => charge.key);
  return new Set([...keys, TRUE_UP_KEY]);
}

/**
 * What billhub adds to a customer's invoice at the provider for a window, read on `tx` (which
 * holds the customer's row, so the usage is final): the lines of the item charges, priced exactly
 * as the invoice run prices them, and — for charges the provider meters — the usage it refused as
 * too old (Stripe: older than 35 days), billed as what it adds to the line: price(all usage) − price(usage it has),
 * so tiers are honoured. Only sum and count meters take such a line (max, last and unique counts
 * are not additive). Lines of 0 are left out.
 */
export async function invoiceItemLines(
  tx: Sql,
  ctx: HubContext,
  target: { customer: CustomerRecord; period: InvoicePeriod },
  settings: InvoiceItemSettings,
  resolvers: PriceResolvers,
): Promise<{ plan: Plan; currency: string; lines: ItemLine[] }> {
  // An invoice at a provider is priced with its prices, whichever provider the customer's usage goes to.
  const outcome = (await priceInvoices(tx, ctx, [{ ...target, priceProvider: settings.provider }], resolvers)).get(target.customer.id)!;
  if (!outcome.ok) throw outcome.error;
  const { plan, invoice, parts, lineParts } = outcome;
  const lines: ItemLine[] = [];
  // A line priced for one part of a window cut at plan changes (a usage line, a prorated fee) is
  // keyed by its part, as one charge can appear in several; a line of the whole window by its charge.
  invoice.lineItems.forEach((line, index) => {
    const from = lineParts[index]?.from.getTime();
    const part = from === undefined ? undefined : parts.find((candidate) => candidate.period.from.getTime() === from);
    if (!itemCharges(ctx, part?.plan ?? plan, settings).has(line.chargeKey) || line.amount <= 0) return;
    lines.push({ key: part === undefined ? line.chargeKey : partKey(line.chargeKey, part.period), chargeKey: line.chargeKey, amount: line.amount, description: line.description });
  });
  if (settings.tooOldUsage !== null) {
    for (const part of parts) {
      const tooOld = await tooOldLines(tx, ctx, target, part, itemCharges(ctx, part.plan, settings), resolvers, settings.provider, settings.tooOldUsage);
      lines.push(...tooOld.map((line) => (parts.length === 1 ? line : { ...line, key: partKey(line.key, part.period) })));
    }
  }
  return { plan, currency: invoice.currency, lines };
}

/** An item key of one part of a window cut at plan changes. */
function partKey(key: string, period: InvoicePeriod): string {
  return `${key}@${period.from.toISOString()}`;
}

async function tooOldLines(
  tx: Sql,
  ctx: HubContext,
  target: { customer: CustomerRecord; period: InvoicePeriod },
  part: PricedWindowPart,
  itemChargeKeys: Set<string>,
  resolvers: PriceResolvers,
  provider: string,
  tooOld: { errorCode: string; description: string },
): Promise<ItemLine[]> {
  const { plan, usage, lineItems: full } = part;
  const metered = providerMeters(ctx.config, provider);
  const meters = [...plan.pricing.meters.keys()]
    .filter((key) => Object.hasOwn(metered, key) && typeof usage[key] === "string")
    .map((key) => ctx.catalog.meters[key]!)
    .filter((meter) => meter.aggregation === "sum" || meter.aggregation === "count");
  if (meters.length === 0) return [];
  const rows = await queryUsageTotals(tx, {
    scopes: [{ customerId: target.customer.id, ...part.period }],
    meters,
    deadAt: { provider, errorCode: tooOld.errorCode },
  });
  const refused = new Map(rows.filter((row) => cmp(parseDecimal(row.value), ZERO) > 0).map((row) => [row.meter, parseDecimal(row.value)]));
  if (refused.size === 0) return [];
  const base: Record<string, MeterUsageInput> = { ...usage };
  for (const [meter, quantity] of refused) base[meter] = toDecimalString(max(ZERO, sub(parseDecimal(usage[meter] as string), quantity)));
  const needsPrices = plan.pricing.charges.some((charge) => charge.priceRef !== undefined);
  const resolvePrice = needsPrices ? await resolvers.forPeriod(tx, target.period, provider) : undefined;
  const sent = mapUsageToLineItems(plan.pricing, base, resolvePrice === undefined ? {} : { resolvePrice }).lineItems;
  const lines: ItemLine[] = [];
  full.forEach((line, index) => {
    const quantity = line.meter === null ? undefined : refused.get(line.meter);
    if (quantity === undefined || itemChargeKeys.has(line.chargeKey)) return;
    const amount = line.amount - sent[index]!.amount;
    if (amount <= 0) return;
    lines.push({
      key: `${line.chargeKey}:too_old`,
      chargeKey: line.chargeKey,
      amount,
      description: `${line.description.split(":")[0]}: ${toDecimalString(quantity)} ${tooOld.description}`,
    });
  });
  return lines;
}
