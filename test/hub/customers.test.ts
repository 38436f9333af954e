import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHub, type Hub } from "../../src/hub.ts";
import { openTestStore, type TestStore } from "../support/store.ts";
import { defineCatalog } from "../../src/core/catalog/index.ts";
import { entitlementsCatalog, entitlementsCatalogInput, testClock } from "./entitlements-catalog.ts";

let store: TestStore;
let hub: Hub;
beforeAll(async () => {
  store = await openTestStore();
  hub = await createHub({ catalog: entitlementsCatalog }, { store, now: testClock("2026-03-15T12:00:00Z").now });
});
afterAll(async () => {
  await hub.close();
  await store.cleanup();
});

describe("customers", () => {
  it("creates a customer on the default plan, then updates it by external id", async () => {
    const first = await hub.customers.upsert({ id: "org_1", referenceType: "organization", email: "billing@acme.test", name: "Acme" });
    expect(first).toMatchObject({ created: true, customer: { id: "org_1", referenceType: "organization", plan: "free", onDefaultPlan: true, variant: null } });
    const second = await hub.customers.upsert({ id: "org_1", name: "Acme Inc", providerIds: { stripe: "cus_acme" }, metadata: { region: "eu" } });
    expect(second).toMatchObject({ created: false, customer: { email: "billing@acme.test", name: "Acme Inc", providerIds: { stripe: "cus_acme" }, metadata: { region: "eu" } } });
  });

  it("defaults the reference type to user and accepts any other label, for per-IP or per-session limits", async () => {
    expect((await hub.customers.upsert({ id: "user_1" })).customer.referenceType).toBe("user");
    expect((await hub.customers.upsert({ id: "ip:203.0.113.7", referenceType: "ip" })).customer.referenceType).toBe("ip");
    expect((await hub.customers.upsert({ id: "sess_abc", referenceType: "session" })).customer.referenceType).toBe("session");
  });

  it("keeps Stripe and Flowglad ids side by side and removes one set to null", async () => {
    await hub.customers.upsert({ id: "both_ids", providerIds: { stripe: "cus_both", flowglad: "fg_both" } });
    const { customer } = await hub.customers.upsert({ id: "both_ids", providerIds: { stripe: null } });
    expect(customer.providerIds).toEqual({ flowglad: "fg_both" });
  });

  it("accepts the billing period as ISO strings", async () => {
    const { customer } = await hub.customers.upsert({ id: "period_iso", periodStart: "2026-03-05T00:00:00Z", periodEnd: "2026-04-05T00:00:00Z" });
    expect(customer.periodStart).toEqual(new Date("2026-03-05T00:00:00Z"));
  });

  it("refuses bad customer input with VALIDATION_FAILED naming the field, and stores nothing", async () => {
    await expect(hub.customers.upsert({ id: "" })).rejects.toMatchObject({ code: "VALIDATION_FAILED", field: "id" });
    await expect(hub.customers.upsert({ id: "bad_email", email: "not-an-email" })).rejects.toMatchObject({ code: "VALIDATION_FAILED", field: "email" });
    await expect(hub.customers.upsert({ id: "bad_provider", providerIds: { paypal: "x" } as never })).rejects.toMatchObject({ code: "VALIDATION_FAILED", field: "providerIds.paypal" });
    await expect(hub.customers.upsert({ id: "bad_period", periodStart: "2026-04-05T00:00:00Z", periodEnd: "2026-03-05T00:00:00Z" })).rejects.toMatchObject({ code: "VALIDATION_FAILED", field: "periodEnd" });
    await expect(hub.customers.upsert({ id: "bad_date", periodStart: "yesterday" })).rejects.toMatchObject({ code: "VALIDATION_FAILED", field: "periodStart" });
    for (const id of ["bad_email", "bad_provider", "bad_period", "bad_date"]) await expect(hub.customers.get(id)).rejects.toMatchObject({ code: "CUSTOMER_NOT_FOUND" });
  });

  it("refuses a NUL character (which PostgreSQL cannot store) in any text field with VALIDATION_FAILED naming it, and stores nothing", async () => {
    const cases = [
      [{ id: "nul_id\u0000" }, "id"],
      [{ id: "nul_name", name: "x\u0000" }, "name"],
      [{ id: "nul_type", referenceType: "u\u0000" }, "referenceType"],
      [{ id: "nul_provider", providerIds: { stripe: "cus_\u0000" } }, "providerIds.stripe"],
      [{ id: "nul_meta_key", metadata: { "k\u0000": 1 } }, "metadata"],
      [{ id: "nul_meta_value", metadata: { k: { deep: ["x\u0000"] } } }, "metadata.k"],
    ] as const;
    for (const [input, field] of cases) {
      await expect(hub.customers.upsert(input)).rejects.toMatchObject({ code: "VALIDATION_FAILED", field: expect.stringMatching(new RegExp(`^${field}`)), message: expect.stringContaining("NUL") });
    }
    for (const id of ["nul_name", "nul_type", "nul_provider", "nul_meta_key", "nul_meta_value"]) await expect(hub.customers.get(id)).rejects.toMatchObject({ code: "CUSTOMER_NOT_FOUND" });
  });

  it("answers CUSTOMER_NOT_FOUND for an unknown customer", async () => {
    await expect(hub.customers.get("nobody")).rejects.toMatchObject({ code: "CUSTOMER_NOT_FOUND", field: "customer" });
    await expect(hub.customers.assign("nobody", "pro")).rejects.toMatchObject({ code: "CUSTOMER_NOT_FOUND" });
    await expect(hub.customers.unassign("nobody")).rejects.toMatchObject({ code: "CUSTOMER_NOT_FOUND" });
  });

  it("refuses a customer id that is not a string with VALIDATION_FAILED", async () => {
    await expect(hub.customers.get(42 as never)).rejects.toMatchObject({ code: "VALIDATION_FAILED", field: "customer" });
  });
});

