import { z } from "zod";
import { BillingError } from "../core/errors.ts";
import { parseWith } from "../core/validation.ts";
import { providerDefinition, type ProviderCapabilities } from "../providers/index.ts";
import type { RegisteredProvider } from "../providers/registry.ts";
import type { ProviderSession } from "../providers/types.ts";
import { customerNotFound, findCustomer, upsertCustomer, type CustomerRecord } from "../store/customer-repository.ts";
import { customerIdSchema } from "./customer-input.ts";
import type { HubContext } from "./context.ts";
import type { CustomersApi } from "./customers.ts";

const providerField = z.string().min(1).max(64).optional();
const urlField = z.url({ protocol: /^https?$/, error: "must be an http(s) URL" }).max(2048);

/** `startCheckout`'s input, also the body of `POST /v1/customers/:id/checkout` (with the id from the path). */
export const checkoutInputSchema = z.strictObject({
  /** The catalog plan to subscribe to; its `providerPrices[provider]` names the price. */
  plan: z.string().min(1).max(128),
  /** One of the plan's listed prices for the provider; the first listed when left out. */
  price: z.string().min(1).max(200).optional(),
  successUrl: urlField,
  cancelUrl: urlField,
  /** The provider to check out at; the customer's primary provider when left out. */
  provider: providerField,
});

/** `openPortal`'s input, also the body of `POST /v1/customers/:id/portal`. */
export const portalInputSchema = z.strictObject({ returnUrl: urlField, provider: providerField });

/** `createProviderCustomer`'s options, also the body of `POST /v1/customers/:id/provider-customer`. */
export const providerCustomerInputSchema = z.strictObject({ provider: providerField });

export type CheckoutInput = z.input<typeof checkoutInputSchema>;
export type PortalInput = z.input<typeof portalInputSchema>;
export type ProviderCustomerOptions = z.input<typeof providerCustomerInputSchema>;

export interface ProviderCustomerLink {
  provider: string;
  providerCustomerId: string;
  /** False when the customer already had an id at the provider (nothing was created). */
  created: boolean;
}

export interface HostedPagesApi {
  /**
   * Creates the customer at the provider (its primary provider unless named) and stores the id in
   * `provider_ids`; a customer that already has one keeps it. Idempotent: a retry after a lost
   * answer gets the same provider customer (Stripe: an Idempotency-Key from billhub's customer id).
   *
   * @example await hub.customers.createProviderCustomer("org_42") // { provider: "stripe", providerCustomerId: "cus_...", created: true }
   */
  createProviderCustomer(customerId: string, options?: z.input<typeof providerCustomerInputSchema>): Promise<ProviderCustomerLink>;
  /**
   * A hosted checkout that subscribes the customer to a plan's provider price (creating the
   * provider customer first when needed). The plan is set when the provider's subscription webhook
   * arrives, as for any subscription.
   *
   * @example const { url } = await hub.customers.checkout("org_42", { plan: "pro", successUrl, cancelUrl })
   */
  startCheckout(customerId: string, input: CheckoutInput): Promise<ProviderSession & { provider: string }>;
  /** A session of the provider's customer portal. @example const { url } = await hub.customers.portal("org_42", { returnUrl }) */
  openPortal(customerId: string, input: PortalInput): Promise<ProviderSession & { provider: string }>;
}

