import { BillingError } from "../../src/core/errors.ts";

/** Runs `fn` and returns the BillingError it throws; anything else thrown, or nothing, fails the test. */
export function thrownBillingError(fn: () => unknown): BillingError {
  try {
    fn();
  } catch (error) {
    if (error instanceof BillingError) return error;
    throw error;
  }
  throw new Error("expected a BillingError, but nothing was thrown");
}
