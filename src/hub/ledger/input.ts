import { z } from "zod";
import { requireMeter, type Catalog, type Meter } from "../../core/catalog/index.ts";
import { neg, parseDecimal, sign, toDecimalString, type Decimal } from "../../core/decimal.ts";
import { BillingError, isBillingError, type BillingErrorCode } from "../../core/errors.ts";
import { storableText, textProblem } from "../../core/storable-text.ts";
import { refineSupportedInstant } from "../../core/supported-time.ts";
import { issuePath, zodToBillingError } from "../../core/validation.ts";
import type { UsageKind } from "./types.ts";

/** Most events one call may record: one round trip's worth, and what the service accepts in one body. */
export const MAX_BATCH = 1000;
/** Stripe refuses meter events more than 5 minutes ahead; usage that has not happened yet is a bug. */
const MAX_FUTURE_MS = 5 * 60_000;
const MAX_SCALE = 18;
const MAX_DIGITS = 38;
const MAX_PROPERTIES = 50;
const MAX_PROPERTIES_BYTES = 8192;

/** An event checked against the catalog and put in canonical form, ready for the ledger. */
export interface NormalizedEvent {
  transactionId: string;
  customerId: string;
  meter: Meter;
  /** Canonical decimal, signed as stored. */
  quantity: string;
  occurredAt: Date;
  timestampGiven: boolean;
  kind: UsageKind;
  reason: string | null;
  properties: Record<string, unknown>;
  /** Canonical JSON (keys sorted) for comparisons and for the jsonb column. */
  propertiesJson: string;
}

/** One problem with one input item of a call. */
export interface ItemError {
  index: number;
  field: string;
  code: BillingErrorCode;
  message: string;
}

const text = (max: number) => storableText().min(1).max(max);

/** Printable ASCII only: the id travels to Stripe (identifier, at most 100 characters) and Flowglad as is. */
export const transactionIdSchema = z
  .string()
  .regex(/^[\x21-\x7e]{1,100}$/, "must be 1 to 100 printable ASCII characters without spaces (it is also the key sent to providers)");
const timestampSchema = z
  .union([z.date(), z.iso.datetime({ offset: true, error: "must be a Date or an ISO 8601 date-time with a zone, e.g. 2026-03-01T12:00:00Z" })])
  .superRefine(refineSupportedInstant);
// Values are checked (and serialized) by canonicalJson, in one walk.
const propertiesSchema = z.record(storableText().min(1).max(128), z.unknown());

const common = {
  customerId: text(255),
  meter: z.string(),
  quantity: z.union([z.string(), z.number()], { error: "must be a decimal string or a number" }),
  transactionId: transactionIdSchema,
  timestamp: timestampSchema.optional(),
  properties: propertiesSchema.optional(),
};

/** The shape of one usage event (`record`, `recordBatch`); the catalog and the amounts are checked after it. */
export const usageEventSchema = z.strictObject({ ...common, kind: z.enum(["usage", "correction"]).optional(), reason: text(500).optional() });
/** The shape of one refund or bonus (`adjust`). */
export const adjustmentEventSchema = z.strictObject({ ...common, kind: z.enum(["refund", "bonus"]), reason: text(500) });

function fieldOf(prefix: string, name: string): string {
  return prefix === "" ? name : `${prefix}.${name}`;
}

const MAX_DEPTH = 10;

function notJson(field: string, why: string): never {
  throw new BillingError("INVALID_USAGE", `${field} ${why}`, { field });
}

/**
 * Serializes JSON metadata canonically (keys sorted, so equal objects give equal text) and refuses
 * what JSON or PostgreSQL's jsonb cannot hold (undefined, NaN, Dates, class instances, U+0000, lone surrogates).
 */
function canonicalJson(value: unknown, field: string, depth = 0): string {
  if (value === null || typeof value === "boolean") return String(value);
  if (typeof value === "number") return Number.isFinite(value) ? JSON.stringify(value) : notJson(field, `must be a finite number, got ${value}`);
  if (typeof value === "string") {
    const problem = textProblem(value);
    return problem === undefined ? JSON.stringify(value) : notJson(field, problem);
  }
  if (depth >= MAX_DEPTH) notJson(field, `nests deeper than ${MAX_DEPTH} levels`);
  if (Array.isArray(value)) return `[${value.map((item, index) => canonicalJson(item, `${field}.${index}`, depth + 1)).join(",")}]`;
  const prototype = typeof value === "object" ? Object.getPrototypeOf(value) : undefined;
  if (prototype !== Object.prototype && prototype !== null) {
    return notJson(field, `must be JSON (a string, number, boolean, null, array or plain object), got ${value instanceof Date ? "a Date" : typeof value}`);
  }
  const record = value as Record<string, unknown>;
  const entries = Object.keys(record)
    .sort()
    .map((key) => {
      const problem = textProblem(key);
      return problem === undefined ? `${JSON.stringify(key)}:${canonicalJson(record[key], `${field}.${key}`, depth + 1)}` : notJson(`${field}.${key}`, problem);
    });
  return `{${entries.join(",")}}`;
}

