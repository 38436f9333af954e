import type Stripe from "stripe";
import { z } from "zod";
import { BillingError } from "../../core/errors.ts";
import { zodToBillingError } from "../../core/validation.ts";
import { purchasedCredit } from "../credit-products.ts";
import type { ChangeMeta, ProviderChange, PurchasedCredit } from "../types.ts";
import type { StripeCreditProducts } from "./config.ts";
import { stripeErrorToBillingError } from "./errors.ts";

/** The Stripe events a purchase of credit arrives with. */
export const PURCHASE_EVENTS = new Set(["checkout.session.completed", "checkout.session.async_payment_succeeded", "invoice.paid"]);

const productRef = z.union([z.string(), z.object({ id: z.string() })]);

const sessionSchema = z.object({
  id: z.string().min(1).max(255),
  mode: z.string(),
  payment_status: z.string(),
  customer: z.union([z.string(), z.object({ id: z.string() })]).nullable().optional(),
  invoice: z.union([z.string(), z.object({ id: z.string() })]).nullable().optional(),
});

/** A Checkout line item (`item`): the price's product is an id unless expanded. */
const itemSchema = z.object({
  quantity: z.number().int().nullable().optional(),
  currency: z.string(),
  price: z.object({ product: productRef }).nullable().optional(),
});

/** An invoice line: the product under `pricing.price_details` (API 2025-03-31 on), or `price.product` before. */
const lineSchema = z.object({
  quantity: z.number().int().nullable().optional(),
  currency: z.string(),
  pricing: z.object({ price_details: z.object({ product: productRef }).nullable().optional() }).nullable().optional(),
  price: z.object({ product: productRef }).nullable().optional(),
});

const invoiceSchema = z.object({
  id: z.string().min(1).max(255),
  customer: z.union([z.string(), z.object({ id: z.string() })]),
  lines: z.object({ data: z.array(lineSchema), has_more: z.boolean() }),
});

interface BoughtLine {
  productId: string | null;
  quantity: number;
  currency: string;
}

function idOf(ref: z.infer<typeof productRef> | null | undefined): string | null {
  if (ref === null || ref === undefined) return null;
  return typeof ref === "string" ? ref : ref.id;
}

function parse<S extends z.ZodType>(schema: S, input: unknown, what: string): z.output<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const error = zodToBillingError(result.error, "WEBHOOK_PAYLOAD_INVALID", what);
  throw new BillingError("WEBHOOK_PAYLOAD_INVALID", `Stripe ${what} is not what billhub reads for a credit purchase: ${error.message}`, { provider: "stripe", ...(error.field ? { field: error.field } : {}) });
}

/** Every page of a Stripe list, through the SDK's auto-pagination; Stripe's errors as BillingErrors. */
async function allOf<T>(list: Stripe.ApiListPromise<T>, now: () => Date): Promise<T[]> {
  const items: T[] = [];
  try {
    for await (const item of list) items.push(item);
  } catch (error) {
    throw stripeErrorToBillingError(error, now());
  }
  return items;
}

/** The credit the lines bought: one per line of a configured credit product, quantity × what one item gives. */
function creditsOf(lines: readonly BoughtLine[], products: StripeCreditProducts): PurchasedCredit[] {
  const credits: PurchasedCredit[] = [];
  for (const line of lines) {
    const product = line.productId === null ? undefined : products[line.productId];
    if (product !== undefined) credits.push(purchasedCredit(line.productId!, product, line.quantity, line.currency));
  }
  return credits;
}

/**
 * Maps a paid Checkout Session or a paid invoice to a provider-neutral credit purchase, for the
 * products configured in `stripe.creditProducts`. A Checkout Session's line items are not in its
 * event, so they are listed from Stripe; an invoice's are, unless there are more than the event
 * holds. A session that comes with an invoice (subscription mode, or invoice creation on) is
 * credited by that invoice's `invoice.paid`, never by both.
 *
 * @example
 * await stripeCreditPurchase(client, { prod_credits: { amount: 1000 } }, "invoice.paid", invoice, meta, now)
 * // { kind: "credit_purchase", purchases: [{ objectId: "in_1", providerCustomerId: "cus_1", credits: [{ currency: "USD", amount: "2000", quantity: 2, ... }] }] }
 */
export async function stripeCreditPurchase(client: Stripe, products: StripeCreditProducts, type: string, object: Record<string, unknown>, meta: ChangeMeta, now: () => Date): Promise<ProviderChange> {
  const ignored = (reason: string): ProviderChange => ({ ...meta, kind: "ignored", reason });
  let objectId: string;
  let customer: string;
  let lines: BoughtLine[];
  if (type === "invoice.paid") {
    const invoice = parse(invoiceSchema, object, "data.object");
    objectId = invoice.id;
    customer = idOf(invoice.customer)!;
    const raw = invoice.lines.has_more ? await allOf(client.invoices.listLineItems(invoice.id, { limit: 100 }), now) : invoice.lines.data;
    lines = raw.map((line) => {
      const parsed = parse(lineSchema, line, "invoice line");
      return { productId: idOf(parsed.pricing?.price_details?.product) ?? idOf(parsed.price?.product), quantity: parsed.quantity ?? 1, currency: parsed.currency };
    });
  } else {
    const session = parse(sessionSchema, object, "data.object");
    const invoice = idOf(session.invoice);
    if (invoice !== null || session.mode !== "payment") return ignored(`Checkout Session ${session.id} is credited when its invoice is paid (invoice.paid), not twice`);
    if (session.payment_status !== "paid" && session.payment_status !== "no_payment_required") {
      return ignored(`Checkout Session ${session.id} is ${session.payment_status}: credited once checkout.session.async_payment_succeeded says it is paid`);
    }
    const owner = idOf(session.customer);
    if (owner === null) return ignored(`Checkout Session ${session.id} has no Stripe customer to credit (create the session with a customer, or customer_creation: "always")`);
    objectId = session.id;
    customer = owner;
    lines = (await allOf(client.checkout.sessions.listLineItems(session.id, { limit: 100 }), now)).map((item) => {
      const parsed = parse(itemSchema, item, "Checkout line item");
      return { productId: idOf(parsed.price?.product), quantity: parsed.quantity ?? 1, currency: parsed.currency };
    });
  }
  const credits = creditsOf(lines, products);
  if (credits.length === 0) return ignored(`${objectId} bought no product of stripe.creditProducts`);
  return { ...meta, kind: "credit_purchase", purchases: [{ objectId, providerCustomerId: customer, credits }] };
}
