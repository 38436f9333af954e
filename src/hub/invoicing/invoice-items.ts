import type { HubConfig } from "../../config/schema.ts";
import type { Catalog } from "../../core/catalog/index.ts";
import { BillingError, listKeys } from "../../core/errors.ts";
import { normalizeCurrency } from "../../core/money.ts";
import { TRUE_UP_KEY } from "../../core/pricing/prepare-plan.ts";
import type { InvoiceItemsApi } from "../../providers/types.ts";
import { findCustomer } from "../../store/customer-repository.ts";
import { closePeriod } from "../../store/ledger/closed-periods.ts";
import type { InvoiceCreated, InvoiceCreatedHandler } from "../../webhooks/index.ts";
import { providerSection } from "../../config/schema.ts";
import type { ProviderInvoiceItemSettings } from "../../providers/define-provider.ts";
import { PROVIDERS, providerDefinition } from "../../providers/index.ts";
import type { HubContext } from "../context.ts";
import { invoiceItemLines, type InvoiceItemSettings } from "./invoice-item-lines.ts";
import { createPriceResolvers } from "./price-resolvers.ts";

/** The invoice item metadata key that names the billhub line an item bills. */
export const LINE_METADATA_KEY = "billhub_line";

/**
 * The invoice-items settings of each provider whose section enables them (`stripe.invoiceItems`),
 * with configured charge keys checked against the catalog: called at start-up, so a typo fails
 * there with CONFIG_INVALID naming the valid keys. Undefined when no provider enables them.
 */
export function invoiceItemSettings(config: HubConfig, catalog: Catalog): ReadonlyMap<string, InvoiceItemSettings> | undefined {
  const settings = new Map<string, InvoiceItemSettings>();
  for (const definition of PROVIDERS) {
    const section = providerSection(config, definition);
    if (!definition.capabilities.invoiceItems || section === undefined || definition.invoiceItemSettings === undefined) continue;
    const enabled = (definition.invoiceItemSettings as (config: typeof section) => ProviderInvoiceItemSettings | undefined)(section);
    if (enabled === undefined) continue;
    if (enabled.charges !== undefined) checkCharges(catalog, enabled.charges, enabled.chargesOption);
    settings.set(definition.id, { ...enabled, provider: definition.id });
  }
  return settings.size === 0 ? undefined : settings;
}

/**
 * Invoice-items billing (Stripe's), as the hub's `invoice.created` handler; invoices of a
 * provider without settings are left alone.
 *
 * On a draft invoice it closes the invoice's period for the customer in the ledger (so the usage
 * read is final and a redelivery computes the same lines), prices the period, and adds each line
 * not on the invoice yet as an invoice item with the idempotency key
 * `billhub:<invoice id>:<line>`. Stripe forgets idempotency keys after 24 hours but redelivers
 * events for 3 days, so the invoice's items are listed first and lines already there (metadata
 * `billhub_line`) are skipped: a redelivery adds nothing twice, and one after a failure midway
 * adds only what is missing. Non-draft invoices and empty periods are ignored.
 */
export function createInvoiceItemsBilling(ctx: HubContext, settings: ReadonlyMap<string, InvoiceItemSettings>): InvoiceCreatedHandler {
  return async (event) => {
    const enabled = settings.get(event.provider);
    if (enabled !== undefined) await billInvoiceItems(ctx, enabled, event);
  };
}

function checkCharges(catalog: Catalog, charges: readonly string[], option: string): void {
  const known = new Set([TRUE_UP_KEY, ...Object.values(catalog.plans).flatMap((plan) => plan.pricing.charges.map((charge) => charge.key))]);
  charges.forEach((key, index) => {
    if (!known.has(key)) {
      throw new BillingError("CONFIG_INVALID", `Invalid configuration: ${option}.${index} names no charge of any plan: "${key}"; charges: ${listKeys(known)}`, {
        field: `${option}.${index}`,
      });
    }
  });
}

function invoiceItemsOf(ctx: HubContext, provider: string): InvoiceItemsApi {
  const items = ctx.providers.get(provider).invoiceItems;
  if (items === undefined) throw new BillingError("INTERNAL", `the ${provider} provider cannot add invoice items`, { provider });
  return items;
}

async function billInvoiceItems(ctx: HubContext, settings: InvoiceItemSettings, event: InvoiceCreated): Promise<void> {
  const { invoice } = event;
  if (invoice.status !== "draft") return;
  const period = { from: invoice.periodStart, to: invoice.periodEnd };
  // A subscription's first invoice covers no usage period (start = end): nothing to add.
  if (!(period.from < period.to)) return;
  const customerId = event.customerId;
  if (customerId === null) {
    throw new BillingError("CUSTOMER_NOT_FOUND", `No billhub customer has provider_ids.${event.provider} = ${JSON.stringify(invoice.providerCustomerId)}; link it with upsertCustomer and ${displayName(event.provider)}'s redelivery of this event bills invoice ${invoice.id}`, {
      field: `providerIds.${event.provider}`,
    });
  }
  const resolvers = createPriceResolvers();
  const { currency, lines } = await ctx.store.transaction(async (tx) => {
    await closePeriod(tx, { customerId, ...period, reference: invoice.id });
    const customer = (await findCustomer(tx, customerId))!;
    return invoiceItemLines(tx, ctx, { customer, period }, settings, resolvers);
  });
  if (lines.length === 0) return;
  if (normalizeCurrency(invoice.currency) !== currency) {
    throw new BillingError("CONFIG_INVALID", `${displayName(event.provider)} invoice ${invoice.id} is in ${invoice.currency.toUpperCase()}, but customer ${customerId}'s plan bills in ${currency}; items were not added`, {
      field: "catalog.currency",
      provider: event.provider,
    });
  }
  const items = invoiceItemsOf(ctx, event.provider);
  const present = new Set((await items.list(invoice.id)).map((item) => item.metadata[LINE_METADATA_KEY]));
  for (const line of lines) {
    if (present.has(line.key)) continue;
    await items.create({
      providerCustomerId: invoice.providerCustomerId,
      invoiceId: invoice.id,
      currency,
      amount: line.amount,
      description: line.description,
      period: { start: period.from, end: period.to },
      metadata: { [LINE_METADATA_KEY]: line.key, billhub_customer: customerId, billhub_charge: line.chargeKey },
      idempotencyKey: `billhub:${invoice.id}:${line.key}`,
    });
  }
}

function displayName(provider: string): string {
  return providerDefinition(provider)?.displayName ?? provider;
}