function parseQuantity(raw: string | number, field: string): Decimal {
  // The common case: a whole number, exact, of at most 16 digits and no decimal places.
  if (typeof raw === "number" && Number.isSafeInteger(raw)) return parseDecimal(raw);
  if (typeof raw === "number" && Number.isInteger(raw)) {
    throw new BillingError("INVALID_AMOUNT", `${field} is too large to be exact as a number; pass it as a decimal string`, { field });
  }
  const value = parseDecimal(raw, { field, code: "INVALID_AMOUNT" });
  if (value.scale > MAX_SCALE) throw new BillingError("INVALID_AMOUNT", `${field} has more than ${MAX_SCALE} decimal places`, { field });
  if (value.coef.toString().replace("-", "").length > MAX_DIGITS) {
    throw new BillingError("INVALID_AMOUNT", `${field} has more than ${MAX_DIGITS} significant digits`, { field });
  }
  return value;
}

const ADDITIVE = new Set(["sum", "count"]);

function invalidAmount(field: string, message: string): never {
  throw new BillingError("INVALID_AMOUNT", `${field} ${message}`, { field });
}

/** The quantity as stored: usage ≥ 0; corrections signed on sum/count meters; adjustments negated. */
function storedQuantity(raw: string | number, field: string, kind: UsageKind, meter: Meter): string {
  const value = parseQuantity(raw, field);
  switch (kind) {
    case "usage":
      if (sign(value) < 0) invalidAmount(field, "must not be negative; give usage back with a refund or a correction");
      return toDecimalString(value);
    case "correction":
      if (sign(value) < 0 && !ADDITIVE.has(meter.aggregation)) {
        invalidAmount(field, `must not be negative on meter "${meter.key}", which aggregates with ${meter.aggregation}`);
      }
      return toDecimalString(value);
    case "refund":
    case "bonus":
      if (sign(value) <= 0) invalidAmount(field, `must be a positive amount (the usage given back), got ${toDecimalString(value)}`);
      return toDecimalString(neg(value));
    default: {
      const unknown: never = kind;
      throw new BillingError("INTERNAL", `unknown usage kind ${String(unknown)}`);
    }
  }
}

function timestampOf(raw: Date | string | undefined, now: Date, field: string): { at: Date; given: boolean } {
  if (raw === undefined) return { at: now, given: false };
  const at = typeof raw === "string" ? new Date(raw) : new Date(raw.getTime());
  if (at.getTime() - now.getTime() > MAX_FUTURE_MS) {
    throw new BillingError("INVALID_USAGE", `${field} ${at.toISOString()} is more than 5 minutes in the future; usage is recorded when it happened`, { field });
  }
  return { at, given: true };
}

/** The canonical JSON of an event's properties, within the limits on keys and size. */
function checkedProperties(properties: Record<string, unknown>, field: string): string {
  const json = canonicalJson(properties, field);
  if (Object.keys(properties).length > MAX_PROPERTIES) {
    throw new BillingError("INVALID_USAGE", `${field} has more than ${MAX_PROPERTIES} keys`, { field });
  }
  if (Buffer.byteLength(json) > MAX_PROPERTIES_BYTES) {
    throw new BillingError("INVALID_USAGE", `${field} is larger than ${MAX_PROPERTIES_BYTES} bytes of JSON`, { field });
  }
  return json;
}

/** One item's schema problems; an unknown key is named itself, and quantity problems are INVALID_AMOUNT. */
function schemaErrors(issues: readonly z.core.$ZodIssue[], index: number, prefix: string): ItemError[] {
  return issues.map((issue) => {
    const path = issue.code === "unrecognized_keys" && issue.keys.length === 1 ? [...issue.path, ...issue.keys] : issue.path;
    return {
      index,
      field: issuePath(path, prefix || undefined) || prefix,
      code: path[0] === "quantity" ? "INVALID_AMOUNT" : "INVALID_USAGE",
      message: issue.message,
    };
  });
}

