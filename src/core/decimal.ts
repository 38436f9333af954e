import { BillingError, type BillingErrorCode } from "./errors.ts";

/**
 * Exact decimals on BigInt: value = coef / 10^scale. Every quantity, unit price and exact amount
 * in billhub goes through here, so no float ever touches money. Results are exact except where a
 * function takes a scale and a rounding mode and says it rounds.
 *
 * @example
 * toDecimalString(mul(parseDecimal("0.25"), parseDecimal("3"))) // "0.75"
 */
export interface Decimal {
  readonly coef: bigint;
  readonly scale: number;
}

/** How a value is rounded to a scale. half_up and half_even break ties; the rest are directed. */
export type RoundingMode = "half_up" | "half_even" | "half_down" | "up" | "down" | "ceil" | "floor";
export const ROUNDING_MODES: readonly RoundingMode[] = ["half_up", "half_even", "half_down", "up", "down", "ceil", "floor"];

export const ZERO: Decimal = { coef: 0n, scale: 0 };
export const ONE: Decimal = { coef: 1n, scale: 0 };

const DECIMAL_PATTERN = /^([+-])?(\d+)(?:\.(\d+))?(?:[eE]([+-]?\d+))?$/;
/** Guards against "1e999999999" style inputs allocating huge BigInts. */
const MAX_EXPONENT = 1000;

export interface ParseOptions {
  field?: string;
  code?: BillingErrorCode;
}

function failParse(options: ParseOptions, why: string): never {
  throw new BillingError(options.code ?? "INVALID_AMOUNT", `${options.field ?? "value"} ${why}`, {
    ...(options.field === undefined ? {} : { field: options.field }),
  });
}

/**
 * Parses a decimal string ("12.50", "-3", "1e-7"), a finite number or a bigint, exactly.
 * Anything else (NaN, Infinity, "", " 1", "1,5", objects) throws `code` (INVALID_AMOUNT by default).
 * No closure is created per call: quantities are parsed on pricing's hot path.
 */
export function parseDecimal(input: unknown, options: ParseOptions = {}): Decimal {
  if (typeof input === "bigint") return { coef: input, scale: 0 };
  let text: string;
  if (typeof input === "number") {
    // Whole numbers are the common case for quantities; they need no text round trip.
    if (Number.isSafeInteger(input)) return input === 0 ? ZERO : { coef: BigInt(input), scale: 0 };
    if (!Number.isFinite(input)) failParse(options, `must be a finite number, got ${String(input)}`);
    text = String(input);
  } else if (typeof input === "string") {
    text = input;
  } else {
    return failParse(options, `must be a decimal string or a number, got ${input === null ? "null" : typeof input}`);
  }
  const match = DECIMAL_PATTERN.exec(text);
  if (!match) return failParse(options, `must be a decimal number such as "12.5", got ${JSON.stringify(text.slice(0, 40))}`);
  const [, sign, whole, fraction = "", exponentText] = match;
  const exponent = exponentText === undefined ? 0 : Number(exponentText);
  if (Math.abs(exponent) > MAX_EXPONENT) failParse(options, `has an exponent out of range: ${exponentText}`);
  let coef = BigInt(`${whole}${fraction}`);
  let scale = fraction.length - exponent;
  if (scale < 0) {
    coef *= 10n ** BigInt(-scale);
    scale = 0;
  }
  if (sign === "-") coef = -coef;
  return normalize({ coef, scale });
}

/** True when `input` parses as a finite decimal. */
export function isDecimalLike(input: unknown): boolean {
  try {
    parseDecimal(input);
    return true;
  } catch {
    return false;
  }
}

/** Removes trailing zeros so that equal values have one representation. */
export function normalize(value: Decimal): Decimal {
  let { coef, scale } = value;
  if (coef === 0n) return ZERO;
  while (scale > 0 && coef % 10n === 0n) {
    coef /= 10n;
    scale -= 1;
  }
  return coef === value.coef && scale === value.scale ? value : { coef, scale };
}

