import { cmp, parseDecimal } from "../core/decimal.ts";
import { BillingError } from "../core/errors.ts";
import { unstorablePart } from "../core/storable-text.ts";

/** Deeper than any body billhub accepts needs; refused before parsing so nothing recurses on it. */
export const MAX_JSON_DEPTH = 32;
/** Longer number literals are never exact as JSON numbers; they belong in strings. */
const MAX_NUMBER_LENGTH = 40;

interface Frame {
  array: boolean;
  index: number;
  key: string | undefined;
}

function pathOf(stack: readonly Frame[]): string {
  return stack.map((frame) => (frame.array ? String(frame.index) : (frame.key ?? ""))).join(".") || "body";
}

function inexact(field: string, literal: string, why: string): BillingError {
  const shown = literal.length > MAX_NUMBER_LENGTH ? `${literal.slice(0, MAX_NUMBER_LENGTH)}…` : literal;
  return new BillingError("VALIDATION_FAILED", `${field}: the number ${shown} ${why}; send it as a decimal string ("${shown}")`, { field });
}

/** Refuses a number literal that a JavaScript number would change (precision, overflow). */
function checkNumber(literal: string, field: string): void {
  if (literal.length > MAX_NUMBER_LENGTH) throw inexact(field, literal, "is too long to be exact as a JSON number");
  const value = Number(literal);
  if (!Number.isFinite(value)) throw inexact(field, literal, "is out of range for a JSON number");
  let same: boolean;
  try {
    same = cmp(parseDecimal(literal), parseDecimal(value)) === 0;
  } catch {
    same = false;
  }
  if (!same) throw inexact(field, literal, `cannot be held exactly by a JSON number (it would become ${value})`);
}

/**
 * One pass over the raw text before `JSON.parse`: nesting deeper than MAX_JSON_DEPTH and number
 * literals that would silently change as JavaScript numbers (`9007199254740993`,
 * `0.10000000000000000001`, `1e400`) are refused naming the field. Quantities and amounts are
 * exact decimals; a JSON number that cannot carry one exactly must not reach them rounded.
 * Malformed JSON is left for `JSON.parse` to report.
 */
function scan(text: string): void {
  const stack: Frame[] = [];
  let i = 0;
  while (i < text.length) {
    const ch = text[i]!;
    if (ch === '"') {
      let end = i + 1;
      while (end < text.length && text[end] !== '"') end += text[end] === "\\" ? 2 : 1;
      const top = stack.at(-1);
      if (top !== undefined && !top.array && top.key === undefined) {
        let after = end + 1;
        while (after < text.length && /\s/.test(text[after]!)) after += 1;
        if (text[after] === ":") {
          try {
            top.key = JSON.parse(text.slice(i, end + 1)) as string;
          } catch {
            return;
          }
        }
      }
      i = end + 1;
    } else if (ch === "{" || ch === "[") {
      if (stack.length >= MAX_JSON_DEPTH) {
        throw new BillingError("VALIDATION_FAILED", `${pathOf(stack)}: the body nests deeper than ${MAX_JSON_DEPTH} levels`, { field: pathOf(stack) });
      }
      stack.push({ array: ch === "[", index: 0, key: undefined });
      i += 1;
    } else if (ch === "}" || ch === "]") {
      stack.pop();
      i += 1;
    } else if (ch === ",") {
      const top = stack.at(-1);
      if (top?.array) top.index += 1;
      else if (top) top.key = undefined;
      i += 1;
    } else if (ch === "-" || (ch >= "0" && ch <= "9")) {
      const match = /^-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?/.exec(text.slice(i, i + 4096));
      const literal = match?.[0] ?? ch;
      checkNumber(literal, pathOf(stack));
      i += literal.length;
    } else {
      i += 1;
    }
  }
}

/**
 * Parses a request body that must be a JSON object: empty bodies, malformed JSON, other
 * top-level values, excessive nesting, inexact numbers and text no PostgreSQL value can hold
 * (a NUL character `\u0000`, a lone surrogate `\ud800`) are VALIDATION_FAILED naming the field.
 *
 * @example
 * parseJsonBody('{"quantity": 9007199254740993}') // throws: quantity: ... send it as a decimal string
 */
export function parseJsonBody(text: string): Record<string, unknown> {
  if (text.trim() === "") throw new BillingError("VALIDATION_FAILED", "Request body is empty; send a JSON object", { field: "body" });
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new BillingError("VALIDATION_FAILED", `Request body is not valid JSON: ${(error as Error).message}`, { field: "body" });
  }
  scan(text);
  if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) {
    throw new BillingError("VALIDATION_FAILED", `Request body must be a JSON object, got ${parsed === null ? "null" : Array.isArray(parsed) ? "an array" : typeof parsed}`, { field: "body" });
  }
  const unstorable = unstorablePart(parsed);
  if (unstorable !== undefined) {
    const field = unstorable.path.join(".");
    throw new BillingError("VALIDATION_FAILED", `${field}: ${unstorable.message}`, { field });
  }
  return parsed as Record<string, unknown>;
}
