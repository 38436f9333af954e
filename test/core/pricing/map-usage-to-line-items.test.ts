import { describe, expect, it } from "vitest";
import type { ChargeInput } from "../../../src/core/pricing/charge-schema.ts";
import { mapUsageToLineItems } from "../../../src/core/pricing/map-usage-to-line-items.ts";
import { preparePlan, type PricingPlanInput } from "../../../src/core/pricing/prepare-plan.ts";
import { billingErrorOf } from "./helpers.ts";

const plan = (charges: ChargeInput[], extra: Partial<PricingPlanInput> = {}): PricingPlanInput => ({ key: "pro", currency: "USD", charges, ...extra });

// Stripe docs, "Set up tiered pricing", "Add a flat rate".
const flatRateTiers = [
  { upTo: 5, unitAmount: 500, flatAmount: 1000 },
  { upTo: 10, unitAmount: 400, flatAmount: 2000 },
  { upTo: 15, unitAmount: 300, flatAmount: 3000 },
  { upTo: 20, unitAmount: 200, flatAmount: 4000 },
  { upTo: null, unitAmount: 100, flatAmount: 5000 },
];

const everyModel = plan([
  { key: "platform", model: "flat", amount: 4900, description: "Platform fee" },
  { key: "api", meter: "api_calls", model: "per_unit", unitAmount: "0.5", includedUnits: 1000, description: "API calls" },
  { key: "fonts", meter: "fonts", model: "graduated", tiers: flatRateTiers },
  { key: "seats", meter: "seats", model: "volume", tiers: flatRateTiers },
  { key: "emails", meter: "emails", model: "package", packageSize: 1000, packageAmount: "10", round: "down" },
  { key: "payments", meter: "payments", model: "percentage", percent: "1.2", fixedFee: "10", freeEvents: 3, freeAmount: "50000" },
  { key: "transfers", meter: "transfers", model: "graduated_percentage", tiers: [{ upTo: 100000, percent: "1", flatAmount: 20000 }, { upTo: null, percent: "2" }] },
]);

const everyUsage = {
  api_calls: "2001",
  fonts: 12,
  seats: 12,
  emails: 2999,
  payments: { quantity: 45000, events: [20000, 10000, 10000, 5000] },
  transfers: "50000",
};

