import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openTestStore, driverName, type TestStore } from "../support/store.ts";
import { sqlLiteral } from "../../src/store/prepared.ts";

let store: TestStore;

beforeAll(async () => {
  store = await openTestStore();
  await store.exec(`CREATE TABLE prepared_probe (id text PRIMARY KEY, amount numeric NOT NULL, at timestamptz, flag boolean)`);
});
afterAll(() => store.cleanup());

const SELECT_ONE = "SELECT id, amount, at, flag FROM prepared_probe WHERE id = $1";

describe(`prepared statements (${driverName})`, () => {
  it("return what the same statement returns unprepared, with the same JS types", async () => {
    await store.query("INSERT INTO prepared_probe VALUES ($1, $2, $3, $4)", ["a", "12345678901234567890.5", new Date("2026-10-01T00:00:00Z"), true]);
    const plain = await store.query(SELECT_ONE, ["a"]);
    const prepared = await store.query(SELECT_ONE, ["a"], { prepare: true });
    expect(prepared.rows).toEqual(plain.rows);
    expect(prepared.rows[0]).toEqual({ id: "a", amount: "12345678901234567890.5", at: new Date("2026-10-01T00:00:00Z"), flag: true });
  });

  it("run many times with different parameters, each answering for its own", async () => {
    for (let i = 0; i < 12; i++) await store.query("INSERT INTO prepared_probe (id, amount) VALUES ($1, $2)", [`n${i}`, String(i)]);
    for (let i = 0; i < 12; i++) {
      const { rows } = await store.query<{ amount: string }>(SELECT_ONE, [`n${i}`], { prepare: true });
      expect(rows[0]!.amount).toBe(String(i));
    }
  });

  it("take quotes, backslashes and SQL in a text parameter as plain text", async () => {
    const hostile = `o'brien\\'; DROP TABLE prepared_probe; --`;
    await store.query("INSERT INTO prepared_probe (id, amount) VALUES ($1, 1)", [hostile]);
    const { rows } = await store.query<{ id: string }>(SELECT_ONE, [hostile], { prepare: true });
    expect(rows.map((row) => row.id)).toEqual([hostile]);
    expect((await store.query("SELECT count(*)::int AS n FROM prepared_probe WHERE id = $1", [hostile])).rows[0]).toEqual({ n: 1 });
  });

  it("take Dates, numbers, booleans and null as parameters", async () => {
    const { rows } = await store.query<{ at: Date; n: string; b: boolean; missing: string | null }>(
      "SELECT $1::timestamptz AS at, ($2::numeric + 1)::text AS n, NOT $3::boolean AS b, $4::text AS missing",
      [new Date("2026-11-30T23:59:59.123Z"), 41, false, null],
      { prepare: true },
    );
    expect(rows[0]).toEqual({ at: new Date("2026-11-30T23:59:59.123Z"), n: "42", b: true, missing: null });
  });

  it("take flat arrays for array parameters, with quotes, commas, NULLs and Dates in them", async () => {
    const { rows } = await store.query<{ texts: string[]; at: Date[] }>(
      "SELECT $1::text[] AS texts, $2::timestamptz[] AS at",
      [[`a,b`, `say "hi"`, null, "back\\slash"], [new Date("2026-01-01T00:00:00Z"), "2026-02-01T00:00:00.000Z"]],
      { prepare: true },
    );
    expect(rows[0]!.texts).toEqual([`a,b`, `say "hi"`, null, "back\\slash"]);
    expect(rows[0]!.at).toEqual([new Date("2026-01-01T00:00:00Z"), new Date("2026-02-01T00:00:00Z")]);
  });

  it("still work after the transaction that first prepared them rolled back", async () => {
    const text = "SELECT count(*)::int AS n FROM prepared_probe WHERE amount >= $1";
    await expect(
      store.transaction(async (tx) => {
        await tx.query(text, [0], { prepare: true });
        throw new Error("roll back");
      }),
    ).rejects.toThrow("roll back");
    const outside = await store.query<{ n: number }>(text, [0], { prepare: true });
    const inside = await store.transaction((tx) => tx.query<{ n: number }>(text, [0], { prepare: true }));
    expect(outside.rows[0]!.n).toBeGreaterThan(0);
    expect(inside.rows).toEqual(outside.rows);
  });

  it("answer every one of many concurrent first uses of the same statement", async () => {
    const text = "SELECT $1::int * 2 AS doubled";
    const answers = await Promise.all(Array.from({ length: 8 }, (_, i) => store.query<{ doubled: number }>(text, [i], { prepare: true })));
    expect(answers.map(({ rows }) => rows[0]!.doubled)).toEqual([0, 2, 4, 6, 8, 10, 12, 14]);
  });

  it("answer a first use inside a transaction while another waits outside it, without waiting on each other", async () => {
    const text = "SELECT $1::int + 1 AS next";
    const inside = store.transaction(async (tx) => {
      await new Promise((resolve) => setTimeout(resolve, 20));
      return (await tx.query<{ next: number }>(text, [1], { prepare: true })).rows[0]!.next;
    });
    const outside = store.query<{ next: number }>(text, [10], { prepare: true }).then(({ rows }) => rows[0]!.next);
    expect(await Promise.all([inside, outside])).toEqual([2, 11]);
  });

  it("see rows written after they were prepared", async () => {
    const text = "SELECT count(*)::int AS n FROM prepared_probe WHERE id LIKE $1";
    expect((await store.query<{ n: number }>(text, ["late%"], { prepare: true })).rows[0]!.n).toBe(0);
    await store.query("INSERT INTO prepared_probe (id, amount) VALUES ('late_1', 1), ('late_2', 2)");
    expect((await store.query<{ n: number }>(text, ["late%"], { prepare: true })).rows[0]!.n).toBe(2);
  });

  it("refuse a parameter they cannot pass as a literal, before anything runs", () => {
    expect(() => sqlLiteral({ a: 1 })).toThrow(/string, number, boolean, Date, null or an array of them/);
    expect(() => sqlLiteral(Number.NaN)).toThrow(/finite number/);
    expect(() => sqlLiteral("a\0b")).toThrow(/NUL/);
    expect(sqlLiteral("it's \\ here")).toBe("E'it''s \\\\ here'");
  });
});
