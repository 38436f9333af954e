import { z } from "zod";
import { parseDecimal, toDecimalString, toSafeInteger } from "../../core/decimal.ts";
import { BillingError } from "../../core/errors.ts";
import { normalizeCurrency } from "../../core/money.ts";
import { parseWith } from "../../core/validation.ts";
import { resolvedPriceSchema, type ResolvedPrice } from "../../core/pricing/resolved-price.ts";

/**
 * A `*_decimal` field: a string in webhook JSON, a `Stripe.Decimal` object from stripe-node 21 on
 * (its `toString()` is the exact decimal). Numbers are accepted for hand-written prices.
 */
const decimalLike = z.union([
  z.string(),
  z.number(),
  z.custom<{ toString(): string }>((value) => typeof value === "object" && value !== null && typeof (value as { toJSON?: unknown }).toJSON === "function", {
    message: "must be a decimal string or a Stripe.Decimal",
  }),
]);
const wholeAmount = z.number().int();

const stripeTierSchema = z.object({
  up_to: z.union([z.number().int().positive(), z.literal("inf"), z.null()]),
  unit_amount: wholeAmount.nullable().optional(),
  unit_amount_decimal: decimalLike.nullable().optional(),
  flat_amount: wholeAmount.nullable().optional(),
  flat_amount_decimal: decimalLike.nullable().optional(),
});

const amountsSchema = {
  unit_amount: wholeAmount.nullable().optional(),
  unit_amount_decimal: decimalLike.nullable().optional(),
  tiers: z.array(stripeTierSchema).nullable().optional(),
};

/** The fields of a Stripe Price that decide what it bills. Other fields are ignored. */
const stripePriceSchema = z.object({
  id: z.string().optional(),
  currency: z.string().min(1),
  billing_scheme: z.string(),
  tiers_mode: z.string().nullable().optional(),
  transform_quantity: z.object({ divide_by: z.number().int().positive(), round: z.string() }).nullable().optional(),
  currency_options: z.record(z.string(), z.object(amountsSchema)).nullable().optional(),
  ...amountsSchema,
});

/** A Stripe Price as webhook JSON or the stripe SDK delivers it (`Stripe.Price` fits). */
export type StripePriceLike = z.input<typeof stripePriceSchema>;
type StripeAmounts = z.output<z.ZodObject<typeof amountsSchema>>;
type DecimalLike = z.output<typeof decimalLike>;

function decimalText(value: DecimalLike, field: string): string {
  return toDecimalString(parseDecimal(typeof value === "object" ? value.toString() : value, { code: "CATALOG_INVALID", field }));
}

/** Stripe's `*_decimal` field wins over the whole-number one: it keeps sub-cent digits. */
function amountOf(decimal: DecimalLike | null | undefined, whole: number | null | undefined, field: string): string | undefined {
  if (decimal !== undefined && decimal !== null) return decimalText(decimal, field);
  return whole === undefined || whole === null ? undefined : String(whole);
}

function flatAmountOf(tier: z.output<typeof stripeTierSchema>, field: string): number | undefined {
  const text = amountOf(tier.flat_amount_decimal, tier.flat_amount, field);
  if (text === undefined) return undefined;
  const value = parseDecimal(text);
  if (value.scale > 0) throw new BillingError("CATALOG_INVALID", `${field} must be a whole number of minor units, got ${text}`, { field });
  return toSafeInteger(value, "down", field);
}

function fail(message: string, field = "price"): never {
  throw new BillingError("CATALOG_INVALID", message, { field });
}

