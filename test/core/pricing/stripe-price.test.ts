import { readFileSync } from "node:fs";
import Stripe from "stripe";
import { describe, expect, it } from "vitest";
import { mapUsageToLineItems } from "../../../src/core/pricing/map-usage-to-line-items.ts";
import { stripePriceToResolvedPrice, type StripePriceLike } from "../../../src/providers/stripe/price.ts";
import { billingErrorOf } from "./helpers.ts";

const fixture = (name: string): StripePriceLike => JSON.parse(readFileSync(new URL(`./fixtures/${name}.json`, import.meta.url), "utf8")) as StripePriceLike;

// Stripe docs, "Set up tiered pricing": the volume price created there, as the API reads it back.
const volumePrice: StripePriceLike = {
  id: "price_volume",
  currency: "usd",
  billing_scheme: "tiered",
  tiers_mode: "volume",
  transform_quantity: null,
  unit_amount: null,
  unit_amount_decimal: null,
  tiers: [
    { up_to: 5, unit_amount: 700, unit_amount_decimal: "700", flat_amount: null, flat_amount_decimal: null },
    { up_to: 10, unit_amount: 650, unit_amount_decimal: "650", flat_amount: null, flat_amount_decimal: null },
    { up_to: null, unit_amount: 600, unit_amount_decimal: "600", flat_amount: null, flat_amount_decimal: null },
  ],
};

function bill(price: StripePriceLike, model: "graduated" | "volume" | "package" | "per_unit" | "flat", quantity: number | string, currency = "USD") {
  const resolved = stripePriceToResolvedPrice(price, { currency });
  const charge = model === "flat" ? { key: "c", model, price: { lookupKey: "k" } } : { key: "c", meter: "m", model, price: { lookupKey: "k" } };
  return mapUsageToLineItems({ key: "p", currency, charges: [charge] }, model === "flat" ? {} : { m: quantity }, { resolvePrice: () => resolved });
}

