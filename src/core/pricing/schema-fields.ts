import { z } from "zod";
import { cmp, isDecimalLike, parseDecimal, sign, toDecimalString } from "../decimal.ts";

/**
 * The zod fields prices are written with. Non-whole numbers must be decimal strings ("0.5"), so a
 * float computed in JavaScript can never slip into a catalog; whole numbers may be plain numbers.
 * Decimal fields come out canonical ("0.50" → "0.5", 700 → "700").
 */

function decimalField(example: string) {
  return z.union([z.string(), z.number()]).transform((value, ctx): string => {
    if (typeof value === "number" && !Number.isSafeInteger(value)) {
      ctx.addIssue({ code: "custom", message: `must be a decimal string such as "${example}" when it is not a whole number, got ${value}` });
      return z.NEVER;
    }
    if (!isDecimalLike(value)) {
      ctx.addIssue({ code: "custom", message: `must be a decimal number such as "${example}", got ${JSON.stringify(value)}` });
      return z.NEVER;
    }
    const parsed = parseDecimal(value);
    if (sign(parsed) < 0) {
      ctx.addIssue({ code: "custom", message: `must not be negative, got ${JSON.stringify(value)}` });
      return z.NEVER;
    }
    return toDecimalString(parsed);
  });
}

/** A price per unit in minor units of the plan currency, sub-minor allowed: "0.5" is half a cent. */
export const unitAmountField = decimalField("0.5");

/** A decimal amount in minor units (fees per event, free amounts). */
export const minorDecimalField = decimalField("12.5");

/** A non-negative quantity of usage (included units). */
export const quantityField = decimalField("1000");

const HUNDRED = parseDecimal(100);

/** A percentage: "1.2" is 1.2 %. Capped at 100 so that "120" for "1.20 %" fails loudly. */
export const percentField = decimalField("1.2").refine((value) => cmp(parseDecimal(value), HUNDRED) <= 0, {
  message: "must be a percentage between 0 and 100",
});

/** A whole amount in minor units (flat fees): 1999 is 19.99 USD. */
export const minorAmountField = z
  .number({ error: "must be a whole number of minor units such as 1999" })
  .int("must be a whole number of minor units such as 1999")
  .min(0, "must not be negative")
  .refine(Number.isSafeInteger, "is too large to represent exactly");

/** A whole number of at least 1 (tier bounds, package sizes). */
export const positiveWholeField = z.union([z.number(), z.string()]).transform((value, ctx): number => {
  const n = typeof value === "string" && /^\d+$/.test(value) ? Number(value) : value;
  if (typeof n !== "number" || !Number.isSafeInteger(n) || n < 1) {
    ctx.addIssue({ code: "custom", message: `must be a whole number of at least 1, got ${JSON.stringify(value)}` });
    return z.NEVER;
  }
  return n;
});

/** Keys of charges and meters: non-empty, no surrounding spaces. */
export const keyField = z
  .string()
  .min(1, "must not be empty")
  .max(200, "must be at most 200 characters")
  .refine((value) => value.trim() === value, "must not start or end with spaces");
