import { createHash } from "node:crypto";
import { arrayLiteral } from "./array-literal.ts";

/**
 * The server-side name of a prepared statement: derived from its text, so that the same text
 * gets the same name on every connection and different texts never share one.
 */
const names = new Map<string, string>();

export function preparedName(text: string): string {
  let name = names.get(text);
  if (name === undefined) {
    name = `billhub_${createHash("sha256").update(text).digest("hex").slice(0, 24)}`;
    names.set(text, name);
  }
  return name;
}

/**
 * A parameter of a prepared statement as an SQL literal, for `EXECUTE name(…)`, which takes no
 * bind parameters. The E'' form escapes quotes and backslashes whatever
 * standard_conforming_strings says; the statement's parameter types cast the literal.
 */
export function sqlLiteral(value: unknown): string {
  if (value === null || value === undefined) return "NULL";
  if (value instanceof Date) return `'${value.toISOString()}'`;
  // A flat array, as an array literal (for a parameter cast to an array type, `$1::text[]`).
  if (Array.isArray(value)) return sqlLiteral(arrayLiteral(value.map((element: unknown) => (element instanceof Date ? element.toISOString() : element))));
  switch (typeof value) {
    case "string":
      if (value.includes("\0")) throw new TypeError("a prepared statement's parameter cannot contain a NUL character");
      return `E'${value.replace(/\\/g, "\\\\").replace(/'/g, "''")}'`;
    case "number":
      if (!Number.isFinite(value)) throw new TypeError(`a prepared statement's parameter must be a finite number, got ${value}`);
      return `'${String(value)}'`;
    case "bigint":
    case "boolean":
      return `'${String(value)}'`;
    default:
      throw new TypeError(`a prepared statement's parameter must be a string, number, boolean, Date, null or an array of them, got ${typeof value}`);
  }
}
