import { add, cmp, parseDecimal, sign, toDecimalString, ZERO, type Decimal } from "../decimal.ts";
import { BillingError, listKeys } from "../errors.ts";

/**
 * A meter's usage for the period: its aggregated quantity (a decimal string or a number), or
 * `{ quantity, events }` when a model needs each event's value (percentage fees). Events are in
 * the order they happened; their values must add up to `quantity`.
 */
export type MeterUsageInput = string | number | { readonly quantity: string | number; readonly events?: readonly (string | number)[] };
export type UsageInput = Readonly<Record<string, MeterUsageInput>>;

export interface MeterUsage {
  readonly quantity: Decimal;
  readonly events: readonly Decimal[] | undefined;
  /**
   * The quantity as given when it was a whole Number (a safe integer, the usual case), so that
   * pricing prints it and places it among tier bounds without converting the BigInt back.
   */
  readonly units: number | undefined;
}

/** Usage of a meter that has charges but no entry: nothing happened. */
export const NO_USAGE: MeterUsage = Object.freeze({ quantity: ZERO, events: Object.freeze([]), units: 0 });

function readQuantity(value: unknown, field: string): Decimal {
  const quantity = parseDecimal(value, { field, code: "INVALID_USAGE" });
  if (sign(quantity) < 0) {
    throw new BillingError("INVALID_USAGE", `${field} must not be negative, got ${toDecimalString(quantity)}`, { field });
  }
  return quantity;
}

/** The common case, a whole non-negative Number: small enough for V8 to inline where usage is read. */
function wholeUsage(value: number): MeterUsage {
  return { quantity: value === 0 ? ZERO : { coef: BigInt(value), scale: 0 }, events: undefined, units: value };
}

function readMeterUsage(value: unknown, meter: string): MeterUsage {
  const field = `usage.${meter}`;
  if (typeof value === "string" || typeof value === "number") return { quantity: readQuantity(value, field), events: undefined, units: undefined };
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new BillingError("INVALID_USAGE", `${field} must be a quantity or { quantity, events }, got ${Array.isArray(value) ? "an array" : value === null ? "null" : typeof value}`, { field });
  }
  const record = value as Record<string, unknown>;
  for (const name of Object.keys(record)) {
    if (name !== "quantity" && name !== "events") {
      throw new BillingError("INVALID_USAGE", `${field}.${name} is not a usage field; expected quantity and events`, { field: `${field}.${name}` });
    }
  }
  const quantity = readQuantity(record.quantity, `${field}.quantity`);
  if (record.events === undefined) return { quantity, events: undefined, units: undefined };
  if (!Array.isArray(record.events)) {
    throw new BillingError("INVALID_USAGE", `${field}.events must be a list of event values`, { field: `${field}.events` });
  }
  const events = record.events.map((event, index) => readQuantity(event, `${field}.events.${index}`));
  const total = events.reduce(add, ZERO);
  if (cmp(total, quantity) !== 0) {
    throw new BillingError(
      "INVALID_USAGE",
      `${field}.events add up to ${toDecimalString(total)} but ${field}.quantity is ${toDecimalString(quantity)}; they must agree`,
      { field: `${field}.events` },
    );
  }
  return { quantity, events, units: undefined };
}

/**
 * Reads and checks usage against the meters a plan charges for, given with their positions. Each
 * meter's usage lands at its position (a list rather than a map: this runs for every priced
 * period); a meter without usage leaves its position empty. Usage for a meter no charge uses
 * is refused: a misspelt meter would otherwise bill 0 for the real one without a word.
 *
 * @example
 * readUsage({ api_calls: "1200", payments: { quantity: 300, events: [100, 200] } }, new Map([["api_calls", 0], ["payments", 1]]))
 * // [{ quantity: 1200, events: undefined }, { quantity: 300, events: [100, 200] }]
 */
export function readUsage(usage: unknown, meters: ReadonlyMap<string, number>): readonly (MeterUsage | undefined)[] {
  if (typeof usage !== "object" || usage === null || Array.isArray(usage)) {
    throw new BillingError("INVALID_USAGE", "usage must be an object of meter key → quantity", { field: "usage" });
  }
  const read = new Array<MeterUsage | undefined>(meters.size);
  for (const meter in usage) {
    if (!Object.hasOwn(usage, meter)) continue;
    const position = meters.get(meter);
    if (position === undefined) {
      throw new BillingError("INVALID_USAGE", `usage.${meter}: no charge of this plan uses meter "${meter}"; charged meters: ${listKeys(meters.keys())}`, {
        field: `usage.${meter}`,
        details: { validMeters: [...meters.keys()].sort() },
      });
    }
    const value = (usage as Record<string, unknown>)[meter];
    read[position] = typeof value === "number" && Number.isSafeInteger(value) && value >= 0 ? wholeUsage(value) : readMeterUsage(value, meter);
  }
  return read;
}
