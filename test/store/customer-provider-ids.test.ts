import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { findCustomer, findCustomerByProviderId, upsertCustomer } from "../../src/store/customer-repository.ts";
import { loadMigrations, migrate } from "../../src/store/migrate.ts";
import { openTestStore, type TestStore } from "../support/store.ts";

let store: TestStore;
beforeAll(async () => {
  store = await openTestStore();
});
afterAll(() => store.cleanup());

describe("provider customer ids, for any provider id", () => {
  it("keeps a provider's customer id unique for a provider no migration names", async () => {
    await upsertCustomer(store, { id: "pid_a", providerIds: { acme_billing: "ac_1" } });
    await expect(upsertCustomer(store, { id: "pid_b", providerIds: { acme_billing: "ac_1" } })).rejects.toMatchObject({ code: "PROVIDER_ID_IN_USE", field: "providerIds.acme_billing" });
    expect(await findCustomer(store, "pid_b")).toBeUndefined();
    expect((await findCustomerByProviderId(store, "acme_billing", "ac_1"))?.id).toBe("pid_a");
  });

  it("lets two providers use the same customer id string", async () => {
    await upsertCustomer(store, { id: "pid_c", providerIds: { acme_billing: "shared_9" } });
    await upsertCustomer(store, { id: "pid_d", providerIds: { other_billing: "shared_9" } });
    expect((await findCustomerByProviderId(store, "other_billing", "shared_9"))?.id).toBe("pid_d");
  });

  it("frees an id the customer changed or removed, so another customer can take it", async () => {
    await upsertCustomer(store, { id: "pid_e", providerIds: { acme_billing: "ac_old", other_billing: "ob_old" } });
    await upsertCustomer(store, { id: "pid_e", providerIds: { acme_billing: "ac_new", other_billing: null } });
    expect(await findCustomerByProviderId(store, "acme_billing", "ac_old")).toBeUndefined();
    expect((await findCustomerByProviderId(store, "acme_billing", "ac_new"))?.id).toBe("pid_e");
    await upsertCustomer(store, { id: "pid_f", providerIds: { acme_billing: "ac_old", other_billing: "ob_old" } });
    expect((await findCustomerByProviderId(store, "other_billing", "ob_old"))?.id).toBe("pid_f");
  });

  it("names the clashing provider when a write sets several, and writes none of them", async () => {
    await upsertCustomer(store, { id: "pid_g", providerIds: { other_billing: "ob_taken" } });
    await expect(upsertCustomer(store, { id: "pid_h", providerIds: { acme_billing: "ac_free", other_billing: "ob_taken" } })).rejects.toMatchObject({ field: "providerIds.other_billing" });
    expect(await findCustomerByProviderId(store, "acme_billing", "ac_free")).toBeUndefined();
  });
});

describe("the migration to one provider id table", () => {
  it("carries over every provider id stored before it, and they stay unique", async () => {
    const early = await openTestStore({ migrate: false });
    try {
      const all = await loadMigrations();
      const before = all.filter((migration) => migration.id < "0940");
      await migrate(early, before);
      await early.query(`INSERT INTO customers (id, provider_ids) VALUES ('old_1', '{"stripe":"cus_1","flowglad":"fg_1"}'), ('old_2', '{"stripe":"cus_2"}'), ('old_3', '{}')`);
      await migrate(early, all);
      const { rows } = await early.query("SELECT provider, provider_customer_id, customer_id FROM customer_provider_ids ORDER BY customer_id, provider");
      expect(rows).toEqual([
        { provider: "flowglad", provider_customer_id: "fg_1", customer_id: "old_1" },
        { provider: "stripe", provider_customer_id: "cus_1", customer_id: "old_1" },
        { provider: "stripe", provider_customer_id: "cus_2", customer_id: "old_2" },
      ]);
      await expect(upsertCustomer(early, { id: "old_3", providerIds: { stripe: "cus_2" } })).rejects.toMatchObject({ code: "PROVIDER_ID_IN_USE", field: "providerIds.stripe" });
    } finally {
      await early.cleanup();
    }
  });
});
