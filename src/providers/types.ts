import type { BillingError } from "../core/errors.ts";
import type { ResolvedPrice } from "../core/pricing/resolved-price.ts";

/**
 * The contract between the hub and whoever collects the money. The hub hands a provider plain
 * data and gets plain data back; a provider never touches the store.
 *
 * @example
 * const provider = createStripeProvider({ client, config, now }) satisfies BillingProvider;
 * const outcomes = await provider.pushUsage([event]);
 * // [{ transactionId: "tx_1", status: "delivered" }]
 */
export interface BillingProvider {
  readonly id: string;
  /**
   * False for providers with nothing to deliver (manual): usage stays in the ledger, so the
   * ledger need not queue outbox rows for them.
   */
  readonly remote: boolean;
  /** Largest batch one `pushUsage` call sends efficiently; the forwarder groups by it. */
  readonly maxBatchSize: number;
  /**
   * How long the provider recognizes a resend by its transactionId (Stripe keeps meter event
   * identifiers for 24 h); absent when it always does (Flowglad keeps transactionId unique per
   * meter). The forwarder does not resend a row near the end of this window without an operator.
   */
  readonly resendWindowMs?: number;
  /**
   * Sends usage. Returns exactly one outcome per input event, in input order. Per-event failures
   * are outcomes, never throws; it throws only for a bug.
   */
  pushUsage(batch: readonly ProviderUsageEvent[]): Promise<PushOutcome[]>;
  /** The id this provider knows the customer by, from the customer's `provider_ids`. */
  customerIdFor(customer: CustomerRef): string | undefined;
  /** Verifies a webhook delivery and maps it to one of billhub's changes, for providers that send webhooks. */
  parseWebhook?(delivery: WebhookDelivery): Promise<ProviderChange>;
  /**
   * Live (true) or test (false) mode of the configured API key, when the key says (Stripe's
   * `sk_live_` / `sk_test_`). A webhook event of the other mode is refused, never applied.
   */
  readonly livemode?: boolean;
  /** The provider's catalog, where it keeps one billhub should follow (its definition declares `pullCatalog`). */
  pullCatalog?(): Promise<ProviderCatalog>;
  /**
   * One of the provider's prices as the price history stores it, for providers whose webhooks
   * carry prices (`price_upserted` changes).
   */
  priceState?(price: ProviderPrice): ProviderPriceState;
  /**
   * Re-reads one object, the provider's newest truth, when a webhook cannot be trusted to carry
   * it: two changes in the same second, a thin event, a price sent without its tiers. Resolves
   * null when the object no longer exists; throws BillingErrors (retryable ones for outages).
   */
  readObject?<T extends ProviderObjectType>(type: T, id: string): Promise<ProviderObjects[T] | null>;
  /** Items on the provider's invoices, for providers that bill charges their meters cannot express (Stripe). */
  invoiceItems?: InvoiceItemsApi;
  /**
   * The provider's own total of one meter for one customer over [from, to), for reconciliation
   * (Stripe: the meter's event summary). Throws BillingErrors: UNKNOWN_METER when the provider has
   * no meter for the key, PROVIDER_NOT_FOUND for an unknown customer, retryable ones for outages.
   * Resolves `{ value: null, notComparable }` when the provider has no figure for that window.
   */
  readUsageTotal?(query: UsageTotalQuery): Promise<ProviderUsageTotal>;
  /**
   * Creates the customer at the provider, idempotently by billhub's customer id (a retry returns
   * the customer the first call created), for providers whose definition declares `createCustomers`.
   */
  createCustomer?(input: NewProviderCustomer): Promise<{ providerCustomerId: string }>;
  /**
   * Starts a hosted checkout that subscribes the customer to a price (by the key the catalog's
   * `providerPrices` lists); the subscription then arrives through the provider's webhooks.
   */
  startCheckout?(input: CheckoutRequest): Promise<ProviderSession>;
  /** Opens a session of the provider's customer portal (payment methods, invoices, cancellation). */
  openPortal?(input: PortalRequest): Promise<ProviderSession>;
}

export interface NewProviderCustomer {
  /** billhub's customer id: kept at the provider (metadata) and the source of the idempotency key. */
  customerId: string;
  email: string | null;
  name: string | null;
}

export interface CheckoutRequest {
  providerCustomerId: string;
  /** billhub's customer id, carried to the provider so its subscription can be traced back. */
  customerId: string;
  /** The price's key as the catalog's `providerPrices` lists it (Stripe: a lookup key). */
  priceKey: string;
  successUrl: string;
  cancelUrl: string;
}

export interface PortalRequest {
  providerCustomerId: string;
  returnUrl: string;
}

/** A hosted page at the provider to send the customer to. */
export interface ProviderSession {
  id: string;
  url: string;
}

/** An invoice item at the provider, as billhub reads it back. */
export interface ProviderInvoiceItem {
  id: string;
  invoiceId: string | null;
  /** Minor units. */
  amount: number;
  currency: string;
  description: string | null;
  metadata: Record<string, string>;
}

