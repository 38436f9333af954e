import type Stripe from "stripe";
import { BillingError } from "../../core/errors.ts";
import type { CheckoutRequest, NewProviderCustomer, PortalRequest, ProviderSession } from "../types.ts";
import { stripeErrorToBillingError } from "./errors.ts";

/** The metadata key that carries billhub's customer id on Stripe customers, sessions and subscriptions. */
export const CUSTOMER_METADATA_KEY = "billhub_customer_id";

/**
 * The write path at Stripe: the customer (`POST /v1/customers`, its Idempotency-Key derived from
 * billhub's customer id, so a retry within Stripe's 24 h key window returns the first customer),
 * a Checkout Session in subscription mode for the price under a lookup key (`GET /v1/prices` with
 * `lookup_keys[]`, then `POST /v1/checkout/sessions`; a metered price goes without a quantity, as
 * Checkout requires) and a Billing Portal session (`POST /v1/billing_portal/sessions`). Sessions are
 * short-lived pages: creating a second one is harmless, so they carry no idempotency key.
 *
 * @example
 * const pages = createStripeHostedPages(client, () => new Date());
 * const { url } = await pages.startCheckout({ providerCustomerId: "cus_1", customerId: "org_42", priceKey: "pro_monthly", successUrl, cancelUrl });
 */
export function createStripeHostedPages(client: Stripe, now: () => Date) {
  const call = async <T>(send: () => Promise<T>): Promise<T> => {
    try {
      return await send();
    } catch (error) {
      throw stripeErrorToBillingError(error, now());
    }
  };

  return {
    async createCustomer(input: NewProviderCustomer): Promise<{ providerCustomerId: string }> {
      const customer = await call(() =>
        client.customers.create(
          { ...(input.email === null ? {} : { email: input.email }), ...(input.name === null ? {} : { name: input.name }), metadata: { [CUSTOMER_METADATA_KEY]: input.customerId } },
          { idempotencyKey: `billhub-customer-${input.customerId}` },
        ),
      );
      return { providerCustomerId: customer.id };
    },

    async startCheckout(input: CheckoutRequest): Promise<ProviderSession> {
      const prices = await call(() => client.prices.list({ lookup_keys: [input.priceKey], active: true, limit: 1 }));
      const price = prices.data[0];
      if (price === undefined) {
        throw new BillingError("PROVIDER_NOT_FOUND", `Stripe has no active price with lookup key ${JSON.stringify(input.priceKey)}; create it in Stripe or fix the catalog's providerPrices.stripe`, {
          provider: "stripe",
          field: "price",
        });
      }
      const metered = price.recurring?.usage_type === "metered";
      const session = await call(() =>
        client.checkout.sessions.create({
          mode: "subscription",
          customer: input.providerCustomerId,
          client_reference_id: input.customerId,
          line_items: [metered ? { price: price.id } : { price: price.id, quantity: 1 }],
          success_url: input.successUrl,
          cancel_url: input.cancelUrl,
          metadata: { [CUSTOMER_METADATA_KEY]: input.customerId },
          subscription_data: { metadata: { [CUSTOMER_METADATA_KEY]: input.customerId } },
        }),
      );
      if (session.url === null) throw new BillingError("PROVIDER_REJECTED", `Stripe created checkout session ${session.id} without a URL`, { provider: "stripe" });
      return { id: session.id, url: session.url };
    },

    async openPortal(input: PortalRequest): Promise<ProviderSession> {
      const session = await call(() => client.billingPortal.sessions.create({ customer: input.providerCustomerId, return_url: input.returnUrl }));
      return { id: session.id, url: session.url };
    },
  };
}