describe("stripePriceToResolvedPrice", () => {
  it("docblock example: maps the Stripe docs' volume price to tiers, the last one open-ended", () => {
    expect(stripePriceToResolvedPrice(volumePrice)).toEqual({
      scheme: "tiered",
      id: "price_volume",
      currency: "USD",
      tiersMode: "volume",
      tiers: [
        { upTo: 5, unitAmount: "700" },
        { upTo: 10, unitAmount: "650" },
        { upTo: null, unitAmount: "600" },
      ],
    });
  });

  it.each([
    [1, 700],
    [5, 3500],
    [6, 3900],
    [20, 12000],
    [25, 15000],
  ])("Stripe docs, volume price: %i fonts bill %i cents", (fonts, cents) => {
    expect(bill(volumePrice, "volume", fonts).subtotal).toBe(cents);
  });

  it("Stripe docs, graduated flat-rate price read with expand[]=tiers: quantity 12 → 111 USD, quantity 0 → 10 USD", () => {
    const price = fixture("stripe-price-graduated-flat-rate");
    expect(bill(price, "graduated", 12).subtotal).toBe(11100);
    expect(bill(price, "graduated", 0).subtotal).toBe(1000);
  });

  it("Stripe docs, transform_quantity (10 USD per 5 users, round up), from the API's price shape: 1, 5, 6, 7 users", () => {
    const price = fixture("stripe-price-per-5-users");
    expect(stripePriceToResolvedPrice(price)).toEqual({
      scheme: "per_unit",
      id: "price_1PgafmB7WZ01zgkW6dKueIc5",
      currency: "USD",
      unitAmount: "1000",
      transformQuantity: { divideBy: 5, round: "up" },
    });
    expect([1, 5, 6, 7].map((users) => bill(price, "package", users).subtotal)).toEqual([1000, 1000, 2000, 2000]);
  });

  it("Stripe docs, metered emails at 0.10 USD per 1,000 rounding down: 2,999 emails bill 0.20 USD", () => {
    const emails: StripePriceLike = { currency: "usd", billing_scheme: "per_unit", unit_amount: 10, unit_amount_decimal: "10", transform_quantity: { divide_by: 1000, round: "down" } };
    expect(bill(emails, "package", 2999).subtotal).toBe(20);
  });

  it("reads stripe-node's Stripe.Decimal objects for *_decimal fields, keeping sub-cent digits", () => {
    const price: StripePriceLike = {
      currency: "usd",
      billing_scheme: "tiered",
      tiers_mode: "graduated",
      tiers: [
        { up_to: 1000, unit_amount: null, unit_amount_decimal: Stripe.Decimal.from("0.25"), flat_amount: null, flat_amount_decimal: Stripe.Decimal.from("500") },
        { up_to: null, unit_amount: null, unit_amount_decimal: Stripe.Decimal.from("0.000000000005"), flat_amount: null, flat_amount_decimal: null },
      ],
    };
    expect(stripePriceToResolvedPrice(price)).toMatchObject({
      tiers: [
        { upTo: 1000, unitAmount: "0.25", flatAmount: 500 },
        { upTo: null, unitAmount: "0.000000000005" },
      ],
    });
    const line = bill(price, "graduated", 1002).lineItems[0];
    expect(line).toMatchObject({ exactAmount: "750.00000000001", amount: 750 });
  });

  it("prefers unit_amount_decimal over unit_amount, which Stripe leaves null for sub-cent prices", () => {
    const price: StripePriceLike = { currency: "usd", billing_scheme: "per_unit", unit_amount: null, unit_amount_decimal: Stripe.Decimal.from("0.5") };
    expect(stripePriceToResolvedPrice(price)).toMatchObject({ unitAmount: "0.5", transformQuantity: null });
    expect(bill(price, "per_unit", 3).lineItems[0]).toMatchObject({ exactAmount: "1.5", amount: 2 });
  });

  it("maps a licensed per-unit price to a flat fee", () => {
    expect(bill({ currency: "usd", billing_scheme: "per_unit", unit_amount: 2000, unit_amount_decimal: "2000" }, "flat", 0).subtotal).toBe(2000);
  });

  it("accepts \"inf\" for the open-ended tier, as Stripe spells it on create", () => {
    const price = { ...volumePrice, tiers: [{ up_to: 5, unit_amount: 700 }, { up_to: "inf" as const, unit_amount: 600 }] };
    expect(stripePriceToResolvedPrice(price)).toMatchObject({ tiers: [{ upTo: 5, unitAmount: "700" }, { upTo: null, unitAmount: "600" }] });
  });

  it("picks the amounts of another currency from currency_options", () => {
    const price: StripePriceLike = {
      currency: "usd",
      billing_scheme: "per_unit",
      unit_amount: 1000,
      currency_options: { usd: { unit_amount: 1000 }, jpy: { unit_amount: 1500, unit_amount_decimal: "1500" } },
    };
    expect(stripePriceToResolvedPrice(price, { currency: "JPY" })).toMatchObject({ currency: "JPY", unitAmount: "1500" });
    expect(bill(price, "per_unit", 2, "JPY").subtotal).toBe(3000);
    const error = billingErrorOf(() => stripePriceToResolvedPrice(price, { currency: "eur" }), "CATALOG_INVALID", "price.currency_options");
    expect(error.message).toContain("USD, JPY");
  });

  it("refuses a tiered price read without its tiers, saying how to fetch them", () => {
    const { tiers: _omitted, ...withoutTiers } = volumePrice;
    const error = billingErrorOf(() => stripePriceToResolvedPrice(withoutTiers), "CATALOG_INVALID", "price.tiers");
    expect(error.message).toContain('expand: ["tiers"]');
  });

  it("refuses a price whose amount the payer chooses (custom_unit_amount)", () => {
    const custom: StripePriceLike = { currency: "usd", billing_scheme: "per_unit", unit_amount: null, unit_amount_decimal: null };
    billingErrorOf(() => stripePriceToResolvedPrice(custom), "CATALOG_INVALID", "price.unit_amount");
  });

  it("refuses a flat amount that is not whole minor units", () => {
    const price = { ...volumePrice, tiers: [{ up_to: null, unit_amount: 1, flat_amount: null, flat_amount_decimal: "10.5" }] };
    billingErrorOf(() => stripePriceToResolvedPrice(price), "CATALOG_INVALID", "price.tiers.0.flat_amount_decimal");
  });

  it("refuses billing schemes and tiers modes it cannot price, and malformed fields", () => {
    billingErrorOf(() => stripePriceToResolvedPrice({ ...volumePrice, tiers_mode: "stairstep" }), "CATALOG_INVALID", "price.tiers_mode");
    billingErrorOf(() => stripePriceToResolvedPrice({ ...volumePrice, billing_scheme: "package" }), "CATALOG_INVALID", "price.billing_scheme");
    billingErrorOf(() => stripePriceToResolvedPrice({ ...volumePrice, transform_quantity: { divide_by: 5, round: "up" } }), "CATALOG_INVALID", "price.transform_quantity");
    billingErrorOf(() => stripePriceToResolvedPrice({ ...volumePrice, tiers: [{ up_to: null, unit_amount_decimal: "abc" }] }), "CATALOG_INVALID", "price.tiers.0.unit_amount_decimal");
    billingErrorOf(() => stripePriceToResolvedPrice({ currency: "usd", billing_scheme: "per_unit", unit_amount: 5, transform_quantity: { divide_by: 5, round: "sideways" } }), "CATALOG_INVALID", "price.transformQuantity.round");
  });
});
