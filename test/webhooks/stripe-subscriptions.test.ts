import { setupServer } from "msw/node";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { BillingError } from "../../src/core/errors.ts";
import type { Hub } from "../../src/hub.ts";
import type { InvoiceCreated } from "../../src/webhooks/index.ts";
import { createStripeStandIn } from "../support/msw/stripe.ts";
import { stripeObject } from "../support/stripe-events.ts";
import { openTestStore, type TestStore } from "../support/store.ts";
import { webhookHub } from "../support/webhook-hub.ts";
import { answer, stripePrice, stripeRequest, stripeSubscription } from "../support/webhooks.ts";

const T0 = new Date("2026-03-10T12:00:00.000Z");
const at = (s: number) => new Date(T0.getTime() + s * 1000);
const PERIOD = { periodStart: new Date("2026-03-01T00:00:00.000Z"), periodEnd: new Date("2026-04-01T00:00:00.000Z") };
const PRO = stripePrice({ id: "price_pro_m", lookup_key: "pro_monthly", unit_amount_decimal: "2900", recurring: { interval: "month", interval_count: 1, meter: null, usage_type: "licensed", trial_period_days: null } });
const TEAM = { ...PRO, id: "price_team_m", lookup_key: "team_monthly" };
const API = stripePrice({ id: "price_api_m", lookup_key: "api_calls" });

let clock = T0;
const stripe = createStripeStandIn({ now: () => clock });
const server = setupServer(...stripe.handlers);
let store: TestStore;
let hub: Hub;
const invoices: InvoiceCreated[] = [];
let invoiceFailure: BillingError | undefined;

beforeAll(async () => {
  server.listen({ onUnhandledRequest: "error" });
  store = await openTestStore();
  hub = await webhookHub(store, () => clock, {
    config: { cache: { ttlMs: 60_000 } },
    hub: {
      onInvoiceCreated: async (event) => {
        if (invoiceFailure) throw invoiceFailure;
        invoices.push(event);
      },
    },
  });
});
afterEach(() => {
  server.resetHandlers();
  stripe.reset();
});
afterAll(async () => {
  server.close();
  await hub.close();
  await store.cleanup();
});

async function deliver(type: string, object: Record<string, unknown>, options: { id: string; created: Date }) {
  return answer(await hub.webhooks.stripe(stripeRequest(type, object, { ...options, signedAt: clock })));
}

const subscription = (id: string, customer: string, prices: Record<string, unknown>[], status = "active") => stripeSubscription({ id, customer, status, prices, ...PERIOD });

async function planOf(customerId: string) {
  const customer = await hub.getCustomer(customerId);
  return { plan: customer.plan, onDefaultPlan: customer.onDefaultPlan };
}