describe("plans", () => {
  it("assigns a plan and a variant of it", async () => {
    await hub.customers.upsert({ id: "plan_1" });
    expect(await hub.customers.assign("plan_1", "pro", { variant: "starter" })).toMatchObject({ plan: "pro", onDefaultPlan: false, variant: "starter" });
    expect(await hub.limit("plan_1", "api")).toBe(2500);
  });

  it("drops the variant when a plan is assigned without one", async () => {
    await hub.customers.upsert({ id: "plan_2" });
    await hub.customers.assign("plan_2", "pro", { variant: "starter" });
    expect(await hub.customers.assign("plan_2", "pro")).toMatchObject({ plan: "pro", variant: null });
  });

  it("refuses an unknown plan with UNKNOWN_PLAN listing the valid plans, changing nothing", async () => {
    await hub.customers.upsert({ id: "plan_3" });
    await hub.customers.assign("plan_3", "pro");
    const error = await hub.customers.assign("plan_3", "prp").catch((e: unknown) => e);
    expect(error).toMatchObject({ code: "UNKNOWN_PLAN", field: "plan", details: { valid: ["enterprise", "free", "pro"] } });
    expect((error as Error).message).toContain("enterprise, free, pro");
    expect((await hub.customers.get("plan_3")).plan).toBe("pro");
  });

  it("refuses a variant the plan does not declare with UNKNOWN_VARIANT listing the plan's variants", async () => {
    await hub.customers.upsert({ id: "plan_4" });
    await expect(hub.customers.assign("plan_4", "pro", { variant: "startr" })).rejects.toMatchObject({ code: "UNKNOWN_VARIANT", field: "variant", details: { valid: ["starter"] } });
    await expect(hub.customers.assign("plan_4", "free", { variant: "starter" })).rejects.toMatchObject({ code: "UNKNOWN_VARIANT", details: { valid: [] } });
    expect((await hub.customers.get("plan_4")).onDefaultPlan).toBe(true);
  });

  it("returns an unassigned customer to the default plan", async () => {
    await hub.customers.upsert({ id: "plan_5" });
    await hub.customers.assign("plan_5", "enterprise");
    expect(await hub.customers.unassign("plan_5")).toMatchObject({ plan: "free", onDefaultPlan: true, variant: null });
    expect(await hub.limit("plan_5", "api")).toBe(100);
  });

  it("lets an unassigned customer follow a later change of the default plan", async () => {
    await hub.customers.upsert({ id: "plan_6" });
    await hub.customers.assign("plan_6", "enterprise");
    await hub.customers.unassign("plan_6");
    const proByDefault = await createHub({ catalog: defineCatalog({ ...entitlementsCatalogInput, defaultPlan: "pro" }) }, { store });
    expect(await proByDefault.getCustomer("plan_6")).toMatchObject({ plan: "pro", onDefaultPlan: true });
    expect(await proByDefault.limit("plan_6", "api")).toBe(10000);
    await proByDefault.close();
  });
});
