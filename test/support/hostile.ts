import fc from "fast-check";
import { expect } from "vitest";
import { ERROR_CODES } from "../../src/core/errors.ts";
import type { Sql } from "../../src/store/types.ts";

/** One seed for every hostile-input property, so a failure replays exactly. */
export const SEED = 20_261_122;

/** Row counts of every table in the store's schema, by table name. */
export async function tableCounts(sql: Sql): Promise<Record<string, number>> {
  const { rows: tables } = await sql.query<{ name: string }>(
    "SELECT table_name AS name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' ORDER BY table_name",
  );
  const union = tables.map((t) => `SELECT '${t.name}' AS name, count(*)::int AS n FROM "${t.name}"`).join(" UNION ALL ");
  const { rows } = await sql.query<{ name: string; n: number }>(union);
  return Object.fromEntries(rows.map((row) => [row.name, row.n]));
}

/** Rows added across all tables between two `tableCounts` snapshots (never negative). */
export function rowsAdded(before: Record<string, number>, after: Record<string, number>): number {
  return Object.keys({ ...before, ...after }).reduce((sum, name) => sum + Math.abs((after[name] ?? 0) - (before[name] ?? 0)), 0);
}

/** A refusal as every route answers one: 4xx with `{ error: { code, message, field? } }`. */
export function expectRefusal(status: number, body: unknown): void {
  expect(status, JSON.stringify(body)).toBeGreaterThanOrEqual(400);
  expect(status, JSON.stringify(body)).toBeLessThan(500);
  expect(body).toMatchObject({ error: { code: expect.any(String), message: expect.any(String) } });
  const error = (body as { error: { code: string; message: string; field?: unknown } }).error;
  expect(Object.keys(ERROR_CODES)).toContain(error.code);
  expect(error.message.length).toBeGreaterThan(0);
  if (error.field !== undefined) expect(typeof error.field).toBe("string");
}

/** A JSON text fragment inserted as is (numbers JSON.stringify cannot write, broken syntax). */
export class Raw {
  constructor(readonly text: string) {}
}

/** JSON text of `value`, with Raw fragments written verbatim. */
export function jsonText(value: unknown): string {
  if (value instanceof Raw) return value.text;
  if (Array.isArray(value)) return `[${value.map(jsonText).join(",")}]`;
  if (value !== null && typeof value === "object") {
    return `{${Object.entries(value).map(([k, v]) => `${JSON.stringify(k)}:${jsonText(v)}`).join(",")}}`;
  }
  return JSON.stringify(value) ?? "null";
}

/** Objects nested `depth` levels deep. */
export const nested = (depth: number, leaf: unknown = 1): unknown => (depth === 0 ? leaf : { a: nested(depth - 1, leaf) });

/** Any value that is not a string. */
export const notAString: fc.Arbitrary<unknown> = fc.oneof(
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.string(), { maxLength: 3 }),
  fc.dictionary(fc.string({ maxLength: 5 }), fc.string({ maxLength: 5 }), { maxKeys: 3 }),
);

/** Amounts no quantity may be: not numbers, not finite, not exact, not plain decimals. */
export const hostileAmount: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom("NaN", "Infinity", "-Infinity", "+Infinity", "nan", "1e400", "1e-400", "0x10", "1,5", "", " ", "１２", "١٢٣", "1 000", "--1", "1..2", "9".repeat(60), `0.${"1".repeat(40)}`, "-1", "-0.5"),
  fc.constantFrom(new Raw("1e400"), new Raw("-1e400"), new Raw("123456789012345678901234567890"), new Raw("9007199254740993"), new Raw("0.10000000000000000001"), new Raw("-1")),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.integer(), { maxLength: 2 }),
  fc.constant({ value: 1 }),
);

/** Bodies that are not a JSON object: broken JSON, other top-level values, nesting deeper than any body may. */
export const notAnObjectBody: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom("", " ", "null", "[]", "[{}]", '"text"', "42", "true", "{", '{"a":', "{'a': 1}", "{a: 1}", '{"a": 1,}', "\u0000", "\ufeff{}garbage"),
  fc.integer({ min: 33, max: 200 }).map((depth) => jsonText(nested(depth))),
  fc.integer({ min: 33, max: 200 }).map((depth) => `${"[".repeat(depth)}${"]".repeat(depth)}`),
  fc.string({ unit: "grapheme", maxLength: 40 }).filter((text) => {
    try {
      const parsed: unknown = JSON.parse(text);
      return parsed === null || typeof parsed !== "object" || Array.isArray(parsed);
    } catch {
      return true;
    }
  }),
);

/** Injects 1 to 3 of `mutations` into `base` (each one alone makes the body invalid). */
export function mutated(base: Record<string, unknown>, mutations: fc.Arbitrary<[string, unknown]>): fc.Arbitrary<Record<string, unknown>> {
  return fc.array(mutations, { minLength: 1, maxLength: 3 }).map((pairs) => ({ ...base, ...Object.fromEntries(pairs) }));
}

/** Tallies a property's cases for the line each file prints. */
export class Tally {
  cases = 0;
  refused = 0;
  count(status: number): void {
    this.cases += 1;
    if (status >= 400 && status < 500) this.refused += 1;
  }
}
