import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { defineCatalog } from "../../src/core/catalog/index.ts";
import { createHub, type Hub } from "../../src/hub.ts";
import { openTestStore, type TestStore } from "../support/store.ts";
import { testClock } from "./entitlements-catalog.ts";

/** API calls limited to 100 a month on each plan, priced at 2 cents a call past 100 included. */
const charges = [{ key: "api", meter: "api_calls", model: "per_unit", unitAmount: "2", includedUnits: 100, description: "API calls" }] as const;
const catalog = defineCatalog({
  currency: "USD",
  meters: { api_calls: { aggregation: "sum" } },
  features: { api: { type: "metered", meter: "api_calls", reset: "month" } },
  plans: {
    blocked: { name: "Blocked", features: { api: 100 }, charges: [...charges] },
    open: { name: "Open", features: { api: { limit: 100, overage: "allow" } }, charges: [...charges] },
    capped: { name: "Capped", features: { api: { limit: 100, overage: { maxUnits: 30 } } }, charges: [...charges] },
    spend: { name: "Spend", features: { api: { limit: 100, overage: { maxSpend: 100 } } }, charges: [...charges] },
  },
  defaultPlan: "blocked",
});

let store: TestStore;
let hub: Hub;
const clock = testClock("2026-03-18T10:30:00Z");
let n = 0;
async function customerOn(plan: string): Promise<string> {
  const id = `ovg_${plan}_${++n}`;
  await hub.upsertCustomer({ id, periodStart: "2026-03-01T00:00:00Z", periodEnd: "2026-04-01T00:00:00Z" });
  await hub.assign(id, plan, { effectiveAt: "2026-03-01T00:00:00Z" });
  return id;
}

beforeAll(async () => {
  store = await openTestStore();
  hub = await createHub({ catalog }, { store, now: clock.now });
});
afterAll(async () => {
  await hub.close();
  await store.cleanup();
});

describe("consume with overage", () => {
  it("keeps refusing past the limit on a plan that blocks overage", async () => {
    const id = await customerOn("blocked");
    expect((await hub.consume(id, "api", 100, `${id}-1`)).status).toBe("created");
    const refused = await hub.consume(id, "api", 1, `${id}-2`);
    expect(refused).toMatchObject({ status: "refused", refusal: { code: "LIMIT_EXCEEDED" }, overage: { policy: "block", inOverage: false, units: "0" } });
  });

  it("lets usage past the limit through on a plan that allows overage and says by how much", async () => {
    const id = await customerOn("open");
    await hub.consume(id, "api", 90, `${id}-1`);
    const past = await hub.consume(id, "api", 35, `${id}-2`);
    expect(past).toMatchObject({ status: "created", allowed: true, limit: 100, used: 125, remaining: 0, refusal: null, overage: { policy: "allow", inOverage: true, units: "25" } });
    expect((await hub.check(id, "api")).overage).toMatchObject({ inOverage: true, units: "25" });
  });

  it("lets usage through up to the units cap and refuses what would pass it, recording nothing", async () => {
    const id = await customerOn("capped");
    expect((await hub.consume(id, "api", 120, `${id}-1`)).status).toBe("created");
    expect(await hub.consume(id, "api", 11, `${id}-2`)).toMatchObject({ status: "refused", refusal: { code: "LIMIT_EXCEEDED" }, used: 120 });
    expect(await hub.consume(id, "api", 10, `${id}-3`)).toMatchObject({ status: "created", used: 130, overage: { units: "30", maxUnits: "30" } });
  });

  it("lets usage through while its overage costs at most the spend cap under the plan's charges", async () => {
    const id = await customerOn("spend");
    // 50 calls past the limit at 2 cents cost exactly the cap of 100 cents.
    expect(await hub.consume(id, "api", 150, `${id}-1`)).toMatchObject({ status: "created", overage: { units: "50", spend: 100, maxSpend: 100 } });
    expect(await hub.consume(id, "api", 1, `${id}-2`)).toMatchObject({ status: "refused", refusal: { code: "LIMIT_EXCEEDED" } });
  });
});

describe("overage on the invoice", () => {
  it("prices every unit consumed past the limit with the plan's charges, in the preview and in the stored invoice", async () => {
    const id = await customerOn("open");
    await hub.consume(id, "api", 100, `${id}-within`);
    await hub.consume(id, "api", 75, `${id}-over`);
    expect((await hub.check(id, "api")).overage).toMatchObject({ inOverage: true, units: "75" });

    const preview = await hub.previewInvoice(id);
    expect(preview.lineItems).toEqual([expect.objectContaining({ chargeKey: "api", meter: "api_calls", quantity: "175", billableQuantity: "75", amount: 150 })]);
    expect(preview.subtotal).toBe(150);

    clock.set("2026-04-02T09:00:00Z");
    try {
      await hub.runInvoices({ period: "2026-03" });
      const { invoices } = await hub.listInvoices({ period: "2026-03" });
      const stored = await hub.getInvoice(invoices.find((invoice) => invoice.customerId === id)!.id);
      expect(stored.subtotal).toBe(150);
      expect(stored.lineItems).toEqual([expect.objectContaining({ chargeKey: "api", quantity: "175", amount: 150 })]);
    } finally {
      clock.set("2026-03-18T10:30:00Z");
    }
  });
});
