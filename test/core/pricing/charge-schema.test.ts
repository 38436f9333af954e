import { describe, expect, it } from "vitest";
import { chargeSchema } from "../../../src/core/pricing/charge-schema.ts";
import { parseWith } from "../../../src/core/validation.ts";
import { billingErrorOf } from "./helpers.ts";

const parse = (charge: unknown) => parseWith(chargeSchema, charge, "CATALOG_INVALID", "charge");
const graduated = (tiers: unknown) => ({ key: "api", meter: "api_calls", model: "graduated", tiers });

describe("chargeSchema", () => {
  it("docblock example: reads an inline per-unit charge with canonical decimals", () => {
    expect(parse({ key: "api", meter: "api_calls", model: "per_unit", unitAmount: "0.50", includedUnits: 1000 })).toEqual({
      key: "api",
      meter: "api_calls",
      model: "per_unit",
      unitAmount: "0.5",
      includedUnits: "1000",
    });
  });

  it("docblock example: reads a charge that takes its numbers from a provider price", () => {
    expect(parse({ key: "api", meter: "api_calls", model: "graduated", price: { lookupKey: "api_graduated", provider: "stripe" } })).toMatchObject({
      price: { lookupKey: "api_graduated", provider: "stripe" },
    });
  });

  it("reads Stripe's spellings of the open-ended last tier, null and \"inf\"", () => {
    const charge = parse(graduated([{ upTo: 5, unitAmount: 700 }, { upTo: "inf", unitAmount: "600" }]));
    expect(charge).toMatchObject({ tiers: [{ upTo: 5, unitAmount: "700" }, { upTo: null, unitAmount: "600" }] });
  });

  it("reads fractional tier bounds as exact decimal strings, and whole ones as numbers", () => {
    const charge = parse(graduated([{ upTo: "0.10", unitAmount: 700 }, { upTo: "2", unitAmount: 650 }, { upTo: null, unitAmount: "600" }]));
    expect(charge).toMatchObject({ tiers: [{ upTo: "0.1" }, { upTo: 2 }, { upTo: null }] });
  });

  it("says what a tier bound may be, naming the field, instead of \"Invalid input\"", () => {
    for (const upTo of ["abc", 0.1, true, 0, "-1"]) {
      const error = billingErrorOf(() => parse(graduated([{ upTo, unitAmount: 1 }, { upTo: null, unitAmount: 1 }])), "CATALOG_INVALID", "charge.tiers.0.upTo");
      expect(error.message).toContain('a number above 0 (a decimal string such as "0.5" when not whole), or null (or "inf") for the open-ended last tier');
      expect(error.message).not.toContain("Invalid input");
    }
  });

  it("names an unknown field and lists the fields allowed there", () => {
    const error = billingErrorOf(() => parse({ key: "api", meter: "api_calls", model: "per_unit", unitAmout: "1" }), "CATALOG_INVALID", "charge.unitAmout");
    expect(error.message).toContain('charge.unitAmout: unknown field "unitAmout"; the fields allowed here: key, description, meter, model, unitAmount, includedUnits, price');
  });

  it("refuses unsorted tiers with CATALOG_INVALID naming the tier", () => {
    const error = billingErrorOf(() => parse(graduated([{ upTo: 10, unitAmount: 1 }, { upTo: 5, unitAmount: 1 }, { upTo: null, unitAmount: 1 }])), "CATALOG_INVALID", "charge.tiers.1.upTo");
    expect(error.message).toMatch(/sorted/);
  });

  it("refuses overlapping tiers (a bound repeated)", () => {
    billingErrorOf(() => parse(graduated([{ upTo: 5, unitAmount: 1 }, { upTo: 5, unitAmount: 1 }, { upTo: null, unitAmount: 1 }])), "CATALOG_INVALID", "charge.tiers.1.upTo");
  });

  it("refuses tiers whose last tier is bounded, or whose open tier is not last", () => {
    billingErrorOf(() => parse(graduated([{ upTo: 5, unitAmount: 1 }, { upTo: 10, unitAmount: 1 }])), "CATALOG_INVALID", "charge.tiers.1.upTo");
    billingErrorOf(() => parse(graduated([{ upTo: null, unitAmount: 1 }, { upTo: 10, unitAmount: 1 }])), "CATALOG_INVALID", "charge.tiers.0.upTo");
  });

  it("refuses a tier with neither unit nor flat amount, and an empty tier list", () => {
    billingErrorOf(() => parse(graduated([{ upTo: null }])), "CATALOG_INVALID", "charge.tiers.0");
    billingErrorOf(() => parse(graduated([])), "CATALOG_INVALID", "charge.tiers");
  });

  it("refuses a negative price, naming it", () => {
    const error = billingErrorOf(() => parse({ key: "api", meter: "m", model: "per_unit", unitAmount: "-0.5" }), "CATALOG_INVALID", "charge.unitAmount");
    expect(error.message).toMatch(/negative/);
    billingErrorOf(() => parse(graduated([{ upTo: null, flatAmount: -100 }])), "CATALOG_INVALID", "charge.tiers.0.flatAmount");
  });

  it("refuses a non-whole unit price given as a JSON number, so no float reaches a price", () => {
    const error = billingErrorOf(() => parse({ key: "api", meter: "m", model: "per_unit", unitAmount: 0.1 }), "CATALOG_INVALID", "charge.unitAmount");
    expect(error.message).toMatch(/decimal string/);
  });

  it("refuses a flat amount that is not whole minor units", () => {
    billingErrorOf(() => parse({ key: "fee", model: "flat", amount: 19.99 }), "CATALOG_INVALID", "charge.amount");
    billingErrorOf(() => parse({ key: "fee", model: "flat", amount: "1999" }), "CATALOG_INVALID", "charge.amount");
  });

  it("refuses text that is not a finite decimal", () => {
    for (const unitAmount of ["", "1,5", "NaN", "Infinity", "0x10"]) {
      billingErrorOf(() => parse({ key: "api", meter: "m", model: "per_unit", unitAmount }), "CATALOG_INVALID", "charge.unitAmount");
    }
  });

  it("requires a meter on usage-based models and refuses one on a flat fee", () => {
    billingErrorOf(() => parse({ key: "api", model: "per_unit", unitAmount: "1" }), "CATALOG_INVALID", "charge.meter");
    billingErrorOf(() => parse({ key: "fee", model: "flat", amount: 100, meter: "m" }), "CATALOG_INVALID", "charge.meter");
  });

  it("refuses a misspelt field, naming it", () => {
    billingErrorOf(() => parse({ key: "api", meter: "m", model: "per_unit", unitPrice: "1" }), "CATALOG_INVALID", "charge.unitPrice");
  });

  it("refuses an unknown model, listing the known ones", () => {
    const error = billingErrorOf(() => parse({ key: "api", meter: "m", model: "tiered" }), "CATALOG_INVALID", "charge.model");
    expect(error.message).toMatch(/graduated/);
  });

  it("requires the inline numbers of a charge without a price", () => {
    billingErrorOf(() => parse({ key: "api", meter: "m", model: "per_unit" }), "CATALOG_INVALID", "charge.unitAmount");
    billingErrorOf(() => parse({ key: "api", meter: "m", model: "package", packageAmount: "10" }), "CATALOG_INVALID", "charge.packageSize");
    billingErrorOf(() => parse({ key: "fee", model: "flat" }), "CATALOG_INVALID", "charge.amount");
  });

  it("refuses inline numbers beside a price, which would leave two sources of truth", () => {
    billingErrorOf(() => parse({ ...graduated([{ upTo: null, unitAmount: 1 }]), price: { lookupKey: "x" } }), "CATALOG_INVALID", "charge.tiers");
    billingErrorOf(() => parse({ key: "e", meter: "m", model: "package", round: "down", price: { lookupKey: "x" } }), "CATALOG_INVALID", "charge.round");
  });

  it("refuses included units beside a provider price, since the provider would bill them", () => {
    const error = billingErrorOf(() => parse({ key: "api", meter: "m", model: "per_unit", includedUnits: 100, price: { lookupKey: "x" } }), "CATALOG_INVALID", "charge.includedUnits");
    expect(error.message).toMatch(/free first tier/);
  });

  it("refuses a provider price on percentage models, which no provider price describes", () => {
    billingErrorOf(() => parse({ key: "p", meter: "m", model: "percentage", percent: "1", price: { lookupKey: "x" } }), "CATALOG_INVALID", "charge.price");
  });

  it("refuses a percentage above 100 and a per-event maximum below the minimum", () => {
    billingErrorOf(() => parse({ key: "p", meter: "m", model: "percentage", percent: "120" }), "CATALOG_INVALID", "charge.percent");
    billingErrorOf(() => parse({ key: "p", meter: "m", model: "percentage", percent: "1", minFeePerEvent: "50", maxFeePerEvent: "10" }), "CATALOG_INVALID", "charge.maxFeePerEvent");
  });

  it("refuses a package size that is not a whole number of at least 1", () => {
    for (const packageSize of [0, -5, 2.5, "abc"]) {
      billingErrorOf(() => parse({ key: "e", meter: "m", model: "package", packageSize, packageAmount: "10" }), "CATALOG_INVALID", "charge.packageSize");
    }
  });

  it("lists every problem in details so a catalog can be fixed in one pass", () => {
    const error = billingErrorOf(() => parse({ key: "", meter: "m", model: "per_unit", unitAmount: "-1" }), "CATALOG_INVALID", "charge.key");
    expect(error.details?.issues).toEqual([
      { field: "charge.key", message: "must not be empty" },
      { field: "charge.unitAmount", message: 'must not be negative, got "-1"' },
    ]);
  });
});
