import type { Catalog } from "../core/catalog/index.ts";
import { BillingError, listKeys } from "../core/errors.ts";
import type { ProviderMeterMapping } from "../providers/define-provider.ts";
import { PROVIDERS } from "../providers/index.ts";
import { providerSection, providersReceivingUsage, type HubConfig, type ProviderId } from "./schema.ts";

export interface MeterMappingOptions {
  /**
   * The caller passed its own `onInvoiceCreated` handler: billhub cannot see what that handler
   * bills, so meters a provider could bill as invoice items are taken to be billed by it.
   */
  ownInvoiceHandler?: boolean;
}

/** A provider config section that maps catalog meters to the provider's own meters. */
interface MeterSection extends ProviderMeterMapping {
  provider: ProviderId;
}

interface Problem {
  field: string;
  message: string;
}

/**
 * The catalog meters a provider's section maps to its own meters (`stripe.meters`); empty for a
 * provider that is not configured or maps none.
 */
export function providerMeters(config: HubConfig, provider: string): Readonly<Record<string, unknown>> {
  return meterSections(config).find((section) => section.provider === provider)?.meters ?? {};
}

function meterSections(config: HubConfig): MeterSection[] {
  return PROVIDERS.flatMap((definition) => {
    const section = providerSection(config, definition);
    if (section === undefined || definition.meterMapping === undefined) return [];
    return [{ provider: definition.id, ...(definition.meterMapping as (config: typeof section) => ProviderMeterMapping)(section) }];
  });
}

/**
 * Checks the provider meter mappings against the catalog at start-up, so that a mistake fails
 * there with CONFIG_INVALID instead of every later event going dead as UNKNOWN_METER:
 *
 * 1. Every key of `stripe.meters` and `flowglad.meters` must be a meter the catalog declares.
 * 2. A meter some plan charges for, whose usage goes to a provider (default, route or mirror),
 *    must be mapped for that provider — unless that provider bills it another way. For Stripe,
 *    a meter left out of `stripe.meters` is billed as invoice items: by billhub when
 *    `stripe.invoiceItems` is enabled and covers each of the meter's charges, or by the caller's
 *    own `onInvoiceCreated` handler. Such a meter must NOT be required in `stripe.meters`: mapping
 *    it would move its charges off the default invoice items (so Stripe's meter, without a price
 *    on the subscription, bills nothing) or, with an explicit `invoiceItems.charges` list, bill
 *    them twice. Its usage still gets a Stripe outbox row (recording queues every meter), which
 *    goes dead as UNKNOWN_METER while the invoice items bill the same usage from the ledger, once;
 *    replaying such rows after mapping the meter would send Stripe usage already billed.
 *
 * Meters no plan charges for (limits only) need no mapping: billhub knows of no money riding on
 * them, and an unmapped one shows up as dead outbox rows, which can be replayed once mapped.
 *
 * @example
 * checkMeterMappings(parseConfig({ stripe: { secretKey, meters: { api_call: { eventName: "api_call" } } } }), catalog)
 * // throws CONFIG_INVALID, field "stripe.meters.api_call":
 * // "Invalid configuration: stripe.meters.api_call names no meter of the catalog: "api_call"; meters: api_calls, llm_tokens"
 */
export function checkMeterMappings(config: HubConfig, catalog: Catalog, options: MeterMappingOptions = {}): void {
  const sections = meterSections(config);
  const ownInvoiceHandler = options.ownInvoiceHandler === true;
  const receiving = providersReceivingUsage(config.provider);
  const problems: Problem[] = [];
  for (const section of sections) {
    for (const key of Object.keys(section.meters)) {
      if (!Object.hasOwn(catalog.meters, key)) {
        const noCatalog = config.catalog === undefined ? " (no catalog is configured: set catalog or BILLHUB_CATALOG)" : "";
        problems.push({ field: `${section.provider}.meters.${key}`, message: `names no meter of the catalog: ${JSON.stringify(key)}; meters: ${listKeys(Object.keys(catalog.meters))}${noCatalog}` });
      }
    }
  }
  for (const section of sections.filter((s) => receiving.has(s.provider))) {
    const reported = new Set<string>();
    for (const plan of Object.values(catalog.plans)) {
      for (const charge of plan.pricing.charges) {
        const meter = charge.meter;
        if (meter === null || Object.hasOwn(section.meters, meter) || reported.has(meter)) continue;
        const unmapped = section.billedUnmapped(charge.key, { ownInvoiceHandler });
        if (unmapped.billed) continue;
        reported.add(meter);
        problems.push({
          field: `${section.provider}.meters.${meter}`,
          message:
            `is missing: plan "${plan.key}" charges for meter "${meter}" (charge "${charge.key}") and usage goes to ${section.provider}, but nothing would bill it. ` +
            `Add ${section.provider}.meters.${meter} = ${section.mappingExample} ${unmapped.hint}; mapped: ${listKeys(Object.keys(section.meters))}`,
        });
      }
    }
  }
  const first = problems[0];
  if (first === undefined) return;
  const more = problems.length > 1 ? ` (and ${problems.length - 1} more problem(s))` : "";
  throw new BillingError("CONFIG_INVALID", `Invalid configuration: ${first.field} ${first.message}${more}`, { field: first.field, details: { issues: problems } });
}
