import { BillingError } from "../../core/errors.ts";
import { foundAtProvider } from "../errors.ts";
import type { CheckoutRequest, NewProviderCustomer, ProviderSession } from "../types.ts";
import type { FlowgladAdminClient } from "./client.ts";
import { flowgladErrorToBillingError } from "./errors.ts";

/** The output metadata key that carries billhub's customer id on Flowglad's checkout sessions. */
export const CHECKOUT_METADATA_KEY = "billhub_customer_id";

/**
 * The write path at Flowglad, which names customers by external id (billhub's customer id):
 * the customer (`GET /api/v1/customers/{externalId}`, created with `POST /api/v1/customers` only
 * when Flowglad answers NOT_FOUND, so a retry after a lost answer finds the first one instead of
 * making a second) and a product checkout session for a price slug
 * (`POST /api/v1/checkout-sessions`, type `product`, the subscription then arriving through
 * Flowglad's webhooks). Flowglad requires an email and a name for a customer: without an email
 * nothing is sent; without a name the email stands in for it.
 *
 * @example
 * const pages = createFlowgladHostedPages(client, () => new Date());
 * const { url } = await pages.startCheckout({ providerCustomerId: "org_42", customerId: "org_42", priceKey: "pro_monthly", successUrl, cancelUrl });
 */
export function createFlowgladHostedPages(client: FlowgladAdminClient, now: () => Date) {
  const call = async <T>(send: () => Promise<T>): Promise<T> => {
    try {
      return await send();
    } catch (error) {
      throw flowgladErrorToBillingError(error, now());
    }
  };
  /** Whether Flowglad holds a customer with this external id. */
  const exists = (externalId: string) => foundAtProvider(() => call(() => client.getCustomer(externalId)));

  return {
    async createCustomer(input: NewProviderCustomer): Promise<{ providerCustomerId: string }> {
      const externalId = input.customerId;
      if (await exists(externalId)) return { providerCustomerId: externalId };
      if (input.email === null) {
        throw new BillingError("VALIDATION_FAILED", `Flowglad needs an email to create customer ${JSON.stringify(externalId)}; set the customer's email first`, {
          provider: "flowglad",
          field: "email",
        });
      }
      const { email } = input;
      try {
        await call(() => client.createCustomer({ customer: { externalId, email, name: input.name ?? email } }));
      } catch (error) {
        // Created meanwhile by another request for the same customer: that one is ours too.
        if (!(error instanceof BillingError && error.code === "PROVIDER_CONFLICT" && (await exists(externalId)))) throw error;
      }
      return { providerCustomerId: externalId };
    },

    async startCheckout(input: CheckoutRequest): Promise<ProviderSession> {
      const response = await call(() =>
        client.createCheckoutSession(input.providerCustomerId, {
          priceSlug: input.priceKey,
          quantity: 1,
          successUrl: input.successUrl,
          cancelUrl: input.cancelUrl,
          outputMetadata: { [CHECKOUT_METADATA_KEY]: input.customerId },
        }),
      );
      return { id: response.checkoutSession.id, url: response.url };
    },
  };
}
