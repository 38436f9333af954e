import { FlowgladServerAdmin } from "@flowglad/server";

export interface FlowgladClientOptions {
  secretKey: string;
  /** Flowglad's API base; without it the SDK uses FLOWGLAD_BASE_URL, else the hosted app. */
  baseUrl?: string;
}

/** The calls billhub makes through the Flowglad admin client (tests may hand in any object that has them). */
export type FlowgladAdminClient = Pick<FlowgladServerAdmin, "getCustomerBilling" | "getDefaultPricingModel" | "createUsageEvent" | "bulkCreateUsageEvents">;

/**
 * Builds the Flowglad admin client billhub uses. The admin client skips FlowgladServer's
 * per-request customer lookup; its own retries are off because the forwarder owns retries.
 *
 * @example
 * const client = createFlowgladClient({ secretKey: "sk_test_...", baseUrl: "http://127.0.0.1:3000" });
 */
export function createFlowgladClient(options: FlowgladClientOptions): FlowgladServerAdmin {
  return new FlowgladServerAdmin({ apiKey: options.secretKey, maxRetries: 0, ...(options.baseUrl === undefined ? {} : { baseURL: options.baseUrl }) });
}
