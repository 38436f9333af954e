import type { FlowgladServer, FlowgladServerAdmin } from "@flowglad/server";

export interface FlowgladClientOptions {
  secretKey: string;
  /** Flowglad's API base; without it the SDK uses FLOWGLAD_BASE_URL, else the hosted app. */
  baseUrl?: string;
}

/** The calls billhub makes through the Flowglad SDK (tests may hand in any object that has them). */
export type FlowgladAdminClient = Pick<FlowgladServerAdmin, "getCustomerBilling" | "getDefaultPricingModel" | "createUsageEvent" | "bulkCreateUsageEvents" | "getCustomer" | "createCustomer"> & {
  /** A product checkout session for the customer with this external id (`POST /api/v1/checkout-sessions`). */
  createCheckoutSession(customerExternalId: string, params: Parameters<FlowgladServer["createCheckoutSession"]>[0]): ReturnType<FlowgladServer["createCheckoutSession"]>;
};

/**
 * Builds the Flowglad admin client billhub uses. The admin client skips FlowgladServer's
 * per-request customer lookup; its own retries are off because the forwarder owns retries.
 * The SDK (with its own API client, about 15 MB of a process) is loaded at the first call, so
 * a process configured with Flowglad but never calling it, or started for another job, does
 * not carry it.
 *
 * @example
 * const client = createFlowgladClient({ secretKey: "sk_test_...", baseUrl: "http://127.0.0.1:3000" });
 */
export function createFlowgladClient(options: FlowgladClientOptions): FlowgladAdminClient {
  let admin: Promise<FlowgladServerAdmin> | undefined;
  const sdk = () =>
    (admin ??= import("@flowglad/server").then(
      ({ FlowgladServerAdmin }) => new FlowgladServerAdmin({ apiKey: options.secretKey, maxRetries: 0, ...(options.baseUrl === undefined ? {} : { baseURL: options.baseUrl }) }),
    ));
  return {
    getCustomerBilling: async (externalId) => (await sdk()).getCustomerBilling(externalId),
    getDefaultPricingModel: async () => (await sdk()).getDefaultPricingModel(),
    createUsageEvent: async (params) => (await sdk()).createUsageEvent(params),
    bulkCreateUsageEvents: async (params) => (await sdk()).bulkCreateUsageEvents(params),
    getCustomer: async (externalId) => (await sdk()).getCustomer(externalId),
    createCustomer: async (input) => (await sdk()).createCustomer(input),
    // The admin client has no checkout: FlowgladServer scoped to the customer has, and sends the
    // session as that customer's (it asks for the customer's details only to create one, which
    // billhub does itself beforehand). Its API client retries 408/409/429/5xx twice on its own.
    createCheckoutSession: async (customerExternalId, params) => {
      const { FlowgladServer } = await import("@flowglad/server");
      const scoped = new FlowgladServer({
        apiKey: options.secretKey,
        ...(options.baseUrl === undefined ? {} : { baseURL: options.baseUrl }),
        customerExternalId,
        getCustomerDetails: () => Promise.reject(new Error(`billhub creates Flowglad customer ${customerExternalId} before its checkout`)),
      });
      return scoped.createCheckoutSession(params);
    },
  };
}