describe("Stripe subscriptions set the customer's plan", () => {
  it("puts a subscriber on the plan their price maps to, with the subscription's period, and their entitlements follow at once", async () => {
    await hub.upsertCustomer({ id: "org_created", providerIds: { stripe: "cus_created" } });
    expect(await hub.can("org_created", "sso")).toBe(false);
    const response = await deliver("customer.subscription.created", subscription("sub_created", "cus_created", [PRO, API]), { id: "evt_sub_created", created: at(0) });
    expect(response).toEqual({ status: 200, body: { received: true, eventId: "evt_sub_created", outcome: "applied" } });

    const customer = await hub.getCustomer("org_created");
    expect(customer).toMatchObject({ plan: "pro", onDefaultPlan: false, periodStart: PERIOD.periodStart, periodEnd: PERIOD.periodEnd });
    expect(await hub.can("org_created", "sso")).toBe(true);
    expect(await hub.providerSubscriptions("org_created")).toEqual([
      expect.objectContaining({ provider: "stripe", subscriptionId: "sub_created", providerCustomerId: "cus_created", status: "active", entitled: true, planKey: "pro", planError: null, lookupKeys: ["pro_monthly", "api_calls"], currentPeriodStart: PERIOD.periodStart, currentPeriodEnd: PERIOD.periodEnd, versionAt: at(0) }),
    ]);
  });

  it("returns a cancelled subscriber to the default plan", async () => {
    await hub.upsertCustomer({ id: "org_cancel", providerIds: { stripe: "cus_cancel" } });
    await deliver("customer.subscription.created", subscription("sub_cancel", "cus_cancel", [PRO]), { id: "evt_cancel_1", created: at(0) });
    const deleted = await deliver("customer.subscription.deleted", subscription("sub_cancel", "cus_cancel", [PRO], "canceled"), { id: "evt_cancel_2", created: at(100) });
    expect(deleted.body.outcome).toBe("applied");
    expect(await planOf("org_cancel")).toEqual({ plan: "free", onDefaultPlan: true });
    expect(await hub.can("org_cancel", "sso")).toBe(false);
    expect((await hub.providerSubscriptions("org_cancel"))[0]).toMatchObject({ status: "canceled", entitled: false });
  });

  it("keeps the plan while past_due, takes it away while paused and gives it back on resume", async () => {
    await hub.upsertCustomer({ id: "org_pause", providerIds: { stripe: "cus_pause" } });
    const sub = (status: string) => subscription("sub_pause", "cus_pause", [PRO], status);
    await deliver("customer.subscription.created", sub("active"), { id: "evt_pause_1", created: at(0) });
    await deliver("customer.subscription.updated", sub("past_due"), { id: "evt_pause_2", created: at(10) });
    expect((await planOf("org_pause")).plan).toBe("pro");
    await deliver("customer.subscription.paused", sub("paused"), { id: "evt_pause_3", created: at(20) });
    expect(await planOf("org_pause")).toEqual({ plan: "free", onDefaultPlan: true });
    await deliver("customer.subscription.resumed", sub("active"), { id: "evt_pause_4", created: at(30) });
    expect((await planOf("org_pause")).plan).toBe("pro");
  });

  it("neither grants nor takes away a plan while the first payment is incomplete", async () => {
    await hub.upsertCustomer({ id: "org_incomplete", providerIds: { stripe: "cus_incomplete" } });
    await deliver("customer.subscription.created", subscription("sub_incomplete", "cus_incomplete", [TEAM], "incomplete"), { id: "evt_inc_1", created: at(0) });
    expect(await planOf("org_incomplete")).toEqual({ plan: "free", onDefaultPlan: true });
    await deliver("customer.subscription.updated", subscription("sub_incomplete", "cus_incomplete", [TEAM], "active"), { id: "evt_inc_2", created: at(5) });
    expect((await planOf("org_incomplete")).plan).toBe("team");
  });

  it("moves a customer to the new plan when the subscription's price changes", async () => {
    await hub.upsertCustomer({ id: "org_upgrade", providerIds: { stripe: "cus_upgrade" } });
    await deliver("customer.subscription.created", subscription("sub_upgrade", "cus_upgrade", [PRO]), { id: "evt_up_1", created: at(0) });
    await deliver("customer.subscription.updated", subscription("sub_upgrade", "cus_upgrade", [TEAM]), { id: "evt_up_2", created: at(60) });
    expect((await planOf("org_upgrade")).plan).toBe("team");
  });

  it("does not let an update that arrives after the deletion bring the plan back", async () => {
    await hub.upsertCustomer({ id: "org_late", providerIds: { stripe: "cus_late" } });
    await deliver("customer.subscription.created", subscription("sub_late", "cus_late", [PRO]), { id: "evt_late_1", created: at(0) });
    await deliver("customer.subscription.deleted", subscription("sub_late", "cus_late", [PRO], "canceled"), { id: "evt_late_3", created: at(100) });
    const late = await deliver("customer.subscription.updated", subscription("sub_late", "cus_late", [TEAM]), { id: "evt_late_2", created: at(50) });
    expect(late.body.outcome).toBe("stale");
    expect(await planOf("org_late")).toEqual({ plan: "free", onDefaultPlan: true });
  });

  it("settles a same-second tie by re-reading the subscription from Stripe", async () => {
    await hub.upsertCustomer({ id: "org_tie", providerIds: { stripe: "cus_tie" } });
    stripe.putObject("subscription", subscription("sub_tie", "cus_tie", [TEAM]));
    await deliver("customer.subscription.updated", subscription("sub_tie", "cus_tie", [TEAM]), { id: "evt_tie_b", created: at(0) });
    const earlier = await deliver("customer.subscription.created", subscription("sub_tie", "cus_tie", [PRO]), { id: "evt_tie_a", created: at(0) });
    expect(earlier.body.outcome).toBe("applied");
    expect(stripe.calls("retrieve_subscription")).toHaveLength(1);
    expect((await planOf("org_tie")).plan).toBe("team");
  });

  it("keeps the plan another subscription still pays for when one subscription ends", async () => {
    await hub.upsertCustomer({ id: "org_two", providerIds: { stripe: "cus_two" } });
    await deliver("customer.subscription.created", subscription("sub_two_a", "cus_two", [PRO]), { id: "evt_two_1", created: at(0) });
    await deliver("customer.subscription.created", subscription("sub_two_b", "cus_two", [TEAM]), { id: "evt_two_2", created: at(10) });
    expect((await planOf("org_two")).plan).toBe("team");
    await deliver("customer.subscription.deleted", subscription("sub_two_b", "cus_two", [TEAM], "canceled"), { id: "evt_two_3", created: at(20) });
    expect((await planOf("org_two")).plan).toBe("pro");
  });

  it("takes the plan from billhub_plan metadata on the subscription price's synced product", async () => {
    await hub.upsertCustomer({ id: "org_meta", providerIds: { stripe: "cus_meta" } });
    const product = stripeObject("product", { id: "prod_team_seats", name: "Team seats", metadata: { billhub_plan: "team" }, updated: 0 });
    await deliver("product.created", product, { id: "evt_meta_prod", created: at(0) });
    const seat = stripePrice({ id: "price_seat", lookup_key: null, product: "prod_team_seats" });
    expect((await deliver("customer.subscription.created", subscription("sub_meta", "cus_meta", [seat]), { id: "evt_meta_sub", created: at(1) })).body.outcome).toBe("applied");
    expect((await planOf("org_meta")).plan).toBe("team");
  });
});

