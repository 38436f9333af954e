import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadMigrations, migrate } from "../../src/store/migrate.ts";
import { listPlanChanges, planSpans } from "../../src/store/plan-change-repository.ts";
import { driverName, openTestStore, type TestStore } from "../support/store.ts";

let store: TestStore;
beforeAll(async () => {
  store = await openTestStore({ migrate: false });
});
afterAll(() => store.cleanup());

describe(`plan history from before it was kept (${driverName})`, () => {
  it("carries every customer's current plan over as held since the beginning, so every past window is priced as before", async () => {
    const all = await loadMigrations();
    await migrate(store, all.filter((m) => m.id < "0930"));
    await store.query(`INSERT INTO customers (id, plan_key, plan_variant) VALUES ('old_pro', 'pro', 'starter'), ('old_default', NULL, NULL), ('old_team', 'team', NULL)`);

    await migrate(store, all);

    expect(await listPlanChanges(store, "old_pro")).toEqual([
      { customerId: "old_pro", effectiveAt: null, planKey: "pro", planVariant: "starter", trialEndsAt: null, source: "migration", reference: null, recordedAt: expect.any(Date) },
    ]);
    expect(await listPlanChanges(store, "old_default")).toEqual([]);
    const window = { from: new Date("2020-01-01T00:00:00Z"), to: new Date("2026-11-01T00:00:00Z") };
    const spans = await planSpans(store, ["old_pro", "old_default", "old_team"].map((customerId) => ({ customerId, ...window })));
    expect(Object.fromEntries(spans)).toEqual({
      old_pro: [{ ...window, planKey: "pro", trial: false }],
      old_default: [{ ...window, planKey: null, trial: false }],
      old_team: [{ ...window, planKey: "team", trial: false }],
    });
  });
});