describe("mapUsageToLineItems", () => {
  it("docblock example: Stripe docs, graduated tiers with flat amounts, 12 units → 111 USD", () => {
    const result = mapUsageToLineItems(plan([{ key: "fonts", meter: "fonts", model: "graduated", tiers: flatRateTiers }]), { fonts: 12 });
    expect(result.subtotal).toBe(11100);
    expect(result.lineItems[0]?.tiers?.map((tier) => tier.exactAmount)).toEqual(["3500", "4000", "3600"]);
  });

  it("prices every model in plan order, one line per charge, the subtotal the sum of the lines", () => {
    const result = mapUsageToLineItems(everyModel, everyUsage);
    expect(result.currency).toBe("USD");
    expect(result.planKey).toBe("pro");
    expect(result.lineItems.map((line) => [line.chargeKey, line.model, line.meter, line.quantity, line.billableQuantity, line.exactAmount, line.amount])).toEqual([
      ["platform", "flat", null, "1", "1", "4900", 4900],
      ["api", "per_unit", "api_calls", "2001", "1001", "500.5", 501],
      ["fonts", "graduated", "fonts", "12", "12", "11100", 11100],
      ["seats", "volume", "seats", "12", "12", "6600", 6600],
      ["emails", "package", "emails", "2999", "2999", "20", 20],
      ["payments", "percentage", "payments", "45000", "5000", "70", 70],
      ["transfers", "graduated_percentage", "transfers", "50000", "50000", "20500", 20500],
    ]);
    expect(result.subtotal).toBe(4900 + 501 + 11100 + 6600 + 20 + 70 + 20500);
  });

  it("describes each line for a person, in the plan's currency", () => {
    const descriptions = mapUsageToLineItems(everyModel, everyUsage).lineItems.map((line) => line.description);
    expect(descriptions).toEqual([
      "Platform fee",
      "API calls: 1001 × 0.005 USD (1000 included)",
      "fonts: 12 units, graduated tiers",
      "seats: 12 units, volume tiers",
      "emails: 2 × 0.10 USD per 1000 units (2999 units, rounded down)",
      "payments: 1.2 % of 50.00 USD + 0.10 USD × 1 event",
      "transfers: graduated rates on 500.00 USD",
    ]);
  });

  it("gives tiered lines their tier-by-tier breakdown as exact decimal strings", () => {
    const [line] = mapUsageToLineItems(plan([{ key: "t", meter: "t", model: "graduated_percentage", tiers: [{ upTo: 100000, percent: "1", flatAmount: 20000 }, { upTo: null, percent: "2.5" }] }]), { t: 100001 }).lineItems;
    expect(line?.tiers).toEqual([
      { tier: 1, upTo: "100000", quantity: "100000", percent: "1", flatAmount: "20000", exactAmount: "21000" },
      { tier: 2, upTo: null, quantity: "1", percent: "2.5", flatAmount: "0", exactAmount: "0.025" },
    ]);
    expect(line?.amount).toBe(21000);
  });

  it("counts a charged meter without usage as 0: the first tier's flat amount is still billed", () => {
    const result = mapUsageToLineItems(everyModel, {});
    expect(result.lineItems.map((line) => [line.chargeKey, line.quantity, line.amount])).toEqual([
      ["platform", "1", 4900],
      ["api", "0", 0],
      ["fonts", "0", 1000],
      ["seats", "0", 1000],
      ["emails", "0", 0],
      ["payments", "0", 0],
      ["transfers", "0", 0],
    ]);
  });

  it("rounds each line once, half-up by default, so two half-cent lines bill a cent each", () => {
    const halves = plan([
      { key: "a", meter: "a", model: "per_unit", unitAmount: "0.5" },
      { key: "b", meter: "b", model: "per_unit", unitAmount: "0.5" },
    ]);
    const result = mapUsageToLineItems(halves, { a: 1, b: 1 });
    expect(result.lineItems.map((line) => [line.exactAmount, line.amount])).toEqual([["0.5", 1], ["0.5", 1]]);
    expect(result.subtotal).toBe(2);
  });

  it("rounds half-even when asked", () => {
    const result = mapUsageToLineItems(everyModel, everyUsage, { rounding: "half_even" });
    expect(result.lineItems[1]).toMatchObject({ exactAmount: "500.5", amount: 500 });
  });

  it("refuses an unknown rounding mode with VALIDATION_FAILED", () => {
    billingErrorOf(() => mapUsageToLineItems(everyModel, everyUsage, { rounding: "bankers" as "half_up" }), "VALIDATION_FAILED", "options.rounding");
  });

  it("speaks each currency's minor unit: JPY has none, KWD has three", () => {
    const yen = mapUsageToLineItems({ key: "jp", currency: "jpy", charges: [{ key: "api", meter: "api", model: "per_unit", unitAmount: "0.5" }] }, { api: 3 });
    expect(yen.currency).toBe("JPY");
    expect(yen.lineItems[0]).toMatchObject({ description: "api: 3 × 0.5 JPY", exactAmount: "1.5", amount: 2 });
    const dinar = mapUsageToLineItems({ key: "kw", currency: "KWD", charges: [{ key: "fee", model: "flat", amount: 12345 }, { key: "api", meter: "api", model: "per_unit", unitAmount: "5" }] }, { api: 2 });
    expect(dinar.lineItems.map((line) => line.description)).toEqual(["fee", "api: 2 × 0.005 KWD"]);
    expect(dinar.subtotal).toBe(12355);
  });

  it("echoes the billing period, normalised to ISO 8601, and refuses an inverted one", () => {
    const result = mapUsageToLineItems(everyModel, {}, { period: { start: "2026-01-01T00:00:00Z", end: new Date("2026-02-01T00:00:00Z") } });
    expect(result.period).toEqual({ start: "2026-01-01T00:00:00.000Z", end: "2026-02-01T00:00:00.000Z" });
    billingErrorOf(() => mapUsageToLineItems(everyModel, {}, { period: { start: "2026-02-01", end: "2026-01-01" } }), "VALIDATION_FAILED", "options.period.end");
    billingErrorOf(() => mapUsageToLineItems(everyModel, {}, { period: { start: "soon", end: "2026-01-01" } }), "VALIDATION_FAILED", "options.period.start");
  });

  it("accepts a whole catalog plan, ignoring the fields pricing does not read", () => {
    const catalogPlan = { ...plan([{ key: "fee", model: "flat", amount: 100 }]), name: "Pro", features: { seats: { limit: 5 } } };
    expect(mapUsageToLineItems(catalogPlan, {}).subtotal).toBe(100);
  });
});

describe("mapUsageToLineItems with a minimum commitment", () => {
  // Lago, plan minimum commitment scenario: 50 USD subscription fee + 3 units at 10 USD = 80 USD against 100 USD.
  const committed = plan(
    [
      { key: "subscription", model: "flat", amount: 5000 },
      { key: "units", meter: "units", model: "per_unit", unitAmount: 1000 },
    ],
    { minimumCommitment: { amount: 10000 } },
  );

  it("adds a true-up line when the period falls short: 80 USD → 20 USD true-up, 100 USD due", () => {
    const result = mapUsageToLineItems(committed, { units: 3 });
    expect(result.lineItems.at(-1)).toEqual({
      chargeKey: "minimum_commitment",
      model: "minimum_commitment",
      meter: null,
      description: "Minimum commitment: true-up of 20.00 USD to reach 100.00 USD",
      quantity: "1",
      billableQuantity: "1",
      amount: 2000,
      exactAmount: "2000",
    });
    expect(result.subtotal).toBe(10000);
  });

  it("adds no line when the period meets the commitment", () => {
    const result = mapUsageToLineItems(committed, { units: 6 });
    expect(result.lineItems.map((line) => line.chargeKey)).toEqual(["subscription", "units"]);
    expect(result.subtotal).toBe(11000);
  });

  it("refuses a charge keyed like the true-up line, so two lines never share a key", () => {
    const clash = plan([{ key: "minimum_commitment", model: "flat", amount: 1 }], { minimumCommitment: { amount: 10 } });
    billingErrorOf(() => mapUsageToLineItems(clash, {}), "CATALOG_INVALID", "plan.charges.0.key");
  });
});

