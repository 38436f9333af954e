import { describe, expect, it } from "vitest";
import type { ChargeInput } from "../../../src/core/pricing/charge-schema.ts";
import { mapUsageToLineItems } from "../../../src/core/pricing/map-usage-to-line-items.ts";
import type { ResolvedPriceInput } from "../../../src/core/pricing/resolved-price.ts";
import { billingErrorOf } from "./helpers.ts";

const graduatedCharge: ChargeInput = { key: "fonts", meter: "fonts", model: "graduated", price: { lookupKey: "fonts_monthly", provider: "stripe" } };
const plan = (charges: ChargeInput[], currency = "USD") => ({ key: "pro", currency, charges });

// Stripe docs, "Set up tiered pricing": the Typographic tiers as a synced price.
const typographic = (tiersMode: "graduated" | "volume"): Extract<ResolvedPriceInput, { scheme: "tiered" }> => ({
  scheme: "tiered",
  id: "price_typographic",
  currency: "usd",
  tiersMode,
  tiers: [
    { upTo: 5, unitAmount: "700" },
    { upTo: 10, unitAmount: "650" },
    { upTo: null, unitAmount: "600" },
  ],
});

describe("charges priced by a provider price", () => {
  it("takes the numbers from the price the lookup key resolves to, and names it on the line", () => {
    const asked: unknown[] = [];
    const result = mapUsageToLineItems(plan([graduatedCharge]), { fonts: 6 }, {
      resolvePrice: (ref) => {
        asked.push(ref);
        return typographic("graduated");
      },
    });
    expect(asked).toEqual([{ lookupKey: "fonts_monthly", provider: "stripe" }]);
    expect(result.lineItems[0]).toMatchObject({ amount: 4150, price: { lookupKey: "fonts_monthly", provider: "stripe", id: "price_typographic" } });
  });

  it("refuses a lookup key that resolves to nothing, naming the key, rather than billing 0", () => {
    const error = billingErrorOf(() => mapUsageToLineItems(plan([graduatedCharge]), { fonts: 6 }, { resolvePrice: () => undefined }), "CATALOG_INVALID", "plan.charges.0.price.lookupKey");
    expect(error.message).toContain('"fonts_monthly"');
  });

  it("refuses a price reference when no resolvePrice was given", () => {
    const error = billingErrorOf(() => mapUsageToLineItems(plan([graduatedCharge]), { fonts: 6 }), "CATALOG_INVALID", "plan.charges.0.price.lookupKey");
    expect(error.message).toMatch(/resolvePrice/);
  });

  it("refuses a price whose shape does not fit the charge model", () => {
    const error = billingErrorOf(() => mapUsageToLineItems(plan([graduatedCharge]), { fonts: 6 }, { resolvePrice: () => typographic("volume") }), "CATALOG_INVALID", "plan.charges.0.price");
    expect(error.message).toContain("tiersMode volume");
    const perUnit: ChargeInput = { key: "seats", meter: "seats", model: "per_unit", price: { lookupKey: "per_5_users" } };
    const transformed: ResolvedPriceInput = { scheme: "per_unit", currency: "usd", unitAmount: "1000", transformQuantity: { divideBy: 5, round: "up" } };
    const mismatch = billingErrorOf(() => mapUsageToLineItems(plan([perUnit]), { seats: 6 }, { resolvePrice: () => transformed }), "CATALOG_INVALID", "plan.charges.0.price");
    expect(mismatch.message).toContain("a per_unit charge needs a per_unit price without transformQuantity");
  });

  it("refuses a price in another currency than the plan", () => {
    const error = billingErrorOf(() => mapUsageToLineItems(plan([graduatedCharge], "EUR"), { fonts: 6 }, { resolvePrice: () => typographic("graduated") }), "CATALOG_INVALID", "plan.charges.0.price");
    expect(error.message).toContain("USD");
  });

  it("refuses a malformed synced price, such as unsorted tiers", () => {
    const broken = { ...typographic("graduated"), tiers: [{ upTo: 10, unitAmount: "1" }, { upTo: 5, unitAmount: "1" }, { upTo: null, unitAmount: "1" }] } as ResolvedPriceInput;
    const error = billingErrorOf(() => mapUsageToLineItems(plan([graduatedCharge]), { fonts: 6 }, { resolvePrice: () => broken }), "CATALOG_INVALID", "plan.charges.0.price");
    expect(error.message).toMatch(/sorted/);
  });

  it("uses a flat per-unit price as a flat fee and a transformed one as packages", () => {
    const prices: Record<string, ResolvedPriceInput> = {
      base: { scheme: "per_unit", currency: "USD", unitAmount: "20000" },
      users: { scheme: "per_unit", currency: "USD", unitAmount: "1000", transformQuantity: { divideBy: 5, round: "up" } },
    };
    const result = mapUsageToLineItems(
      plan([
        { key: "base", model: "flat", price: { lookupKey: "base" } },
        { key: "users", meter: "users", model: "package", price: { lookupKey: "users" } },
      ]),
      { users: 6 },
      { resolvePrice: (ref) => prices[ref.lookupKey] },
    );
    expect(result.lineItems.map((line) => [line.chargeKey, line.amount, line.packages])).toEqual([
      ["base", 20000, undefined],
      ["users", 2000, "2"],
    ]);
  });

  it("reuses a frozen price's prepared form without skipping the plan's currency check", () => {
    const frozen = Object.freeze({ ...typographic("graduated"), tiers: Object.freeze(typographic("graduated").tiers.map((tier) => Object.freeze(tier))) });
    const resolvePrice = () => frozen;
    expect(mapUsageToLineItems(plan([graduatedCharge]), { fonts: 6 }, { resolvePrice }).subtotal).toBe(4150);
    expect(mapUsageToLineItems(plan([graduatedCharge]), { fonts: 25 }, { resolvePrice }).subtotal).toBe(15750);
    billingErrorOf(() => mapUsageToLineItems(plan([graduatedCharge], "EUR"), { fonts: 6 }, { resolvePrice }), "CATALOG_INVALID", "plan.charges.0.price");
  });

  it("reads a mutable price afresh each time, so an in-place change is never billed stale", () => {
    const tiers = [
      { upTo: 5, unitAmount: "700" },
      { upTo: null, unitAmount: "600" },
    ];
    const price = { scheme: "tiered" as const, currency: "USD", tiersMode: "graduated" as const, tiers };
    const resolvePrice = () => price;
    expect(mapUsageToLineItems(plan([graduatedCharge]), { fonts: 1 }, { resolvePrice }).subtotal).toBe(700);
    tiers[0]!.unitAmount = "800";
    expect(mapUsageToLineItems(plan([graduatedCharge]), { fonts: 1 }, { resolvePrice }).subtotal).toBe(800);
  });
});