describe("what each Stripe subscription status means for the plan", () => {
  it("keeps a trialing subscription's trial end: the customer is on trial until then, and its end converts in the plan history", async () => {
    await hub.upsertCustomer({ id: "org_trial_end", providerIds: { stripe: "cus_trial_end" } });
    const trialEnd = Math.floor(at(0).getTime() / 1000) + 14 * 86_400;
    await deliver("customer.subscription.created", { ...subscription("sub_trial_end", "cus_trial_end", [PRO], "trialing"), trial_end: trialEnd }, { id: "evt_trial_end_1", created: at(0) });
    expect(await hub.getCustomer("org_trial_end")).toMatchObject({ plan: "pro", trialing: true, trialEndsAt: new Date(trialEnd * 1000) });
    expect((await hub.planHistory("org_trial_end")).map((change) => [change.plan, change.source, change.effectiveAt?.getTime()])).toEqual([
      ["pro", "subscription", at(0).getTime()],
      ["pro", "trial_end", trialEnd * 1000],
    ]);
    // Paid early: the trial ends at the change, its scheduled end is dropped.
    await deliver("customer.subscription.updated", { ...subscription("sub_trial_end", "cus_trial_end", [PRO], "active"), trial_end: trialEnd }, { id: "evt_trial_end_2", created: at(60) });
    expect(await hub.getCustomer("org_trial_end")).toMatchObject({ plan: "pro", trialing: false, trialEndsAt: null });
    expect((await hub.planHistory("org_trial_end")).map((change) => [change.source, change.effectiveAt?.getTime()])).toEqual([
      ["subscription", at(0).getTime()],
      ["subscription", at(60).getTime()],
    ]);
  });

  it("grants the plan while trialing, and takes it away when the subscription becomes unpaid", async () => {
    await hub.upsertCustomer({ id: "org_trial", providerIds: { stripe: "cus_trial" } });
    await deliver("customer.subscription.created", subscription("sub_trial", "cus_trial", [PRO], "trialing"), { id: "evt_trial_1", created: at(0) });
    expect(await planOf("org_trial")).toEqual({ plan: "pro", onDefaultPlan: false });
    await deliver("customer.subscription.updated", subscription("sub_trial", "cus_trial", [PRO], "unpaid"), { id: "evt_trial_2", created: at(10) });
    expect(await planOf("org_trial")).toEqual({ plan: "free", onDefaultPlan: true });
    expect((await hub.providerSubscriptions("org_trial"))[0]).toMatchObject({ status: "unpaid", entitled: false, pending: false });
  });

  it("never grants the plan of a first payment that expired (incomplete → incomplete_expired), and keeps the plan another subscription pays for", async () => {
    await hub.upsertCustomer({ id: "org_expired", providerIds: { stripe: "cus_expired" } });
    await deliver("customer.subscription.created", subscription("sub_expired_pro", "cus_expired", [PRO]), { id: "evt_exp_0", created: at(0) });
    await deliver("customer.subscription.created", subscription("sub_expired", "cus_expired", [TEAM], "incomplete"), { id: "evt_exp_1", created: at(10) });
    expect((await planOf("org_expired")).plan).toBe("pro");
    await deliver("customer.subscription.updated", subscription("sub_expired", "cus_expired", [TEAM], "incomplete_expired"), { id: "evt_exp_2", created: at(20) });
    expect((await planOf("org_expired")).plan).toBe("pro");
    expect((await hub.providerSubscriptions("org_expired")).find((sub) => sub.subscriptionId === "sub_expired")).toMatchObject({ status: "incomplete_expired", entitled: false, pending: false });
    await deliver("customer.subscription.deleted", subscription("sub_expired_pro", "cus_expired", [PRO], "canceled"), { id: "evt_exp_3", created: at(30) });
    expect(await planOf("org_expired")).toEqual({ plan: "free", onDefaultPlan: true });
  });
});

