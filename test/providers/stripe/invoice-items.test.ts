import { setupServer } from "msw/node";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createStripeClient } from "../../../src/providers/stripe/client.ts";
import { createStripeInvoiceItems } from "../../../src/providers/stripe/invoice-items.ts";
import type { NewInvoiceItem } from "../../../src/providers/types.ts";
import { createStripeStandIn } from "../../support/msw/stripe.ts";
import { stripeObject } from "../../support/stripe-events.ts";

const NOW = new Date("2026-11-01T01:00:00.000Z");
const stripe = createStripeStandIn({ now: () => NOW });
const server = setupServer(...stripe.handlers);
const items = createStripeInvoiceItems(createStripeClient({ secretKey: "sk_test_items" }), () => NOW);

beforeAll(() => server.listen({ onUnhandledRequest: "error" }));
afterEach(() => {
  server.resetHandlers();
  stripe.reset();
});
afterAll(() => server.close());

function draft(id = "in_draft", overrides: Record<string, unknown> = {}) {
  stripe.putObject("invoice", stripeObject("invoice", { id, customer: "cus_acme", currency: "usd", status: "draft", ...overrides }));
}

const item = (overrides: Partial<NewInvoiceItem> = {}): NewInvoiceItem => ({
  providerCustomerId: "cus_acme",
  invoiceId: "in_draft",
  currency: "USD",
  amount: 1250,
  description: "Payment fees: 1.2 % of 1,000.00 USD",
  period: { start: new Date("2026-10-01T00:00:00Z"), end: new Date("2026-11-01T00:00:00Z") },
  metadata: { billhub_line: "payments" },
  idempotencyKey: "billhub-invoice-item:in_draft:payments",
  ...overrides,
});

describe("Stripe invoice items", () => {
  it("adds an item to a draft invoice with its amount in minor units, period, metadata and idempotency key", async () => {
    draft();
    const created = await items.create(item());
    expect(created).toEqual({ id: expect.stringMatching(/^ii_/), invoiceId: "in_draft", amount: 1250, currency: "USD", description: "Payment fees: 1.2 % of 1,000.00 USD", metadata: { billhub_line: "payments" } });
    expect(stripe.invoiceItems("in_draft")).toEqual([
      expect.objectContaining({ object: "invoiceitem", customer: "cus_acme", currency: "usd", amount: 1250, period: { start: 1_790_812_800, end: 1_793_491_200 } }),
    ]);
    expect(stripe.calls("create_invoice_item").map((call) => call.idempotencyKey)).toEqual(["billhub-invoice-item:in_draft:payments"]);
  });

  it("gets the first item back, adding nothing, when a create is retried with the same idempotency key", async () => {
    draft();
    const first = await items.create(item());
    const again = await items.create(item());
    expect(again.id).toBe(first.id);
    expect(stripe.invoiceItems()).toHaveLength(1);
  });

  it("lists every item of an invoice across pages, and only that invoice's", async () => {
    draft();
    draft("in_other");
    for (let i = 0; i < 103; i += 1) await items.create(item({ amount: i, metadata: { billhub_line: `line_${i}` }, idempotencyKey: `k_${i}` }));
    await items.create(item({ invoiceId: "in_other", idempotencyKey: "k_other" }));
    const listed = await items.list("in_draft");
    expect(listed).toHaveLength(103);
    expect(new Set(listed.map((listedItem) => listedItem.metadata.billhub_line)).size).toBe(103);
    expect(stripe.calls("list_invoice_items")).toHaveLength(2);
    expect(await items.list("in_empty")).toEqual([]);
  });

  it("reports Stripe's refusals as BillingErrors: a finalized invoice, an unknown one, rate limits and outages (retryable)", async () => {
    draft("in_open", { status: "open" });
    await expect(items.create(item({ invoiceId: "in_open", idempotencyKey: "k_open" }))).rejects.toMatchObject({ code: "PROVIDER_REJECTED", retryable: false, message: expect.stringContaining("no longer editable") });
    await expect(items.create(item({ invoiceId: "in_nowhere", idempotencyKey: "k_nowhere" }))).rejects.toMatchObject({ code: "PROVIDER_NOT_FOUND", provider: "stripe" });
    draft();
    stripe.inject("create_invoice_item", { kind: "rate_limit", retryAfter: "3" });
    await expect(items.create(item())).rejects.toMatchObject({ code: "PROVIDER_RATE_LIMITED", retryable: true, retryAfterSeconds: 3 });
    stripe.inject("list_invoice_items", { kind: "server_error" });
    await expect(items.list("in_draft")).rejects.toMatchObject({ code: "PROVIDER_UNAVAILABLE", retryable: true });
    stripe.inject("list_invoice_items", { kind: "reset" });
    await expect(items.list("in_draft")).rejects.toMatchObject({ code: "PROVIDER_UNAVAILABLE", retryable: true });
    expect(stripe.invoiceItems()).toEqual([]);
  });

  it("refuses a key reused for another item with PROVIDER_CONFLICT, as Stripe's idempotency does", async () => {
    draft();
    await items.create(item());
    await expect(items.create(item({ amount: 999 }))).rejects.toMatchObject({ code: "PROVIDER_CONFLICT", message: expect.stringContaining("idempotency key") });
    expect(stripe.invoiceItems()).toHaveLength(1);
  });
});