/** The write path: provider customers, checkouts and portal sessions, for providers that declare them. */
export function createHostedPagesApi(ctx: HubContext): HostedPagesApi {
  async function customerOf(customerId: string): Promise<CustomerRecord> {
    const id = parseWith(customerIdSchema, customerId, "VALIDATION_FAILED", "customer");
    const customer = await findCustomer(ctx.store, id);
    if (customer === undefined) throw customerNotFound(id);
    return customer;
  }

  function providerFor(customerId: string, named: string | undefined, capability: keyof ProviderCapabilities, what: string): RegisteredProvider {
    const provider = named === undefined ? ctx.providers.routeFor(customerId).primary : ctx.providers.get(named);
    if (providerDefinition(provider.id)?.capabilities[capability] !== true) {
      const able = ctx.providers.withCapability(capability).map((candidate) => candidate.id);
      throw new BillingError("PROVIDER_UNSUPPORTED", `${providerDefinition(provider.id)?.displayName ?? provider.id} cannot ${what}; configured providers that can: ${able.length === 0 ? "none" : able.join(", ")}`, {
        provider: provider.id,
        field: "provider",
      });
    }
    return provider;
  }

  async function link(customer: CustomerRecord, provider: RegisteredProvider): Promise<ProviderCustomerLink> {
    const held = customer.providerIds[provider.id];
    if (held !== undefined) return { provider: provider.id, providerCustomerId: held, created: false };
    const { providerCustomerId } = await provider.createCustomer!({ customerId: customer.id, email: customer.email, name: customer.name });
    await upsertCustomer(ctx.store, { id: customer.id, providerIds: { [provider.id]: providerCustomerId } });
    return { provider: provider.id, providerCustomerId, created: true };
  }

  return {
    async createProviderCustomer(customerId, options = {}) {
      const { provider: named } = parseWith(providerCustomerInputSchema, options, "VALIDATION_FAILED");
      const customer = await customerOf(customerId);
      return link(customer, providerFor(customer.id, named, "createCustomers", "create customers"));
    },

    async startCheckout(customerId, input) {
      const request = parseWith(checkoutInputSchema, input, "VALIDATION_FAILED");
      const customer = await customerOf(customerId);
      const provider = providerFor(customer.id, request.provider, "checkout", "start checkouts");
      const plan = ctx.catalog.plans[request.plan];
      if (plan === undefined) {
        throw new BillingError("UNKNOWN_PLAN", `Unknown plan ${JSON.stringify(request.plan)}; valid plans: ${Object.keys(ctx.catalog.plans).sort().join(", ")}`, { field: "plan" });
      }
      const listed = plan.providerPrices[provider.id] ?? [];
      const priceKey = request.price ?? listed[0];
      if (priceKey === undefined || !listed.includes(priceKey)) {
        throw new BillingError(
          "VALIDATION_FAILED",
          listed.length === 0
            ? `Plan ${JSON.stringify(plan.key)} lists no ${provider.id} price to check out; add one under plans.${plan.key}.providerPrices.${provider.id} in the catalog`
            : `Price ${JSON.stringify(priceKey)} is not one of plan ${JSON.stringify(plan.key)}'s ${provider.id} prices (${listed.join(", ")})`,
          { field: listed.length === 0 ? "plan" : "price" },
        );
      }
      const held = customer.providerIds[provider.id];
      const providerCustomerId = held ?? (await link(customer, providerFor(customer.id, provider.id, "createCustomers", "create customers"))).providerCustomerId;
      const session = await provider.startCheckout!({ providerCustomerId, customerId: customer.id, priceKey, successUrl: request.successUrl, cancelUrl: request.cancelUrl });
      return { provider: provider.id, ...session };
    },

    async openPortal(customerId, input) {
      const request = parseWith(portalInputSchema, input, "VALIDATION_FAILED");
      const customer = await customerOf(customerId);
      const provider = providerFor(customer.id, request.provider, "portal", "open a customer portal");
      const providerCustomerId = customer.providerIds[provider.id];
      if (providerCustomerId === undefined) {
        throw new BillingError("PROVIDER_CUSTOMER_MISSING", `Customer ${JSON.stringify(customer.id)} has no ${provider.id} customer id; create it (POST /v1/customers/${customer.id}/provider-customer) or set providerIds.${provider.id}`, {
          provider: provider.id,
          field: `providerIds.${provider.id}`,
        });
      }
      const session = await provider.openPortal!({ providerCustomerId, returnUrl: request.returnUrl });
      return { provider: provider.id, ...session };
    },
  };
}

/** What creating a new customer at its provider came to: the link, or the provider's refusal (the hub customer stays). */
export type ProviderCustomerOutcome = ProviderCustomerLink | { provider: string; error: { code: string; message: string; retryable: boolean } };

/**
 * `upsertCustomer` for `provider.createCustomers`: a customer the call created is then created at
 * its primary provider, when that provider can create customers and the customer has no id there
 * yet. The provider's answer, or its refusal, comes back as `providerCustomer`; a refusal never
 * undoes the hub customer (the provider-customer call or route links it later, idempotently).
 *
 * @example (await hub.customers.upsert({ id: "org_42", email: "ops@acme.test" })).providerCustomer // { provider: "stripe", providerCustomerId: "cus_...", created: true }
 */
export function upsertCreatingAtProvider(ctx: HubContext, upsert: CustomersApi["upsertCustomer"], createProviderCustomer: HostedPagesApi["createProviderCustomer"]): CustomersApi["upsertCustomer"] {
  return async (input) => {
    const result = await upsert(input);
    if (!result.created) return result;
    const provider = ctx.providers.routeFor(result.customer.id).primary;
    if (providerDefinition(provider.id)?.capabilities.createCustomers !== true || result.customer.providerIds[provider.id] !== undefined) return result;
    try {
      const link = await createProviderCustomer(result.customer.id, { provider: provider.id });
      return { ...result, customer: { ...result.customer, providerIds: { ...result.customer.providerIds, [provider.id]: link.providerCustomerId } }, providerCustomer: link };
    } catch (error) {
      const refusal = error instanceof BillingError ? error : new BillingError("INTERNAL", (error as Error).message, { retryable: true, cause: error });
      return { ...result, providerCustomer: { provider: provider.id, error: { code: refusal.code, message: refusal.message, retryable: refusal.retryable } } };
    }
  };
}
