import { createHash } from "node:crypto";

/**
 * A hash of a state that does not depend on key order, so the same state read from an event and
 * from a re-read compares equal. Dates count by their instant.
 *
 * @example
 * stateHash({ a: 1, b: [2] }) === stateHash({ b: [2], a: 1 }) // true
 */
export function stateHash(state: unknown): string {
  return createHash("sha256").update(canonical(state)).digest("hex");
}

function canonical(value: unknown): string {
  if (value instanceof Date) return JSON.stringify(value.toISOString());
  if (Array.isArray(value)) return `[${value.map(canonical).join(",")}]`;
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value).filter(([, inner]) => inner !== undefined).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([key, inner]) => `${JSON.stringify(key)}:${canonical(inner)}`).join(",")}}`;
  }
  return JSON.stringify(value ?? null);
}