/** Powers of ten up to this exponent are computed once; pricing hot paths ask for them per call. */
const POW10_CACHE_SIZE = 64;
const POW10: readonly bigint[] = Array.from({ length: POW10_CACHE_SIZE }, (_, n) => 10n ** BigInt(n));

/** 10^n as a bigint (n ≥ 0), from a table for the exponents money actually uses. */
export function pow10(n: number): bigint {
  return n < POW10_CACHE_SIZE ? (POW10[n] as bigint) : 10n ** BigInt(n);
}

function align(a: Decimal, b: Decimal): [bigint, bigint, number] {
  if (a.scale === b.scale) return [a.coef, b.coef, a.scale];
  if (a.scale > b.scale) return [a.coef, b.coef * pow10(a.scale - b.scale), a.scale];
  return [a.coef * pow10(b.scale - a.scale), b.coef, b.scale];
}

/** The coefficient of `a` expressed at `scale` (≥ a.scale), so integer math can mix decimals. */
export function coefAtScale(a: Decimal, scale: number): bigint {
  if (scale < a.scale) throw new BillingError("INTERNAL", `cannot express a scale-${a.scale} decimal at scale ${scale} without rounding`);
  return scale === a.scale ? a.coef : a.coef * pow10(scale - a.scale);
}

export function add(a: Decimal, b: Decimal): Decimal {
  const [x, y, scale] = align(a, b);
  return normalize({ coef: x + y, scale });
}

export function sub(a: Decimal, b: Decimal): Decimal {
  const [x, y, scale] = align(a, b);
  return normalize({ coef: x - y, scale });
}

export function mul(a: Decimal, b: Decimal): Decimal {
  return normalize({ coef: a.coef * b.coef, scale: a.scale + b.scale });
}

export function neg(a: Decimal): Decimal {
  return a.coef === 0n ? ZERO : { coef: -a.coef, scale: a.scale };
}

export function abs(a: Decimal): Decimal {
  return a.coef < 0n ? neg(a) : a;
}

/** -1, 0 or 1. */
export function cmp(a: Decimal, b: Decimal): -1 | 0 | 1 {
  const [x, y] = align(a, b);
  return x < y ? -1 : x > y ? 1 : 0;
}

export function sign(a: Decimal): -1 | 0 | 1 {
  return a.coef < 0n ? -1 : a.coef > 0n ? 1 : 0;
}

export function isZero(a: Decimal): boolean {
  return a.coef === 0n;
}

export function min(a: Decimal, b: Decimal): Decimal {
  return cmp(a, b) <= 0 ? a : b;
}

export function max(a: Decimal, b: Decimal): Decimal {
  return cmp(a, b) >= 0 ? a : b;
}

/** Sums any number of decimals exactly. */
export function sum(values: Iterable<Decimal>): Decimal {
  let total = ZERO;
  for (const value of values) total = add(total, value);
  return total;
}

/** Rounds the integer quotient n / d (d > 0) with `mode`. */
function roundQuotient(n: bigint, d: bigint, mode: RoundingMode): bigint {
  const q = n / d; // truncates toward zero
  const r = n % d;
  if (r === 0n) return q;
  const negative = n < 0n;
  const awayFromZero = negative ? q - 1n : q + 1n;
  const twiceRemainder = (r < 0n ? -r : r) * 2n;
  switch (mode) {
    case "down":
      return q;
    case "up":
      return awayFromZero;
    case "ceil":
      return negative ? q : awayFromZero;
    case "floor":
      return negative ? awayFromZero : q;
    case "half_up":
      return twiceRemainder >= d ? awayFromZero : q;
    case "half_down":
      return twiceRemainder > d ? awayFromZero : q;
    case "half_even":
      if (twiceRemainder > d) return awayFromZero;
      if (twiceRemainder < d) return q;
      return q % 2n === 0n ? q : awayFromZero;
    default: {
      const unknown: never = mode;
      throw new BillingError("VALIDATION_FAILED", `Unknown rounding mode ${String(unknown)}`);
    }
  }
}

/** Rounds to `scale` decimal places (0 = whole numbers) with `mode`. */
export function round(a: Decimal, scale: number, mode: RoundingMode): Decimal {
  if (a.scale <= scale) return a;
  const divisor = pow10(a.scale - scale);
  return normalize({ coef: roundQuotient(a.coef, divisor, mode), scale });
}

