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

/** Awaits `promise` and returns the code, field and message of the BillingError it rejects with; anything else, or no rejection, fails the test. */
export async function refusalOf(promise: Promise<unknown>): Promise<{ code: string; field: string | undefined; message: string }> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof BillingError) return { code: error.code, field: error.field, message: error.message };
    throw error;
  }
  throw new Error("expected a refusal");
}
