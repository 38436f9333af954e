import { expect } from "vitest";
import { parseDecimal, toDecimalString, type Decimal } from "../../../src/core/decimal.ts";
import { BillingError, type BillingErrorCode } from "../../../src/core/errors.ts";

/** Exact decimal from text or number, for readable test inputs. */
export const d = (value: string | number): Decimal => parseDecimal(value);

/** A decimal as its canonical string, for exact comparisons. */
export const str = (value: Decimal): string => toDecimalString(value);

/** Runs `fn`, expecting a BillingError with `code` and `field`; returns it for further checks. */
export function billingErrorOf(fn: () => unknown, code: BillingErrorCode, field?: string): BillingError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(BillingError);
    const billing = error as BillingError;
    expect({ code: billing.code, field: billing.field }).toEqual({ code, field });
    return billing;
  }
  throw new Error(`expected a BillingError ${code}, but nothing was thrown`);
}