/** An invoice item to add to a draft invoice: one billhub line item, in whole minor units. */
export interface NewInvoiceItem {
  providerCustomerId: string;
  invoiceId: string;
  /** ISO 4217 code. */
  currency: string;
  amount: number;
  description: string;
  /** The usage period the line bills. */
  period: { start: Date; end: Date };
  metadata: Record<string, string>;
  /** Derived from the invoice and the line, so a retried create adds nothing twice. */
  idempotencyKey: string;
}

export interface InvoiceItemsApi {
  /** Every item on the invoice (all pages). */
  list(invoiceId: string): Promise<ProviderInvoiceItem[]>;
  create(item: NewInvoiceItem): Promise<ProviderInvoiceItem>;
}

export interface UsageTotalQuery {
  /** The catalog's meter key. */
  meter: string;
  providerCustomerId: string;
  /** Inclusive; providers may require whole minutes (Stripe does). */
  from: Date;
  /** Exclusive. */
  to: Date;
  /**
   * How the catalog meter aggregates (`sum`, `count`, `max`, `last`, `unique_count`), for a provider
   * that can tell its own meter totals something else and so has no comparable figure.
   */
  aggregation?: string;
}

/**
 * The provider's total, or why it has none to compare over the window: a provider that reports
 * usage only per billing period (Lago) cannot answer for a window that is not one of its periods,
 * and a made-up figure would read as a difference.
 */
export type ProviderUsageTotal =
  | {
      /** Exact decimal string. */
      value: string;
      /** How the provider aggregates the meter (`sum`, `count`, `last`, ...). */
      aggregation: string;
    }
  | {
      value: null;
      /** Why the provider has no figure for the window, and what would give one. */
      notComparable: string;
    };

/**
 * What `readObject` can re-read, by type: prices (with their tiers), products and subscriptions
 * by id; a customer's current subscriptions, all at once, by the provider's customer id (for
 * thin webhooks). A provider may add its own types to this interface from its folder.
 */
export interface ProviderObjects {
  price: ProviderPrice;
  product: ProviderProduct;
  subscription: ProviderSubscription;
  customer_subscriptions: ProviderCustomerSubscriptions;
}
export type ProviderObjectType = keyof ProviderObjects;

/** A recorded usage event on its way to one provider. */
export interface ProviderUsageEvent {
  /** The ledger's idempotency key; also the provider-side one (Stripe `identifier`, Flowglad `transactionId`). */
  transactionId: string;
  /** billhub's customer id. */
  customerId: string;
  /** The customer's id at this provider (`provider_ids[provider]`), when known. */
  providerCustomerId?: string;
  /** The catalog's meter key; each provider maps it to its own meter in config. */
  meter: string;
  /** Exact decimal string, e.g. "12", "0.5", "-3" (an adjustment). */
  quantity: string;
  timestamp: Date;
  properties: Record<string, unknown>;
}

export type PushOutcome =
  | { transactionId: string; status: "delivered" | "already_delivered" }
  | { transactionId: string; status: "retryable" | "permanent"; error: BillingError };

/** What a provider needs to know about a customer to name them. */
export interface CustomerRef {
  id: string;
  /** The customers table's `provider_ids`, e.g. `{ "stripe": "cus_123" }`. */
  providerIds: Readonly<Record<string, string>>;
}

/** A webhook request as received: the raw, unparsed body and its headers. */
export interface WebhookDelivery {
  /** Exactly the bytes the provider signed; a re-serialized JSON body will not verify. */
  rawBody: string | Uint8Array;
  headers: Headers | Readonly<Record<string, string | readonly string[] | undefined>>;
}

/** What every change carries for dedupe (eventId) and ordering (created). */
export interface ChangeMeta {
  provider: string;
  /** The provider's id for the delivery: Stripe `evt_...`, Flowglad's `svix-id`. */
  eventId: string;
  /** The provider's event type, e.g. `price.updated`. */
  eventType: string;
  /** When the provider says the event happened (Stripe: whole seconds, so two changes can tie). */
  created: Date;
  /** Live or test mode, when the event says (Flowglad's thin events do not). */
  livemode: boolean | null;
}

export interface PriceTier {
  /** Inclusive upper bound; null for the last (infinite) tier. */
  upTo: number | null;
  /** Minor units per unit as an exact decimal string (up to 12 places), or null. */
  unitAmountDecimal: string | null;
  /** Minor units for the tier as an exact decimal string, or null. */
  flatAmountDecimal: string | null;
}

/**
 * A provider's price as a price event carries it, in billhub's terms (per-unit or tiered,
 * graduated or volume, packages); amounts are exact decimal strings in minor units.
 */
export interface ProviderPrice {
  id: string;
  productId: string;
  active: boolean;
  currency: string;
  lookupKey: string | null;
  nickname: string | null;
  type: "one_time" | "recurring";
  billingScheme: "per_unit" | "tiered";
  unitAmountDecimal: string | null;
  tiersMode: "graduated" | "volume" | null;
  /** Present when the event carried them (Stripe sends tiers only when expanded). */
  tiers: PriceTier[] | null;
  transformQuantity: { divideBy: number; round: "up" | "down" } | null;
  recurring: {
    interval: "day" | "week" | "month" | "year";
    intervalCount: number;
    usageType: "licensed" | "metered";
    meter: string | null;
  } | null;
  metadata: Record<string, string>;
  created: Date;
}

