import type { ActivityApi } from "./activity.ts";
import type { CustomersApi } from "./customers.ts";
import type { EntitlementsApi } from "./entitlements.ts";
import type { HostedPagesApi } from "./hosted-pages.ts";
import type { InvoicesApi } from "./invoices.ts";
import type { LedgerApi } from "./ledger.ts";
import type { LimitAdjustmentsApi } from "./limit-adjustments.ts";
import type { ReconcileApi } from "./reconcile.ts";
import type { CatalogSyncMethods, WebhooksApi } from "./webhooks.ts";

/** The areas' methods as they are built (and traced), before the hub groups them. */
export type HubAreas = LedgerApi & CustomersApi & LimitAdjustmentsApi & EntitlementsApi & InvoicesApi & WebhooksApi & CatalogSyncMethods & HostedPagesApi & ReconcileApi & ActivityApi;

/** `hub.customers`: who the customers are, their plans, grants and provider pages. */
export interface HubCustomers {
  /**
   * Creates the customer or updates the fields given (others keep their values).
   * @example await hub.customers.upsert({ id: "org_42", referenceType: "organization", providerIds: { stripe: "cus_123" } })
   */
  readonly upsert: CustomersApi["upsertCustomer"];
  /** The customer, or CUSTOMER_NOT_FOUND. @example await hub.customers.get("org_42") */
  readonly get: CustomersApi["getCustomer"];
  /**
   * Customers in id order, optionally those whose id, email or name contains `search`; page with `cursor: nextCursor`.
   * @example await hub.customers.list({ search: "acme", limit: 50 }) // { customers, nextCursor }
   */
  readonly list: CustomersApi["listCustomers"];
  /**
   * Puts the customer on a plan, optionally on a variant or on the plan's trial.
   * @example await hub.customers.assign("org_42", "pro", { variant: "starter" })
   * @example await hub.customers.assign("org_42", "pro", { trial: true }) // { plan: "pro", trialing: true, trialEndsAt: now + 14 days }
   */
  readonly assign: CustomersApi["assign"];
  /** Returns the customer to the catalog's default plan. @example await hub.customers.unassign("org_42") */
  readonly unassign: CustomersApi["unassign"];
  /** The customer's plan changes, oldest first. @example await hub.customers.planHistory("org_42") */
  readonly planHistory: CustomersApi["planHistory"];
  /** Sets the customer's own grant for the named features. @example await hub.customers.override("org_42", { api: 50_000, sso: true }) */
  readonly override: CustomersApi["override"];
  /** Removes all the customer's overrides, or those of the named features. @example await hub.customers.clearOverride("org_42", ["api"]) */
  readonly clearOverride: CustomersApi["clearOverride"];
  /**
   * Grants (positive amount) or deducts (negative) part of a feature's limit for a time, idempotent by id.
   * @example await hub.customers.adjustLimit("org_42", { id: "launch-bonus", feature: "api", amount: 500 })
   */
  readonly adjustLimit: LimitAdjustmentsApi["adjustLimit"];
  /** Ends a limit adjustment now; NOT_FOUND when there is none. @example await hub.customers.endAdjustment("org_42", "launch-bonus") */
  readonly endAdjustment: LimitAdjustmentsApi["endAdjustment"];
  /** The customer's limit adjustments; ended ones only with `includeEnded`. @example await hub.customers.listAdjustments("org_42", { feature: "api" }) */
  readonly listAdjustments: LimitAdjustmentsApi["listAdjustments"];
  /**
   * Creates the customer at the provider (its primary one unless named) and keeps the id; idempotent.
   * @example await hub.customers.createProviderCustomer("org_42") // { provider: "stripe", providerCustomerId: "cus_...", created: true }
   */
  readonly createProviderCustomer: HostedPagesApi["createProviderCustomer"];
  /** A hosted checkout of a plan's provider price. @example const { url } = await hub.customers.checkout("org_42", { plan: "pro", successUrl, cancelUrl }) */
  readonly checkout: HostedPagesApi["startCheckout"];
  /** A session of the provider's customer portal. @example const { url } = await hub.customers.portal("org_42", { returnUrl }) */
  readonly portal: HostedPagesApi["openPortal"];
  /** The customer's provider subscriptions as last synced. @example await hub.customers.subscriptions("org_42") */
  readonly subscriptions: WebhooksApi["providerSubscriptions"];
}

