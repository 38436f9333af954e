/** The customer the bodies name: create it, on the sample catalog's pro plan, before sending them. */
export const CUSTOMER = "c_inj";

/** The path of `spec` for CUSTOMER, with `overrides` for any of its parameters. */
export function routePath(path: string, overrides: Record<string, string> = {}): string {
  return path.replace(/:([A-Za-z]+)/g, (_, name: string) => encodeURIComponent(overrides[name] ?? (name === "id" ? CUSTOMER : name === "key" ? "pro" : `${name}_1`)));
}

/** A valid body for every route that takes one, by `method path`; `i` keeps idempotency keys apart between calls. */
export const ROUTE_BODIES: Record<string, (n: number) => Record<string, unknown>> = {
  "put /v1/customers/:id": (i) => ({ referenceType: "user", name: "Name", email: "a@example.com", providerIds: { stripe: `cus_${i}` }, metadata: { note: "v" } }),
  "post /v1/customers/:id/plan": () => ({ plan: "pro" }),
  "post /v1/customers/:id/provider-customer": () => ({}),
  "post /v1/customers/:id/checkout": () => ({ plan: "pro", successUrl: "https://app.example/done", cancelUrl: "https://app.example/billing" }),
  "post /v1/customers/:id/portal": () => ({ returnUrl: "https://app.example/account" }),
  "patch /v1/customers/:id/overrides": () => ({ api: "5000", sso: true }),
  "post /v1/customers/:id/credits": (i) => ({ id: `cr_${i}`, feature: "api", amount: "100", source: "promotion", metadata: { note: "v" } }),
  "post /v1/customers/:id/credits/:grantId/take-back": (i) => ({ reason: `refund ${i}` }),
  "post /v1/customers/:id/adjustments": (i) => ({ id: `adj_${i}`, feature: "api", amount: "100", reason: "promo", metadata: { note: "v" } }),
  "post /v1/usage": (i) => ({ customerId: CUSTOMER, meter: "api_calls", quantity: "1", transactionId: `tx_${i}`, reason: "r", properties: { model: "m" } }),
  "post /v1/usage/batch": (i) => ({ events: [{ customerId: CUSTOMER, meter: "api_calls", quantity: "1", transactionId: `btx_${i}`, properties: { model: "m" } }] }),
  "post /v1/usage/adjustments": (i) => ({ customerId: CUSTOMER, meter: "api_calls", quantity: "1", transactionId: `atx_${i}`, kind: "refund", reason: "r", properties: { model: "m" } }),
  "post /v1/usage/stats": () => ({ customerIds: [CUSTOMER], meters: ["api_calls"], groupBy: "day", filter: { model: "m" } }),
  "post /v1/customers/:id/resets": () => ({ feature: "api", reason: "r" }),
  "post /v1/entitlements/check": () => ({ customerId: CUSTOMER, feature: "api", amount: "1" }),
  "post /v1/entitlements/consume": (i) => ({ customerId: CUSTOMER, feature: "api", amount: "1", transactionId: `ctx_${i}`, properties: { model: "m" } }),
  "post /v1/invoices/run": () => ({ period: "2026-02" }),
  "post /v1/outbox/replay": () => ({ transactionId: "tx_x" }),
  "post /v1/alerts/replay": () => ({ dead: true }),
};
