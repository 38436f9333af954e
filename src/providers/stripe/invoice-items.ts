import type Stripe from "stripe";
import { z } from "zod";
import { BillingError } from "../../core/errors.ts";
import { zodToBillingError } from "../../core/validation.ts";
import type { InvoiceItemsApi, ProviderInvoiceItem } from "../types.ts";
import { stripeErrorToBillingError } from "./errors.ts";

/** The most items Stripe holds on one invoice; a listing never needs more. */
const MAX_ITEMS_PER_INVOICE = 250;

const ref = z.union([z.string().min(1), z.object({ id: z.string().min(1) })]).transform((value) => (typeof value === "string" ? value : value.id));

const invoiceItemSchema = z.object({
  id: z.string().min(1),
  object: z.literal("invoiceitem"),
  invoice: ref.nullish(),
  amount: z.number().int(),
  currency: z.string().min(3),
  description: z.string().nullish(),
  metadata: z.record(z.string(), z.string()).nullish(),
});

function toItem(response: unknown): ProviderInvoiceItem {
  const parsed = invoiceItemSchema.safeParse(response);
  if (!parsed.success) {
    const error = zodToBillingError(parsed.error, "PROVIDER_REJECTED", "invoiceitem");
    throw new BillingError("PROVIDER_REJECTED", `Stripe's invoice item response is not what billhub reads: ${error.message}`, { provider: "stripe" });
  }
  const item = parsed.data;
  return {
    id: item.id,
    invoiceId: item.invoice ?? null,
    amount: item.amount,
    currency: item.currency.toUpperCase(),
    description: item.description ?? null,
    metadata: item.metadata ?? {},
  };
}

/**
 * Invoice items on Stripe invoices: `GET /v1/invoiceitems?invoice=` (every page) and
 * `POST /v1/invoiceitems` with an amount in minor units and the caller's idempotency key.
 * Stripe's errors become BillingErrors (outages and rate limits retryable).
 *
 * @example
 * const items = createStripeInvoiceItems(client, () => new Date());
 * await items.create({ providerCustomerId: "cus_1", invoiceId: "in_1", currency: "USD", amount: 1250, description: "API calls",
 *   period: { start: oct1, end: nov1 }, metadata: { billhub_line: "api" }, idempotencyKey: "billhub:in_1:api" });
 */
export function createStripeInvoiceItems(client: Stripe, now: () => Date): InvoiceItemsApi {
  const call = async <T>(request: () => Promise<T>): Promise<T> => {
    try {
      return await request();
    } catch (error) {
      throw stripeErrorToBillingError(error, now());
    }
  };
  const seconds = (at: Date) => Math.floor(at.getTime() / 1000);
  return {
    async list(invoiceId) {
      const items = await call(() => client.invoiceItems.list({ invoice: invoiceId, limit: 100 }).autoPagingToArray({ limit: MAX_ITEMS_PER_INVOICE }));
      return items.map(toItem);
    },
    async create(item) {
      const created = await call(() =>
        client.invoiceItems.create(
          {
            customer: item.providerCustomerId,
            invoice: item.invoiceId,
            currency: item.currency.toLowerCase(),
            amount: item.amount,
            description: item.description,
            period: { start: seconds(item.period.start), end: seconds(item.period.end) },
            metadata: item.metadata,
          },
          { idempotencyKey: item.idempotencyKey },
        ),
      );
      return toItem(created);
    },
  };
}
