import { afterAll, beforeAll, describe, expect, it } from "vitest";
import fc from "fast-check";
import { arrayLiteral } from "../../src/store/array-literal.ts";
import { driverName, openTestStore, type TestStore } from "../support/store.ts";

let store: TestStore;

beforeAll(async () => {
  store = await openTestStore({ migrate: false });
});
afterAll(() => store.cleanup());

async function roundTrip(values: Array<string | null>): Promise<Array<string | null>> {
  const { rows } = await store.query<{ v: string | null }>("SELECT v FROM unnest($1::text[]) WITH ORDINALITY AS t(v, n) ORDER BY n", [arrayLiteral(values)]);
  return rows.map((row) => row.v);
}

describe(`arrayLiteral (${driverName})`, () => {
  it("reads back exactly the text values it was given, NULLs included", async () => {
    const values = ["plain", "", " padded ", "NULL", "null", 'say "hi"', "back\\slash", "\\\"", "a,b", "{x}", "{", "}", "é ü 日本", "tab\there", "line\nbreak", null];
    expect(await roundTrip(values)).toEqual(values);
  });

  it("reads back any text without NUL characters", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.option(fc.string({ unit: "binary" }).filter((s) => !s.includes("\u0000")), { nil: null }), { maxLength: 20 }), async (values) => {
        expect(await roundTrip(values)).toEqual(values);
      }),
      { numRuns: 100 },
    );
  });

  it("casts to numeric, timestamptz and boolean arrays", async () => {
    const { rows } = await store.query<{ q: string; at: Date; given: boolean }>(
      "SELECT q, at, given FROM unnest($1::numeric[], $2::timestamptz[], $3::boolean[]) AS t(q, at, given)",
      [arrayLiteral(["1.50", "-2"]), arrayLiteral(["2026-03-01T00:00:00.000Z", "2026-03-01T01:00:00+01:00"]), arrayLiteral([true, false])],
    );
    expect(rows).toEqual([
      { q: "1.50", at: new Date("2026-03-01T00:00:00Z"), given: true },
      { q: "-2", at: new Date("2026-03-01T00:00:00Z"), given: false },
    ]);
  });

  it("writes an empty array as {}", async () => {
    expect(arrayLiteral([])).toBe("{}");
    expect(await roundTrip([])).toEqual([]);
  });
});
