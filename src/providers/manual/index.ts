import { defineProvider } from "../define-provider.ts";
import { createManualProvider } from "./provider.ts";

/** Manual (self-invoicing): nothing leaves billhub; the invoice run prices the ledger. */
export const manual = defineProvider({
  id: "manual",
  displayName: "Manual",
  configSchema: null,
  env: {},
  capabilities: { pushUsage: false, webhooks: false, readObjects: false, pullCatalog: false, invoiceItems: false, reconcile: false, createCustomers: false, checkout: false, portal: false },
  create: () => createManualProvider(),
});
