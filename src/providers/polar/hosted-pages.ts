import { BillingError } from "../../core/errors.ts";
import { foundAtProvider } from "../errors.ts";
import type { CheckoutRequest, NewProviderCustomer, PortalRequest, ProviderSession } from "../types.ts";
import type { PolarClient } from "./client.ts";
import { polarErrorToBillingError } from "./errors.ts";

/** The metadata key that carries billhub's customer id on Polar customers and checkouts (copied to the order and subscription). */
export const CUSTOMER_METADATA_KEY = "billhub_customer_id";

/**
 * The write path at Polar, which names customers by external id (billhub's customer id, as usage
 * does): the customer (`GET /v1/customers/external/{external_id}`, created with `POST
 * /v1/customers/` only when Polar answers 404, with `external_id` and the required `email`, both
 * "unique within the organization"; Polar takes no idempotency key, so a create refused because
 * another request made the customer meanwhile is settled by reading it again), a checkout session
 * for a product (`POST /v1/checkouts/`: `products` by id, `external_customer_id`, `success_url`,
 * `return_url` for the back button, `metadata` "copied to the resulting order and/or
 * subscription"; the subscription then arrives through Polar's webhooks) and a customer portal
 * session (`POST /v1/customer-sessions/` with `external_customer_id`: its `customer_portal_url`).
 * Shapes from `CustomerIndividualCreate`, `CheckoutCreate`, `Checkout`,
 * `CustomerSessionCustomerExternalIDCreate` and `CustomerSession` in the models of
 * @polar-sh/sdk 1.0.1 (API version 2026-10).
 *
 * @example
 * const pages = createPolarHostedPages(client);
 * const { url } = await pages.startCheckout({ providerCustomerId: "org_42", customerId: "org_42", priceKey: "<Polar product id>", successUrl, cancelUrl });
 */
export function createPolarHostedPages(client: PolarClient) {
  const call = async <T>(send: () => Promise<T>): Promise<T> => {
    try {
      return await send();
    } catch (error) {
      throw polarErrorToBillingError(error);
    }
  };
  /** Whether Polar holds a customer with this external id. */
  const exists = (externalId: string) => foundAtProvider(() => call(() => client.customerByExternalId(externalId)));

  return {
    async createCustomer(input: NewProviderCustomer): Promise<{ providerCustomerId: string }> {
      const externalId = input.customerId;
      if (await exists(externalId)) return { providerCustomerId: externalId };
      if (input.email === null) {
        throw new BillingError("VALIDATION_FAILED", `Polar needs an email (unique in the organization) to create customer ${JSON.stringify(externalId)}; set the customer's email first`, {
          provider: "polar",
          field: "email",
        });
      }
      const body = { email: input.email, external_id: externalId, ...(input.name === null ? {} : { name: input.name }), metadata: { [CUSTOMER_METADATA_KEY]: externalId } };
      try {
        await call(() => client.createCustomer(body));
      } catch (error) {
        // Refused as a repeat because another request created it meanwhile: that customer is ours.
        if (!(error instanceof BillingError && error.code === "PROVIDER_REJECTED" && (await exists(externalId)))) throw error;
      }
      return { providerCustomerId: externalId };
    },

    async startCheckout(input: CheckoutRequest): Promise<ProviderSession> {
      const checkout = await call(() =>
        client.createCheckout({
          products: [input.priceKey],
          external_customer_id: input.providerCustomerId,
          success_url: input.successUrl,
          return_url: input.cancelUrl,
          metadata: { [CUSTOMER_METADATA_KEY]: input.customerId },
        }),
      );
      return { id: checkout.id, url: checkout.url };
    },

    async openPortal(input: PortalRequest): Promise<ProviderSession> {
      const session = await call(() => client.createCustomerSession(input.providerCustomerId, input.returnUrl));
      return { id: session.id, url: session.customer_portal_url };
    },
  };
}