describe("plans made by hand and by subscriptions", () => {
  it("replaces an assign made by hand at the next subscription change, and keeps both in the plan history, dated", async () => {
    await hub.upsertCustomer({ id: "org_hand", providerIds: { stripe: "cus_hand" } });
    await deliver("customer.subscription.created", subscription("sub_hand", "cus_hand", [PRO]), { id: "evt_hand_1", created: at(0) });
    clock = at(30);
    await hub.assign("org_hand", "team");
    expect((await planOf("org_hand")).plan).toBe("team");
    // The subscription changes (its period renews, say): the customer has the plan they pay for again.
    await deliver("customer.subscription.updated", { ...subscription("sub_hand", "cus_hand", [PRO]), cancel_at_period_end: true }, { id: "evt_hand_2", created: at(60) });
    clock = T0;
    expect((await planOf("org_hand")).plan).toBe("pro");
    expect((await hub.planHistory("org_hand")).map((change) => [change.effectiveAt, change.plan, change.source, change.reference])).toEqual([
      [at(0), "pro", "subscription", "stripe:sub_hand"],
      [at(30), "team", "assign", null],
      [at(60), "pro", "subscription", "stripe:sub_hand"],
    ]);
  });
});

describe("subscriptions billhub cannot place", () => {
  it("answers 200 unknown_customer for a Stripe customer no billhub customer carries, keeps the subscription, and applies it when the event is resent after linking", async () => {
    const event = () => deliver("customer.subscription.created", subscription("sub_unknown", "cus_unknown", [PRO]), { id: "evt_unknown", created: at(0) });
    const first = await event();
    expect(first).toMatchObject({ status: 200, body: { outcome: "unknown_customer", detail: expect.stringContaining('No billhub customer has provider_ids.stripe = "cus_unknown"') } });

    await hub.upsertCustomer({ id: "org_linked", providerIds: { stripe: "cus_unknown" } });
    expect((await event()).body.outcome).toBe("applied");
    expect((await planOf("org_linked")).plan).toBe("pro");
    expect((await hub.webhooks.events()).find((e) => e.eventId === "evt_unknown")).toMatchObject({ outcome: "applied", attempts: 2 });
    expect((await event()).body.outcome).toBe("duplicate");
  });

  it("answers 200 unmapped_plan for prices that map to no plan, saying how to map them, and leaves the plan as it was", async () => {
    await hub.upsertCustomer({ id: "org_unmapped", providerIds: { stripe: "cus_unmapped" } });
    await deliver("customer.subscription.created", subscription("sub_unmapped_0", "cus_unmapped", [PRO]), { id: "evt_unmapped_0", created: at(0) });
    const enterprise = stripePrice({ id: "price_ent", lookup_key: "enterprise_monthly" });
    const response = await deliver("customer.subscription.created", subscription("sub_unmapped", "cus_unmapped", [enterprise]), { id: "evt_unmapped", created: at(10) });
    expect(response).toMatchObject({ status: 200, body: { outcome: "unmapped_plan", detail: expect.stringContaining("list one under plans.<plan>.providerPrices.stripe") } });
    expect((await planOf("org_unmapped")).plan).toBe("pro");
  });
});