/** `hub.invoices`: previews, the invoice run, stored invoices and exports. */
export interface HubInvoices {
  /**
   * What the customer would be invoiced, priced from the ledger now; nothing is stored.
   * @example await hub.invoices.preview("acme", { period: "2026-10" }) // { customerId, plan, period, currency, lineItems, subtotal }
   */
  readonly preview: InvoicesApi["previewInvoice"];
  /**
   * Invoices every customer for a billing month: numbered, immutable invoices; resumable.
   * @example await hub.invoices.run({ period: "2026-10" }) // or "2026" (yearly plans), "2026-W45" (weekly plans) // { period, total, invoiced, alreadyInvoiced, skipped, failed, numbers }
   */
  readonly run: InvoicesApi["runInvoices"];
  /** Stored invoices without their lines, by number; page with `cursor: nextCursor`. @example await hub.invoices.list({ period: "2026-10" }) */
  readonly list: InvoicesApi["listInvoices"];
  /** One stored invoice with its lines, or NOT_FOUND. @example await hub.invoices.get("inv_3f0c...") */
  readonly get: InvoicesApi["getInvoice"];
  /** A run period's invoices (a month, a year, an ISO week) as JSON or CSV. @example await hub.invoices.export({ period: "2026-10", format: "csv" }) */
  readonly export: InvoicesApi["exportInvoices"];
}

/** `hub.ledger`: the usage ledger's audit and reporting side (recording and `usage` stay on the hub). */
export interface HubLedger {
  /** Starts a metered feature's usage over; earlier events stay. @example await hub.ledger.reset("org_42", "api", { reason: "support" }) */
  readonly reset: LedgerApi["resetUsage"];
  /** A meter's usage per hour, day, week or month. @example await hub.ledger.stats({ customerId: "org_42", meter: "api_calls", groupBy: "day" }) */
  readonly stats: LedgerApi["stats"];
  /** `stats` for many customers × meters in one query. */
  readonly batchStats: LedgerApi["batchStats"];
  /** A customer's ledger for audit, with cursor pagination. @example await hub.ledger.events({ customerId: "org_42" }) */
  readonly events: LedgerApi["listEvents"];
  /** A customer's reset points, newest first. @example await hub.ledger.resets("org_42", "api") */
  readonly resets: LedgerApi["listResets"];
}

/** `hub.prices`: providers' catalogs pulled into a price history, and resolvers over it. */
export interface HubPrices {
  /** Pulls a provider's catalog into the price history (providers with `pullCatalog`). @example await hub.prices.sync("flowglad") */
  readonly sync: WebhooksApi["syncCatalog"];
  /** The synced prices in effect at an instant, as `mapUsageToLineItems`'s `resolvePrice`. @example await hub.prices.resolverAt(new Date()) */
  readonly resolverAt: WebhooksApi["priceResolverAt"];
  /** The prices that bill a period: those in effect at its last instant. @example await hub.prices.resolverForPeriod({ start, end }) */
  readonly resolverForPeriod: WebhooksApi["priceResolverForPeriod"];
  /** Versions of synced prices, oldest first. @example await hub.prices.history({ lookupKey: "api_calls" }) */
  readonly history: WebhooksApi["priceHistory"];
}

/** The namespaces built here (the hub adds outbox, alerts, credits and webhooks from their areas). */
export interface HubNamespaces {
  readonly customers: HubCustomers;
  readonly invoices: HubInvoices;
  readonly ledger: HubLedger;
  readonly prices: HubPrices;
}

