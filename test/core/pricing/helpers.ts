import { expect } from "vitest";
import { parseDecimal, toDecimalString, type Decimal } from "../../../src/core/decimal.ts";
import { BillingError, type BillingErrorCode } from "../../../src/core/errors.ts";
import { prepareTiers } from "../../../src/core/pricing/prepared-tiers.ts";

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

// Stripe docs, "Set up tiered pricing" (docs.stripe.com/subscriptions/pricing-models/tiered-pricing):
// 1–5 fonts at 7 USD, 6–10 at 6.5 USD, 11+ at 6 USD.
export const typographicTiers = prepareTiers([
  { upTo: 5, unitAmount: "700" },
  { upTo: 10, unitAmount: "650" },
  { upTo: null, unitAmount: "600" },
]);

// Same page, "Add a flat rate": unit and flat amounts per tier.
export const flatRateTiers = prepareTiers([
  { upTo: 5, unitAmount: "500", flatAmount: 1000 },
  { upTo: 10, unitAmount: "400", flatAmount: 2000 },
  { upTo: 15, unitAmount: "300", flatAmount: 3000 },
  { upTo: 20, unitAmount: "200", flatAmount: 4000 },
  { upTo: null, unitAmount: "100", flatAmount: 5000 },
]);
