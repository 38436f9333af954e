import { BillingError } from "./errors.ts";
import { parseDecimal, round, toDecimalString, toSafeInteger, type Decimal, type RoundingMode } from "./decimal.ts";

/**
 * ISO 4217 minor-unit exponents that differ from the default of 2. This is the one table of
 * currency exponents in billhub; everything that turns minor units into display amounts reads it.
 */
const EXPONENTS: Readonly<Record<string, number>> = {
  BIF: 0, CLP: 0, DJF: 0, GNF: 0, ISK: 0, JPY: 0, KMF: 0, KRW: 0, PYG: 0, RWF: 0, UGX: 0,
  UYI: 0, VND: 0, VUV: 0, XAF: 0, XOF: 0, XPF: 0,
  BHD: 3, IQD: 3, JOD: 3, KWD: 3, LYD: 3, OMR: 3, TND: 3,
  CLF: 4, UYW: 4,
};

const CURRENCY_PATTERN = /^[A-Z]{3}$/;

/** Upper-cases and checks an ISO 4217 code ("usd" → "USD"); anything else throws. */
export function normalizeCurrency(input: string, field = "currency"): string {
  const code = input.toUpperCase();
  if (!CURRENCY_PATTERN.test(code)) {
    throw new BillingError("VALIDATION_FAILED", `${field} must be a three-letter ISO 4217 code such as "USD", got ${JSON.stringify(input)}`, { field });
  }
  return code;
}

/** Decimal places of a currency's minor unit: JPY 0, USD 2, KWD 3. */
export function currencyExponent(currency: string): number {
  return EXPONENTS[normalizeCurrency(currency)] ?? 2;
}

/**
 * Converts a major-unit decimal ("12.345" KWD) to integer minor units (12345), rounding once.
 *
 * @example
 * toMinorUnits("19.99", "USD") // 1999
 * toMinorUnits("500", "JPY")   // 500
 */
export function toMinorUnits(major: string | Decimal, currency: string, mode: RoundingMode = "half_up"): number {
  const value = typeof major === "string" ? parseDecimal(major) : major;
  const scaled: Decimal = { coef: value.coef, scale: value.scale - currencyExponent(currency) };
  const exact = scaled.scale >= 0 ? scaled : { coef: scaled.coef * 10n ** BigInt(-scaled.scale), scale: 0 };
  return toSafeInteger(exact, mode);
}

/**
 * Formats integer minor units as a major-unit decimal string for display.
 *
 * @example
 * formatMinorUnits(1999, "USD") // "19.99"
 * formatMinorUnits(5, "KWD")    // "0.005"
 */
export function formatMinorUnits(minor: number, currency: string): string {
  if (!Number.isSafeInteger(minor)) {
    throw new BillingError("INVALID_AMOUNT", `amount must be a whole number of minor units, got ${minor}`, { field: "amount" });
  }
  const exponent = currencyExponent(currency);
  const text = toDecimalString({ coef: BigInt(minor), scale: exponent });
  if (exponent === 0) return text;
  const [whole, fraction = ""] = text.split(".");
  return `${whole}.${fraction.padEnd(exponent, "0")}`;
}

/**
 * Formats an exact minor-unit decimal (a sub-cent unit price, say) in major units for display,
 * with at least the currency's decimal places and more only when the value needs them.
 *
 * @example
 * formatMinorDecimal(parseDecimal("0.5"), "USD") // "0.005"
 * formatMinorDecimal(parseDecimal("700"), "USD") // "7.00"
 * formatMinorDecimal(parseDecimal("0.5"), "JPY") // "0.5"
 */
export function formatMinorDecimal(minor: Decimal, currency: string): string {
  const exponent = currencyExponent(currency);
  const text = toDecimalString({ coef: minor.coef, scale: minor.scale + exponent });
  if (exponent === 0) return text;
  const [whole, fraction = ""] = text.split(".");
  return `${whole}.${fraction.padEnd(exponent, "0")}`;
}

/** Rounds an exact minor-unit decimal to a whole minor unit: the one rounding of a line item. */
export function roundMinor(exactMinor: Decimal, mode: RoundingMode): number {
  return toSafeInteger(round(exactMinor, 0, mode), mode);
}
