import type { Catalog } from "../core/catalog/index.ts";
import type { ProviderRegistry } from "../providers/registry.ts";
import type { ProviderCreditPurchase, ProviderInvoice } from "../providers/types.ts";
import type { Store } from "../store/types.ts";
import type { WebhookOutcome } from "../store/webhooks/webhook-log.ts";

/** What an `invoice.created` event hands over: the draft invoice and whose it is. */
export interface InvoiceCreated {
  /** The provider whose invoice it is (one whose definition declares `invoiceItems`). */
  provider: string;
  eventId: string;
  invoice: ProviderInvoice;
  /** billhub's customer whose `provider_ids[provider]` is the invoice's customer, or null. */
  customerId: string | null;
}

/**
 * Called for each `invoice.created` event, before the event is logged as applied. It may be
 * called again for the same invoice (a redelivery after a crash, or after it threw), so it must
 * be idempotent by `invoice.id`. Throwing makes the route answer 5xx and the provider redeliver.
 */
export type InvoiceCreatedHandler = (event: InvoiceCreated) => Promise<void>;

/** A paid purchase of credit, for a customer billhub knows. */
export interface CreditPurchased {
  provider: string;
  eventId: string;
  /** When the provider says the purchase event happened: the grants take effect then. */
  created: Date;
  customerId: string;
  purchases: ProviderCreditPurchase[];
}

/**
 * Grants a purchase's credit. Called again for the same event after a crash or a failure, so it
 * must be idempotent by the purchase (and the event); throwing makes the route answer with the
 * error and the provider redeliver.
 */
export type CreditPurchaseHandler = (event: CreditPurchased) => Promise<void>;

/** What the webhook routes need from the hub. */
export interface WebhookDeps {
  readonly store: Store;
  readonly catalog: Catalog;
  readonly now: () => Date;
  readonly providers: ProviderRegistry;
  /** Called after a transaction that changed a customer's plan or period has committed. */
  readonly onCustomerChanged: (customerId: string) => void;
  /** Counts each processed or refused delivery (`rejected` for 4xx). */
  readonly countOutcome: (provider: string, outcome: WebhookOutcome | "duplicate" | "rejected") => void;
  readonly onInvoiceCreated: InvoiceCreatedHandler | undefined;
  readonly onCreditPurchase: CreditPurchaseHandler;
}