/**
 * The flat members of earlier versions, kept for one minor version. Each is the same function as
 * its namespaced member (the same call, the same span).
 */
export interface DeprecatedHubMembers extends CatalogSyncMethods {
  /** @deprecated Use `hub.customers.upsert`. */
  readonly upsertCustomer: HubCustomers["upsert"];
  /** @deprecated Use `hub.customers.get`. */
  readonly getCustomer: HubCustomers["get"];
  /** @deprecated Use `hub.customers.list`. */
  readonly listCustomers: HubCustomers["list"];
  /** @deprecated Use `hub.customers.assign`. */
  readonly assign: HubCustomers["assign"];
  /** @deprecated Use `hub.customers.unassign`. */
  readonly unassign: HubCustomers["unassign"];
  /** @deprecated Use `hub.customers.planHistory`. */
  readonly planHistory: HubCustomers["planHistory"];
  /** @deprecated Use `hub.customers.override`. */
  readonly override: HubCustomers["override"];
  /** @deprecated Use `hub.customers.clearOverride`. */
  readonly clearOverride: HubCustomers["clearOverride"];
  /** @deprecated Use `hub.customers.adjustLimit`. */
  readonly adjustLimit: HubCustomers["adjustLimit"];
  /** @deprecated Use `hub.customers.endAdjustment`. */
  readonly endAdjustment: HubCustomers["endAdjustment"];
  /** @deprecated Use `hub.customers.listAdjustments`. */
  readonly listAdjustments: HubCustomers["listAdjustments"];
  /** @deprecated Use `hub.customers.createProviderCustomer`. */
  readonly createProviderCustomer: HubCustomers["createProviderCustomer"];
  /** @deprecated Use `hub.customers.checkout`. */
  readonly startCheckout: HubCustomers["checkout"];
  /** @deprecated Use `hub.customers.portal`. */
  readonly openPortal: HubCustomers["portal"];
  /** @deprecated Use `hub.customers.subscriptions`. */
  readonly providerSubscriptions: HubCustomers["subscriptions"];
  /** @deprecated Use `hub.invoices.preview`. */
  readonly previewInvoice: HubInvoices["preview"];
  /** @deprecated Use `hub.invoices.run`. */
  readonly runInvoices: HubInvoices["run"];
  /** @deprecated Use `hub.invoices.list`. */
  readonly listInvoices: HubInvoices["list"];
  /** @deprecated Use `hub.invoices.get`. */
  readonly getInvoice: HubInvoices["get"];
  /** @deprecated Use `hub.invoices.export`. */
  readonly exportInvoices: HubInvoices["export"];
  /** @deprecated Use `hub.ledger.reset`. */
  readonly resetUsage: HubLedger["reset"];
  /** @deprecated Use `hub.ledger.stats`. */
  readonly stats: HubLedger["stats"];
  /** @deprecated Use `hub.ledger.batchStats`. */
  readonly batchStats: HubLedger["batchStats"];
  /** @deprecated Use `hub.ledger.events`. */
  readonly listEvents: HubLedger["events"];
  /** @deprecated Use `hub.ledger.resets`. */
  readonly listResets: HubLedger["resets"];
  /** @deprecated Use `hub.prices.sync`. */
  readonly syncCatalog: HubPrices["sync"];
  /** @deprecated Use `hub.prices.resolverAt`. */
  readonly priceResolverAt: HubPrices["resolverAt"];
  /** @deprecated Use `hub.prices.resolverForPeriod`. */
  readonly priceResolverForPeriod: HubPrices["resolverForPeriod"];
  /** @deprecated Use `hub.prices.history`. */
  readonly priceHistory: HubPrices["history"];
}

/**
 * Each deprecated flat member and the namespaced member it is: `["upsertCustomer", "customers",
 * "upsert"]`. The hub builds both from this one table, and a test calls both sides of each row.
 */