describe("invoice.created", () => {
  it("hands the draft invoice and its customer to onInvoiceCreated once, and again only after a failure", async () => {
    await hub.upsertCustomer({ id: "org_invoice", providerIds: { stripe: "cus_invoice" } });
    const invoice = stripeObject("invoice", { id: "in_1", customer: "cus_invoice", status: "draft", currency: "usd", period_start: 1_772_323_200, period_end: 1_775_001_600, subscription: "sub_inv", parent: null });
    invoiceFailure = new BillingError("PROVIDER_UNAVAILABLE", "Could not reach Stripe to add invoice items", { provider: "stripe" });
    const failed = await deliver("invoice.created", invoice, { id: "evt_invoice_1", created: at(0) });
    expect(failed).toMatchObject({ status: 503, body: { error: { code: "PROVIDER_UNAVAILABLE" } } });
    expect((await hub.webhooks.events()).find((e) => e.eventId === "evt_invoice_1")).toMatchObject({ outcome: "failed" });

    invoiceFailure = undefined;
    expect((await deliver("invoice.created", invoice, { id: "evt_invoice_1", created: at(0) })).body.outcome).toBe("applied");
    expect((await deliver("invoice.created", invoice, { id: "evt_invoice_1", created: at(0) })).body.outcome).toBe("duplicate");
    expect(invoices).toEqual([
      {
        provider: "stripe",
        eventId: "evt_invoice_1",
        customerId: "org_invoice",
        invoice: { id: "in_1", providerCustomerId: "cus_invoice", subscriptionId: "sub_inv", status: "draft", currency: "usd", periodStart: new Date(1_772_323_200_000), periodEnd: new Date(1_775_001_600_000) },
      },
    ]);
  });

  it("logs the invoice as unhandled, with the invoice in the log, when no handler is configured, and hands it over when resent to a hub with one", async () => {
    const bare = await webhookHub(store, () => clock);
    const invoice = stripeObject("invoice", { id: "in_2", customer: "cus_invoice", currency: "usd", period_start: 1_772_323_200, period_end: 1_775_001_600 });
    const response = await answer(await bare.webhooks.stripe(stripeRequest("invoice.created", invoice, { id: "evt_invoice_2", created: at(0), signedAt: clock })));
    expect(response.body.outcome).toBe("unhandled");
    const [logged] = (await bare.webhooks.events()).filter((e) => e.eventId === "evt_invoice_2");
    expect(logged).toMatchObject({ outcome: "unhandled", objectType: "invoice", objectId: "in_2", payload: expect.objectContaining({ kind: "invoice_created", invoice: expect.objectContaining({ id: "in_2" }) }) });
    await bare.close();

    expect((await deliver("invoice.created", invoice, { id: "evt_invoice_2", created: at(0) })).body.outcome).toBe("applied");
    expect(invoices.map((event) => event.invoice.id)).toContain("in_2");
  });
});
