import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { findCustomer, findCustomerByProviderId, setCustomerPlan, upsertCustomer } from "../../src/store/customer-repository.ts";
import { listPlanChanges } from "../../src/store/plan-change-repository.ts";
import { openTestStore, type TestStore } from "../support/store.ts";

let store: TestStore;
beforeAll(async () => {
  store = await openTestStore();
});
afterAll(async () => {
  await store.cleanup();
});

describe("customer repository", () => {
  it("inserts a new customer with defaults and says it was created", async () => {
    const { customer, created } = await upsertCustomer(store, { id: "repo_new" });
    expect(created).toBe(true);
    expect(customer).toMatchObject({ id: "repo_new", referenceType: "user", email: null, planKey: null, providerIds: {}, metadata: {} });
  });

  it("updates only the fields given and says it was not created", async () => {
    await upsertCustomer(store, { id: "repo_upd", email: "a@example.com", name: "A", referenceType: "organization" });
    const { customer, created } = await upsertCustomer(store, { id: "repo_upd", name: "B" });
    expect(created).toBe(false);
    expect(customer).toMatchObject({ email: "a@example.com", name: "B", referenceType: "organization" });
  });

  it("merges provider ids and metadata key by key and removes keys set to null", async () => {
    await upsertCustomer(store, { id: "repo_merge", providerIds: { stripe: "cus_merge" }, metadata: { tier: "gold", region: "eu" } });
    await upsertCustomer(store, { id: "repo_merge", providerIds: { flowglad: "fg_merge" }, metadata: { region: null, nested: { a: null } } });
    const customer = await findCustomer(store, "repo_merge");
    expect(customer?.providerIds).toEqual({ stripe: "cus_merge", flowglad: "fg_merge" });
    expect(customer?.metadata).toEqual({ tier: "gold", nested: { a: null } });
  });

  it("refuses a provider id that belongs to another customer with PROVIDER_ID_IN_USE, changing nothing", async () => {
    await upsertCustomer(store, { id: "repo_owner", providerIds: { stripe: "cus_taken" } });
    await upsertCustomer(store, { id: "repo_other", email: "o@example.com" });
    await expect(upsertCustomer(store, { id: "repo_other", email: "x@example.com", providerIds: { stripe: "cus_taken" } })).rejects.toMatchObject({
      code: "PROVIDER_ID_IN_USE",
      field: "providerIds.stripe",
    });
    expect(await findCustomer(store, "repo_other")).toMatchObject({ email: "o@example.com", providerIds: {} });
  });

  it("finds a customer by a provider's id for it", async () => {
    await upsertCustomer(store, { id: "repo_find", providerIds: { stripe: "cus_find" } });
    expect((await findCustomerByProviderId(store, "stripe", "cus_find"))?.id).toBe("repo_find");
    expect(await findCustomerByProviderId(store, "flowglad", "cus_find")).toBeUndefined();
  });

  it("sets and clears the plan, recording each change in the plan history, and answers undefined for an unknown customer", async () => {
    await upsertCustomer(store, { id: "repo_plan" });
    const at = (iso: string) => ({ change: { effectiveAt: new Date(iso), source: "assign" as const } });
    expect(await setCustomerPlan(store, "repo_plan", "pro", "starter", at("2026-03-01T00:00:00Z"))).toMatchObject({ planKey: "pro", planVariant: "starter" });
    // The same plan again is no change: nothing is recorded.
    await setCustomerPlan(store, "repo_plan", "pro", "starter", at("2026-03-02T00:00:00Z"));
    expect(await setCustomerPlan(store, "repo_plan", null, null, { change: { effectiveAt: new Date("2026-03-05T00:00:00Z"), source: "unassign" } })).toMatchObject({ planKey: null, planVariant: null });
    expect((await listPlanChanges(store, "repo_plan")).map((change) => [change.effectiveAt?.toISOString(), change.planKey, change.planVariant, change.source])).toEqual([
      ["2026-03-01T00:00:00.000Z", "pro", "starter", "assign"],
      ["2026-03-05T00:00:00.000Z", null, null, "unassign"],
    ]);
    expect(await setCustomerPlan(store, "repo_nobody", "pro", null, at("2026-03-01T00:00:00Z"))).toBeUndefined();
  });

  it("moves a change dated before the customer's latest one forward to it: history only grows forward", async () => {
    await upsertCustomer(store, { id: "repo_late" });
    await store.transaction((tx) => setCustomerPlan(tx, "repo_late", "pro", null, { change: { effectiveAt: new Date("2026-04-10T00:00:00Z"), source: "assign" } }));
    await store.transaction((tx) => setCustomerPlan(tx, "repo_late", "enterprise", null, { change: { effectiveAt: new Date("2026-04-01T00:00:00Z"), source: "subscription", reference: "stripe:sub_1" } }));
    expect((await listPlanChanges(store, "repo_late")).map((change) => [change.effectiveAt?.toISOString(), change.planKey, change.source, change.reference])).toEqual([
      ["2026-04-10T00:00:00.000Z", "enterprise", "subscription", "stripe:sub_1"],
    ]);
  });

  it("keeps billing period bounds as instants", async () => {
    const periodStart = new Date("2026-02-25T08:00:00.123Z");
    const { customer } = await upsertCustomer(store, { id: "repo_period", periodStart, periodEnd: new Date("2026-03-25T08:00:00.123Z") });
    expect(customer.periodStart).toEqual(periodStart);
  });
});