export const DEPRECATED_ALIASES = [
  ["upsertCustomer", "customers", "upsert"],
  ["getCustomer", "customers", "get"],
  ["listCustomers", "customers", "list"],
  ["assign", "customers", "assign"],
  ["unassign", "customers", "unassign"],
  ["planHistory", "customers", "planHistory"],
  ["override", "customers", "override"],
  ["clearOverride", "customers", "clearOverride"],
  ["adjustLimit", "customers", "adjustLimit"],
  ["endAdjustment", "customers", "endAdjustment"],
  ["listAdjustments", "customers", "listAdjustments"],
  ["createProviderCustomer", "customers", "createProviderCustomer"],
  ["startCheckout", "customers", "checkout"],
  ["openPortal", "customers", "portal"],
  ["providerSubscriptions", "customers", "subscriptions"],
  ["previewInvoice", "invoices", "preview"],
  ["runInvoices", "invoices", "run"],
  ["listInvoices", "invoices", "list"],
  ["getInvoice", "invoices", "get"],
  ["exportInvoices", "invoices", "export"],
  ["resetUsage", "ledger", "reset"],
  ["stats", "ledger", "stats"],
  ["batchStats", "ledger", "batchStats"],
  ["listEvents", "ledger", "events"],
  ["listResets", "ledger", "resets"],
  ["syncCatalog", "prices", "sync"],
  ["priceResolverAt", "prices", "resolverAt"],
  ["priceResolverForPeriod", "prices", "resolverForPeriod"],
  ["priceHistory", "prices", "history"],
] as const satisfies ReadonlyArray<{ [N in keyof HubNamespaces]: readonly [keyof DeprecatedHubMembers, N, keyof HubNamespaces[N]] }[keyof HubNamespaces]>;

/**
 * Namespaced members that never had a flat name: `[namespace, member, the area's method]`. A new
 * hub method goes here (and into its namespace's interface above), never flat on the hub.
 */
export const NAMESPACE_ONLY_MEMBERS: ReadonlyArray<readonly [keyof HubNamespaces, string, keyof HubAreas]> = [];

/** The area methods the hub keeps flat: what a request handler calls, and two single-call operations. */
export const FLAT_METHODS = ["record", "recordBatch", "adjust", "usage", "check", "can", "consume", "limit", "entitlements", "reconcile", "activity"] as const satisfies ReadonlyArray<keyof HubAreas>;

// Every method an area builds must be reachable on the hub: flat, in DEPRECATED_ALIASES or in
// NAMESPACE_ONLY_MEMBERS. A method named below was built but put nowhere; place it.
type Placed = (typeof FLAT_METHODS)[number] | (typeof DEPRECATED_ALIASES)[number][0] | "webhooks" | keyof CatalogSyncMethods;
type Unplaced = Exclude<keyof HubAreas, Placed>;
export const EVERY_AREA_METHOD_PLACED: [Unplaced] extends [never] ? true : { unplaced: Unplaced } = true;

/**
 * The namespaces and the deprecated flat members, every one the very function the area built
 * (traced once, so a call through either name is one span under the same name).
 */
export function groupAreaMethods(areas: HubAreas): HubNamespaces & DeprecatedHubMembers {
  const namespaces: Record<keyof HubNamespaces, Record<string, unknown>> = { customers: {}, invoices: {}, ledger: {}, prices: {} };
  const aliases: Record<string, unknown> = {};
  for (const [alias, namespace, member] of DEPRECATED_ALIASES) {
    // Each deprecated name is also the name its area gave the method.
    const method = areas[alias];
    namespaces[namespace][member] = method;
    aliases[alias] = method;
  }
  for (const [namespace, member, method] of NAMESPACE_ONLY_MEMBERS) namespaces[namespace][member] = areas[method];
  for (const key of Object.keys(areas)) if (/^sync[A-Z]\w*Catalog$/.test(key)) aliases[key] = (areas as unknown as Record<string, unknown>)[key];
  return { ...(namespaces as unknown as HubNamespaces), ...(aliases as unknown as DeprecatedHubMembers) };
}
