import { z } from "zod";
import type { Catalog } from "../../core/catalog/index.ts";
import { BillingError } from "../../core/errors.ts";
import { NAMED_WINDOWS, type BillingCycle, type Window, type WindowSpec } from "../../core/periods.ts";
import { storableText } from "../../core/storable-text.ts";
import { refineSupportedInstant } from "../../core/supported-time.ts";
import { parseWith } from "../../core/validation.ts";
import type { Sql } from "../../store/types.ts";
import { cyclesAt } from "../plan-interval.ts";
import type { WindowInput } from "./types.ts";

export const customerIdSchema = storableText().min(1).max(255);

/** A Date or an ISO 8601 date-time with a zone, as a Date, in the supported range (1970 to 9999). */
export const dateLike = z
  .union([z.date(), z.iso.datetime({ offset: true, error: "must be a Date or an ISO 8601 date-time with a zone" })])
  .transform((value) => new Date(value))
  .superRefine(refineSupportedInstant);

export const windowInputSchema = z.union([z.enum(NAMED_WINDOWS), z.strictObject({ from: dateLike, to: dateLike })], {
  error: `must be one of ${NAMED_WINDOWS.join(", ")}, or { from, to }`,
});

export const filterSchema = z
  .record(storableText().min(1).max(128), storableText())
  .refine((filter) => Object.keys(filter).length <= 20, "may hold at most 20 properties");

export const atSchema = dateLike.optional();

/** Parses a window input into a spec; `fallback` when none is given. */
export function windowSpecOf(input: WindowInput | undefined, fallback: WindowSpec): WindowSpec {
  if (input === undefined) return fallback;
  return parseWith(windowInputSchema, input, "VALIDATION_FAILED", "window");
}

/**
 * A window the ledger functions take directly: valid dates, from < to when both are set.
 * Checked here because these functions are called with windows built in code, not parsed input.
 */
export function checkWindow(window: Window, field = "window"): Window {
  const valid = (at: Date | null) => at === null || (at instanceof Date && !Number.isNaN(at.getTime()));
  if (!valid(window.from) || !valid(window.to)) {
    throw new BillingError("VALIDATION_FAILED", `${field} needs Dates (or null for an open side)`, { field });
  }
  if (window.from !== null && window.to !== null && !(window.from < window.to)) {
    throw new BillingError("VALIDATION_FAILED", `${field} needs from < to`, { field: `${field}.from` });
  }
  return window;
}

export interface CustomerCycle {
  id: string;
  cycle: BillingCycle;
}

/**
 * The billing cycles of customers (their current period, and the interval of the plan each held
 * at `at`: a `billing_period` window at `at` is a period of it), refusing unknown ids with
 * CUSTOMER_NOT_FOUND naming each one.
 */
export async function loadCycles(sql: Sql, catalog: Catalog, customerIds: readonly string[], at: Date, field: (index: number) => string): Promise<Map<string, BillingCycle>> {
  const { rows } = await sql.query<{ id: string; period_start: Date | null; period_end: Date | null }>(
    "SELECT id, period_start, period_end FROM customers WHERE id = ANY($1::text[])",
    [[...new Set(customerIds)]],
  );
  const cycles = new Map(rows.map((row) => [row.id, { periodStart: row.period_start, periodEnd: row.period_end }]));
  const missing = customerIds.map((id, index) => ({ id, index })).filter(({ id }) => !cycles.has(id));
  if (missing.length > 0) {
    const first = missing[0]!;
    throw new BillingError("CUSTOMER_NOT_FOUND", `customer ${JSON.stringify(first.id)} does not exist${missing.length > 1 ? ` (nor ${missing.length - 1} more)` : ""}`, {
      field: field(first.index),
      details: { missing: missing.map(({ id }) => id) },
    });
  }
  return cyclesAt(sql, catalog, cycles, at);
}