function normalize(catalog: Catalog, now: Date, schema: typeof usageEventSchema | typeof adjustmentEventSchema, input: unknown, index: number, prefix: string): NormalizedEvent | ItemError[] {
  const parsed = schema.safeParse(input);
  if (!parsed.success) return schemaErrors(parsed.error.issues, index, prefix);
  const item = parsed.data;
  try {
    const meter = requireMeter(catalog, item.meter, fieldOf(prefix, "meter"));
    const kind: UsageKind = item.kind ?? "usage";
    if (kind !== "usage" && item.reason === undefined) {
      throw new BillingError("INVALID_USAGE", `${fieldOf(prefix, "reason")} is required for a ${kind}`, { field: fieldOf(prefix, "reason") });
    }
    if ((kind === "refund" || kind === "bonus") && !ADDITIVE.has(meter.aggregation)) {
      const field = fieldOf(prefix, "meter");
      throw new BillingError("INVALID_USAGE", `a ${kind} only applies to sum and count meters; "${meter.key}" aggregates with ${meter.aggregation} (record a correction instead)`, { field });
    }
    const quantity = storedQuantity(item.quantity, fieldOf(prefix, "quantity"), kind, meter);
    const { at, given } = timestampOf(item.timestamp, now, fieldOf(prefix, "timestamp"));
    const properties = item.properties ?? {};
    const propertiesJson = item.properties === undefined ? "{}" : checkedProperties(item.properties, fieldOf(prefix, "properties"));
    return {
      transactionId: item.transactionId,
      customerId: item.customerId,
      meter,
      quantity,
      occurredAt: at,
      timestampGiven: given,
      kind,
      reason: item.reason ?? null,
      properties,
      propertiesJson,
    };
  } catch (error) {
    if (!isBillingError(error)) throw error;
    return [{ index, field: error.field ?? prefix, code: error.code, message: error.message }];
  }
}

/** Checks and canonicalizes usage inputs; `prefix(i)` names item i in error fields ("events.3"). */
export function normalizeUsageInputs(catalog: Catalog, now: Date, inputs: readonly unknown[], prefix: (index: number) => string): NormalizedEvent[] {
  return collect(inputs.map((input, index) => normalize(catalog, now, usageEventSchema, input, index, prefix(index))));
}

/** Checks and canonicalizes one refund or bonus. */
export function normalizeAdjustment(catalog: Catalog, now: Date, input: unknown): NormalizedEvent {
  return collect([normalize(catalog, now, adjustmentEventSchema, input, 0, "")])[0]!;
}

function collect(results: Array<NormalizedEvent | ItemError[]>): NormalizedEvent[] {
  const errors = results.flatMap((result) => (Array.isArray(result) ? result : []));
  if (errors.length > 0) throw itemErrors(errors, results.length);
  return results as NormalizedEvent[];
}

/**
 * One BillingError for a refused call: the first problem names the code and the field, and every
 * problem is listed in `details.items` so a caller can fix the whole batch in one round trip.
 */
export function itemErrors(errors: ItemError[], total: number): BillingError {
  const first = errors[0]!;
  const message = total === 1 && errors.length === 1 ? first.message : `${errors.length} problem(s) in ${total} event(s), nothing was recorded; first ${first.field}: ${first.message}`;
  return new BillingError(first.code, message, { field: first.field, details: { items: errors } });
}

/**
 * The events of a batch body `{ "events": [...] }` (`POST /v1/usage/batch`), unvalidated:
 * `recordBatch` checks them. Only the envelope is checked here: another key beside the list is refused by name.
 *
 * @example batchEvents({ events: [{ customerId: "org_42", ... }] }) // [{ customerId: "org_42", ... }]
 */
export function batchEvents(body: Record<string, unknown> | undefined): unknown {
  const stray = Object.keys(body ?? {}).find((key) => key !== "events");
  // A missing list is the problem to name first (`recordBatch` does: "events must be an array").
  if (stray !== undefined && body?.events !== undefined) throw new BillingError("INVALID_USAGE", `${stray} is not a field of a batch; send { "events": [...] }`, { field: stray });
  return body?.events;
}

/** Checks the size of a batch before anything else. */
export function checkBatch(inputs: unknown): readonly unknown[] {
  if (!Array.isArray(inputs)) throw new BillingError("INVALID_USAGE", "events must be an array of usage events", { field: "events" });
  if (inputs.length > MAX_BATCH) {
    throw new BillingError("INVALID_USAGE", `events holds ${inputs.length} events; at most ${MAX_BATCH} per call, split the batch`, { field: "events" });
  }
  return inputs;
}

/**
 * The same-content rule, shared by the in-batch check here and the SQL check in the store: same
 * customer, meter, quantity (as a number: "1.50" = "1.5"), kind, reason and properties (as JSON
 * values, key order ignored); timestamps are compared only when both calls gave one, because a
 * retry that omitted it gets a new "now".
 */
export function sameContent(a: NormalizedEvent, b: NormalizedEvent): boolean {
  return (
    a.customerId === b.customerId &&
    a.meter.key === b.meter.key &&
    a.quantity === b.quantity &&
    a.kind === b.kind &&
    a.reason === b.reason &&
    a.propertiesJson === b.propertiesJson &&
    (!a.timestampGiven || !b.timestampGiven || a.occurredAt.getTime() === b.occurredAt.getTime())
  );
}