/** a / b rounded to `scale` places with `mode`. Throws on division by zero. */
export function div(a: Decimal, b: Decimal, scale: number, mode: RoundingMode): Decimal {
  if (b.coef === 0n) throw new BillingError("INVALID_AMOUNT", "Division by zero");
  // a/b = (a.coef / 10^a.scale) / (b.coef / 10^b.scale); scale the numerator so the integer
  // quotient carries `scale` places.
  let n = a.coef * pow10(scale + b.scale);
  let d = b.coef * pow10(a.scale);
  if (d < 0n) {
    n = -n;
    d = -d;
  }
  return normalize({ coef: roundQuotient(n, d, mode), scale });
}

/** Rounds to a whole number and returns it as a bigint. */
export function toBigInt(a: Decimal, mode: RoundingMode): bigint {
  return round(a, 0, mode).coef;
}

/**
 * Rounds to a whole number and returns it as a safe JS integer (money in minor units).
 * Throws rather than lose precision past Number.MAX_SAFE_INTEGER.
 */
export function toSafeInteger(a: Decimal, mode: RoundingMode, field = "amount"): number {
  const value = toBigInt(a, mode);
  // Exact when it gives a safe integer: one conversion instead of two BigInt comparisons.
  const number = Number(value);
  if (!Number.isSafeInteger(number)) {
    throw new BillingError("INVALID_AMOUNT", `${field} is too large to represent exactly: ${value}`, { field });
  }
  return number;
}

/** Plain decimal notation without exponent or trailing zeros: "0.75", "-12", "0". */
export function toDecimalString(a: Decimal): string {
  const { coef, scale } = a;
  // A Number prints faster than a BigInt, and every amount a line bills fits in one. The
  // conversion is exact when it gives a safe integer (a larger BigInt never converts to one).
  const number = Number(coef);
  const safe = Number.isSafeInteger(number);
  if (scale === 0) return safe ? String(number) : coef.toString();
  if (number === 0) return "0";
  const negative = number < 0;
  const digits = safe ? String(negative ? -number : number) : (negative ? -coef : coef).toString();
  // Trailing zeros are dropped from the text: one BigInt conversion per call instead of a BigInt
  // division per zero (this runs for every quantity and amount of every priced line).
  let end = digits.length;
  let places = scale;
  while (places > 0 && digits.charCodeAt(end - 1) === 48) {
    end -= 1;
    places -= 1;
  }
  const significant = end === digits.length ? digits : digits.slice(0, end);
  const sign = negative ? "-" : "";
  if (places === 0) return `${sign}${significant}`;
  const padded = significant.length > places ? significant : significant.padStart(places + 1, "0");
  return `${sign}${padded.slice(0, -places)}.${padded.slice(-places)}`;
}

/** Parses and re-prints, for canonical storage and comparison of decimal strings. */
export function canonicalDecimal(input: unknown, options: ParseOptions = {}): string {
  if (typeof input === "string" && isCanonicalInteger(input)) return input;
  return toDecimalString(parseDecimal(input, options));
}

/**
 * Whether a text is already a whole number as toDecimalString writes it ("0", "746", "-12": no
 * sign but a minus, no leading zero, no "-0"): what sums of whole quantities read back from the
 * database mostly are, returned as they are without a pattern match or a BigInt.
 */
function isCanonicalInteger(text: string): boolean {
  const length = text.length;
  let index = text.charCodeAt(0) === 45 ? 1 : 0;
  if (index === length) return false;
  if (text.charCodeAt(index) === 48) return length === 1;
  for (; index < length; index++) {
    const code = text.charCodeAt(index);
    if (code < 48 || code > 57) return false;
  }
  return true;
}

/** Number of significant digits, as Stripe counts them for meter event values. */
export function significantDigits(a: Decimal): number {
  const n = normalize(a);
  if (n.coef === 0n) return 1;
  return (n.coef < 0n ? -n.coef : n.coef).toString().length;
}
