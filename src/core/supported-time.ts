import { z } from "zod";
import { BillingError } from "./errors.ts";

/**
 * The one range of time billhub accepts: instants from 1970-01-01T00:00:00Z up to (not
 * including) 10000-01-01T00:00:00Z, and windows that end by then. Outside it, years stop being
 * four digits: year 0 has no PostgreSQL form, year 10000 prints as "+010000", and years below
 * 100 are read back as 19xx or 20xx by date parsers. Refusing at the boundary keeps every such
 * value out of the store and out of calendar arithmetic.
 */
export const FIRST_SUPPORTED_MS = 0;
/** 10000-01-01T00:00:00Z, exclusive. */
export const END_OF_SUPPORTED_MS = 253_402_300_800_000;
export const SUPPORTED_RANGE = "from 1970-01-01T00:00:00Z to 9999-12-31T23:59:59.999Z";

/**
 * Why `at` is outside the supported range (or not a valid Date), or undefined when it is inside.
 *
 * @example
 * instantProblem(new Date("2026-03-01T00:00:00Z")) // undefined
 * instantProblem(new Date("0000-01-01T00:00:00Z")) // "must be a time from 1970-01-01T00:00:00Z to 9999-12-31T23:59:59.999Z"
 */
export function instantProblem(at: Date): string | undefined {
  const ms = at.getTime();
  if (Number.isNaN(ms)) return "must be a valid date";
  return ms >= FIRST_SUPPORTED_MS && ms < END_OF_SUPPORTED_MS ? undefined : `must be a time ${SUPPORTED_RANGE}`;
}

/** Refines a Date (or a date-time string) to the supported range. */
export function refineSupportedInstant(value: Date | string, ctx: z.RefinementCtx): void {
  const problem = instantProblem(value instanceof Date ? value : new Date(value));
  if (problem !== undefined) ctx.addIssue({ code: "custom", message: problem });
}

/**
 * Refuses a window whose end falls on or after 10000-01-01 (a month window at 9999-12-31 does),
 * naming `field`, the input that placed it there. Open ends (null) are fine.
 *
 * @example
 * checkWindowEnd({ from: ..., to: new Date(END_OF_SUPPORTED_MS) }, "at") // throws VALIDATION_FAILED, field "at"
 */
export function checkWindowEnd<W extends { to: Date | null }>(window: W, field: string): W {
  if (window.to !== null && window.to.getTime() >= END_OF_SUPPORTED_MS) {
    throw new BillingError("VALIDATION_FAILED", `${field}: the window it gives ends at ${window.to.toISOString()}; windows must end before 10000-01-01T00:00:00Z`, { field });
  }
  return window;
}
