import type Stripe from "stripe";
import { defineProvider, type ProviderDeps } from "../define-provider.ts";
import { createStripeClient } from "./client.ts";
import { stripeConfigSchema } from "./config.ts";
import { createStripeProvider } from "./provider.ts";

/** Stripe Billing Meters: usage as meter events, prices, products and subscriptions by webhook, invoice items. */
export const stripe = defineProvider({
  id: "stripe",
  displayName: "Stripe",
  configSchema: stripeConfigSchema,
  env: {
    STRIPE_SECRET_KEY: { option: "secretKey", type: "string" },
    STRIPE_WEBHOOK_SECRET: { option: "webhookSecret", type: "string" },
    STRIPE_API_BASE: { option: "apiBase", type: "string" },
    STRIPE_WEBHOOK_TOLERANCE: { option: "webhookTolerance", type: "integer" },
    STRIPE_MODE: { option: "mode", type: "string" },
    STRIPE_MAX_REQUESTS_PER_SECOND: { option: "maxRequestsPerSecond", type: "decimal" },
    STRIPE_MAX_IN_FLIGHT: { option: "maxInFlight", type: "integer" },
  },
  capabilities: { pushUsage: true, webhooks: true, readObjects: true, pullCatalog: false, invoiceItems: true, reconcile: true, createCustomers: true, checkout: true, portal: true },
  meterMapping: (config) => ({
    meters: config.meters,
    mappingExample: `{ "eventName": "<Stripe meter event_name>" }`,
    billedUnmapped: (chargeKey, options) => {
      const invoiceItems = config.invoiceItems;
      if (options.ownInvoiceHandler) return { billed: true };
      if (invoiceItems?.enabled !== true) return { billed: false, hint: `or bill it as Stripe invoice items (stripe.invoiceItems = { "enabled": true })` };
      if (invoiceItems.charges === undefined || invoiceItems.charges.includes(chargeKey)) return { billed: true };
      return { billed: false, hint: `or add "${chargeKey}" to stripe.invoiceItems.charges` };
    },
  }),
  invoiceItemSettings: (config) => {
    const section = config.invoiceItems;
    if (section === undefined || !section.enabled) return undefined;
    return {
      charges: section.charges,
      chargesOption: "stripe.invoiceItems.charges",
      tooOldUsage: section.tooOldUsage ? { errorCode: "USAGE_TOO_OLD", description: "units older than 35 days that Stripe's meter could not take" } : null,
    };
  },
  help: {
    reconcile: `Stripe: the provider's total is the meter's event summary. Stripe's summaries are eventually
consistent: usage sent in the last minutes may not show yet.`,
  },
  create: (config, deps: ProviderDeps<Stripe>) => createStripeProvider({ client: deps.client ?? createStripeClient(config), config, now: deps.now, limiterClock: deps.limiterClock }),
});
