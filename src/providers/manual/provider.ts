import type { BillingProvider } from "../types.ts";

/**
 * The manual (self-invoicing) provider: nothing leaves billhub. Usage stays in the ledger and the
 * invoice run prices it, so there is nothing to deliver: every event is reported delivered, and
 * `remote: false` tells the ledger it need not queue outbox rows for this provider at all.
 *
 * @example
 * await createManualProvider().pushUsage([event]) // [{ transactionId: event.transactionId, status: "delivered" }]
 */
export function createManualProvider() {
  return {
    id: "manual",
    remote: false,
    maxBatchSize: 1000,

    async pushUsage(batch) {
      return batch.map((event) => ({ transactionId: event.transactionId, status: "delivered" as const }));
    },

    customerIdFor(customer) {
      return customer.id;
    },
  } satisfies BillingProvider;
}

export type ManualProvider = ReturnType<typeof createManualProvider>;
