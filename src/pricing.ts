/**
 * `billhub/pricing`: the catalog and usage → line items, with nothing of a database or a
 * provider SDK (only zod), so it runs in a browser, at the edge or in a build step. A pricing
 * page can price an estimate with the same code that bills.
 *
 * @example
 * import { preparePlan, mapUsageToLineItems } from "billhub/pricing";
 * const plan = preparePlan({ key: "pro", currency: "USD", charges: [{ key: "api", meter: "api_calls", model: "per_unit", unitAmount: "0.5" }] });
 * mapUsageToLineItems(plan, { api_calls: 1000 }).subtotal; // 500
 */
export { BillingError, ERROR_CODES, isBillingError, type BillingErrorCode } from "./core/errors.ts";
export { currencyExponent, toMinorUnits, formatMinorUnits } from "./core/money.ts";
export { defineCatalog, planForSubscription, PLAN_METADATA_KEY, type Catalog, type CatalogInput, type Plan, type Feature, type Meter, type Grant, type PlanResolution, type SubscribedPrice } from "./core/catalog/index.ts";
export { mapUsageToLineItems, LINE_ROUNDING_MODES, type MapUsageOptions, type LineRoundingMode } from "./core/pricing/map-usage-to-line-items.ts";
export { preparePlan, pricingPlanSchema, type PreparedPlan, type PricingPlanInput } from "./core/pricing/prepare-plan.ts";
export {
  chargeSchema, minimumCommitmentSchema, priceRefSchema, CHARGE_MODELS,
  type Charge, type ChargeInput, type ChargeModel, type MinimumCommitment, type PriceRef,
} from "./core/pricing/charge-schema.ts";
export type { LineItem, LineItemTier, PricedUsage } from "./core/pricing/line-item.ts";
export type { UsageInput, MeterUsageInput } from "./core/pricing/usage-input.ts";
export type { ResolvePrice } from "./core/pricing/charge-pricing.ts";
export { resolvedPriceSchema, type ResolvedPrice, type ResolvedPriceInput } from "./core/pricing/resolved-price.ts";
export type { Invoice, InvoiceLine, InvoicePeriod, InvoiceSummary, PricedInvoice } from "./core/invoicing/invoice.ts";
export { invoicesToCsv, INVOICE_CSV_COLUMNS } from "./core/invoicing/invoice-csv.ts";
export { parseBillingMonth, billingPeriodEndingIn, type BillingMonth } from "./core/invoicing/billing-month.ts";
export { parseRunPeriod, type RunPeriod } from "./core/invoicing/run-period.ts";