describe("mapUsageToLineItems refuses bad input", () => {
  it("refuses usage for a meter no charge uses, naming it and the charged meters", () => {
    const error = billingErrorOf(() => mapUsageToLineItems(everyModel, { api_cals: 10 }), "INVALID_USAGE", "usage.api_cals");
    expect(error.message).toContain("api_calls, emails, fonts, payments, seats, transfers");
  });

  it.each([
    ["1,5", "usage.api_calls"],
    ["", "usage.api_calls"],
    [Number.NaN, "usage.api_calls"],
    [Number.POSITIVE_INFINITY, "usage.api_calls"],
    ["-3", "usage.api_calls"],
    [null, "usage.api_calls"],
    [[1, 2], "usage.api_calls"],
    [{ quantity: "x" }, "usage.api_calls.quantity"],
    [{ quantity: 3, count: 3 }, "usage.api_calls.count"],
    [{ quantity: 3, events: "1,2" }, "usage.api_calls.events"],
    [{ quantity: 3, events: [1, -1, 3] }, "usage.api_calls.events.1"],
    [{ quantity: 3, events: [1, 1] }, "usage.api_calls.events"],
  ])("refuses usage %j with INVALID_USAGE at %s", (value, field) => {
    billingErrorOf(() => mapUsageToLineItems(everyModel, { api_calls: value as never }), "INVALID_USAGE", field);
  });

  it("refuses usage that is not an object of meters", () => {
    billingErrorOf(() => mapUsageToLineItems(everyModel, [] as never), "INVALID_USAGE", "usage");
  });

  it("asks for each event's value when a percentage charge bills per event", () => {
    const error = billingErrorOf(() => mapUsageToLineItems(everyModel, { payments: 45000 }), "INVALID_USAGE", "usage.payments.events");
    expect(error.message).toMatch(/\{ quantity, events \}/);
  });

  it("names the charge field of a bad plan, under plan.", () => {
    const unsorted = plan([{ key: "fonts", meter: "fonts", model: "volume", tiers: [{ upTo: 10, unitAmount: 1 }, { upTo: 5, unitAmount: 1 }, { upTo: null, unitAmount: 1 }] }]);
    billingErrorOf(() => mapUsageToLineItems(unsorted, {}), "CATALOG_INVALID", "plan.charges.0.tiers.1.upTo");
    billingErrorOf(() => mapUsageToLineItems(plan([{ key: "a", model: "flat", amount: 1 }, { key: "a", model: "flat", amount: 2 }]), {}), "CATALOG_INVALID", "plan.charges.1.key");
    billingErrorOf(() => mapUsageToLineItems({ key: "p", currency: "US$", charges: [] }, {}), "CATALOG_INVALID", "plan.currency");
  });
});

describe("preparePlan", () => {
  it("docblock example: a prepared plan prices like the plan itself", () => {
    const prepared = preparePlan({ key: "pro", currency: "usd", charges: [{ key: "api", meter: "api_calls", model: "per_unit", unitAmount: "0.5" }] });
    expect(mapUsageToLineItems(prepared, { api_calls: 1000 }).subtotal).toBe(500);
  });

  it("gives the same line items as the unprepared plan, and can be reused", () => {
    const prepared = preparePlan(everyModel);
    expect(mapUsageToLineItems(prepared, everyUsage)).toEqual(mapUsageToLineItems(everyModel, everyUsage));
    expect(mapUsageToLineItems(prepared, {})).toEqual(mapUsageToLineItems(everyModel, {}));
    expect(preparePlan(prepared)).toBe(prepared);
  });

  it("is immutable, so a prepared plan cannot drift from what was validated", () => {
    const prepared = preparePlan(everyModel);
    expect(Object.isFrozen(prepared)).toBe(true);
    expect(Object.isFrozen(prepared.charges)).toBe(true);
    expect(Object.isFrozen(prepared.charges[0])).toBe(true);
  });

  it("does not treat a look-alike object as prepared", () => {
    const prepared = preparePlan(everyModel);
    billingErrorOf(() => mapUsageToLineItems({ ...prepared } as never, {}), "CATALOG_INVALID", "plan.charges.0");
  });
});