export interface ProviderProduct {
  id: string;
  name: string;
  active: boolean;
  defaultPriceId: string | null;
  metadata: Record<string, string>;
  updated: Date | null;
}

export interface ProviderSubscriptionItem {
  id: string;
  priceId: string;
  lookupKey: string | null;
  productId: string;
  /** The price's metadata (`billhub_plan` names the plan it puts a customer on). */
  priceMetadata: Record<string, string>;
  quantity: number | null;
  currentPeriodStart: Date | null;
  currentPeriodEnd: Date | null;
}

export interface ProviderSubscription {
  id: string;
  /** The provider's customer id (Stripe `cus_...`). */
  providerCustomerId: string;
  status: string;
  cancelAtPeriodEnd: boolean;
  /** While the subscription is in a trial: when the trial ends (the provider's own reading of its status). */
  trialEndsAt?: Date | null;
  items: ProviderSubscriptionItem[];
}

/** One of a customer's current subscriptions, as a provider that re-reads them all at once reports it. */
export interface ProviderCurrentSubscription {
  id: string;
  status: string;
  /**
   * Its prices, each with the key the catalog's `providerPrices` lists (a lookup key or slug), if
   * it has one, and metadata that may name the plan (`billhub_plan`), where the provider keeps any.
   */
  prices: { priceId: string; lookupKey: string | null; priceMetadata?: Record<string, string> }[];
  currentPeriodStart: Date | null;
  currentPeriodEnd: Date | null;
  cancelAtPeriodEnd: boolean;
  /** While the subscription is in a trial: when the trial ends. */
  trialEndsAt?: Date | null;
}

/** A customer's current subscriptions at the provider; one that is not among them has ended. */
export interface ProviderCustomerSubscriptions {
  subscriptions: ProviderCurrentSubscription[];
}

export interface ProviderInvoice {
  id: string;
  providerCustomerId: string;
  subscriptionId: string | null;
  status: string | null;
  currency: string;
  periodStart: Date;
  periodEnd: Date;
}

/** Credit one line of a purchase bought: money (whole minor units of `currency`) or units of a feature. */
export type PurchasedCredit = { readonly productId: string; readonly quantity: number } & ({ readonly currency: string; readonly amount: string } | { readonly feature: string; readonly units: string });

/** A paid purchase of prepaid credit, in provider-neutral terms. */
export interface ProviderCreditPurchase {
  /** What was paid (a checkout, an invoice): the grants' ids derive from it, so it is credited once. */
  objectId: string;
  /** The provider's customer id (for a provider that names customers by billhub's id, that id: see customerIdFor). */
  providerCustomerId: string;
  credits: PurchasedCredit[];
}

/**
 * billhub's own view of a provider event. The webhook routes apply these to the catalog; every
 * member names the object it is about so that stale or tied deliveries can be detected.
 */
export type ProviderChange =
  | (ChangeMeta & { kind: "price_upserted"; price: ProviderPrice })
  | (ChangeMeta & { kind: "price_deleted"; priceId: string; lookupKey: string | null })
  | (ChangeMeta & { kind: "product_upserted"; product: ProviderProduct })
  | (ChangeMeta & { kind: "product_deleted"; productId: string })
  | (ChangeMeta & { kind: "subscription_changed"; subscription: ProviderSubscription; deleted: boolean })
  | (ChangeMeta & { kind: "invoice_created"; invoice: ProviderInvoice })
  /**
   * Paid purchases of credit, all of one customer: one, or every paid one when the provider's
   * event cannot say which (each is granted once whatever the number of events naming it).
   */
  | (ChangeMeta & { kind: "credit_purchase"; purchases: ProviderCreditPurchase[] })
  | (ChangeMeta & {
      kind: "customer_billing_stale";
      /** The event is a thin reference: re-fetch the customer's billing before applying anything. */
      customer: { providerCustomerId: string; externalId: string };
      object: { type: string; id: string };
      pricingModelId: string | null;
    })
  | (ChangeMeta & { kind: "ignored"; reason: string });

/**
 * A price as the price history stores it: the provider's own object (plain JSON, whose hash tells
 * versions apart) and, where it can price usage, what it bills in pricing's terms; a price that
 * cannot is kept with the reason, so an invoice that needs it fails naming it.
 */
export interface ProviderPriceState {
  lookupKey: string | null;
  productId: string | null;
  active: boolean;
  /** ISO 4217, upper case. */
  currency: string;
  price: unknown;
  resolved: ResolvedPrice | null;
  resolveError: string | null;
}

/** A provider-kept catalog, as plain data: its id and every price in it, by the provider's price id. */
export interface ProviderCatalog {
  provider: string;
  /** The catalog's id at the provider (its pricing model). */
  pricingModelId: string;
  prices: ReadonlyMap<string, ProviderPriceState>;
}