/**
 * Turns a Stripe Price into the numbers a charge bills with:
 * - `billing_scheme: "per_unit"` → `{ scheme: "per_unit", unitAmount }` from `unit_amount_decimal`
 *   (else `unit_amount`), with `transform_quantity` as `{ divideBy, round }` when present;
 * - `billing_scheme: "tiered"` → `{ scheme: "tiered", tiersMode, tiers }`, each tier's `up_to`
 *   (`null` or `"inf"` → open-ended), `unit_amount(_decimal)` and `flat_amount(_decimal)`.
 * `options.currency` picks an entry of `currency_options` when it is not the price's own currency.
 * Prices without amounts (`custom_unit_amount`) and tiered prices read without `expand: ["tiers"]`
 * are refused with CATALOG_INVALID.
 *
 * @example Stripe docs, "Set up tiered pricing": the volume price of the Typographic example
 * stripePriceToResolvedPrice({ id: "price_1", currency: "usd", billing_scheme: "tiered", tiers_mode: "volume",
 *   tiers: [{ up_to: 5, unit_amount: 700 }, { up_to: 10, unit_amount: 650 }, { up_to: null, unit_amount: 600 }] })
 * // { scheme: "tiered", id: "price_1", currency: "USD", tiersMode: "volume", tiers: [{ upTo: 5, unitAmount: "700" }, ...] }
 */
export function stripePriceToResolvedPrice(price: StripePriceLike, options: { currency?: string } = {}): ResolvedPrice {
  const parsed = parseWith(stripePriceSchema, price, "CATALOG_INVALID", "price");
  const name = parsed.id ?? "the price";
  const own = normalizeCurrency(parsed.currency, "price.currency");
  const currency = options.currency === undefined ? own : normalizeCurrency(options.currency, "options.currency");
  let amounts: StripeAmounts = parsed;
  let prefix = "price";
  if (currency !== own) {
    const entry = parsed.currency_options?.[currency.toLowerCase()];
    if (entry === undefined) {
      const known = [own, ...Object.keys(parsed.currency_options ?? {}).map((code) => code.toUpperCase())].filter((code, i, all) => all.indexOf(code) === i);
      fail(`${name} has no amounts in ${currency}; it has ${known.join(", ")}`, "price.currency_options");
    }
    amounts = entry;
    prefix = `price.currency_options.${currency.toLowerCase()}`;
  }
  const id = parsed.id === undefined ? {} : { id: parsed.id };
  if (parsed.billing_scheme === "per_unit") {
    const unitAmount = amountOf(amounts.unit_amount_decimal, amounts.unit_amount, `${prefix}.unit_amount_decimal`);
    if (unitAmount === undefined) {
      fail(`${name} has no unit amount (a custom_unit_amount price lets the payer choose); usage cannot be priced with it`, `${prefix}.unit_amount`);
    }
    const transform = parsed.transform_quantity;
    return parseWith(resolvedPriceSchema, {
      scheme: "per_unit",
      ...id,
      currency,
      unitAmount,
      transformQuantity: transform === undefined || transform === null ? null : { divideBy: transform.divide_by, round: transform.round },
    }, "CATALOG_INVALID", "price");
  }
  if (parsed.billing_scheme !== "tiered") fail(`${name} has billing_scheme ${JSON.stringify(parsed.billing_scheme)}; expected per_unit or tiered`, "price.billing_scheme");
  if (parsed.tiers_mode !== "graduated" && parsed.tiers_mode !== "volume") {
    fail(`${name} is tiered with tiers_mode ${JSON.stringify(parsed.tiers_mode ?? null)}; expected graduated or volume`, "price.tiers_mode");
  }
  if (parsed.transform_quantity !== undefined && parsed.transform_quantity !== null) fail(`${name} is tiered and has transform_quantity, which Stripe does not allow`, "price.transform_quantity");
  const tiers = amounts.tiers;
  if (tiers === undefined || tiers === null) {
    fail(`${name} is tiered but carries no tiers; retrieve it with expand: ["tiers"] before syncing it`, `${prefix}.tiers`);
  }
  return parseWith(resolvedPriceSchema, {
    scheme: "tiered",
    ...id,
    currency,
    tiersMode: parsed.tiers_mode,
    tiers: tiers.map((tier, index) => {
      const unitAmount = amountOf(tier.unit_amount_decimal, tier.unit_amount, `${prefix}.tiers.${index}.unit_amount_decimal`);
      const flatAmount = flatAmountOf(tier, `${prefix}.tiers.${index}.flat_amount_decimal`);
      return {
        upTo: tier.up_to === "inf" ? null : tier.up_to,
        ...(unitAmount === undefined ? {} : { unitAmount }),
        ...(flatAmount === undefined ? {} : { flatAmount }),
      };
    }),
  }, "CATALOG_INVALID", "price");
}
