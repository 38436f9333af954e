import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openTestStore, driverName, type TestStore } from "../support/store.ts";
import { checkSchemaName } from "../../src/store/identifiers.ts";
import { isBillingError } from "../../src/core/errors.ts";

let store: TestStore;

beforeAll(async () => {
  store = await openTestStore();
  await store.exec(`CREATE TABLE probe (id int PRIMARY KEY, amount numeric NOT NULL, big int8, at timestamptz, doc jsonb)`);
});
afterAll(() => store.cleanup());

describe(`store driver (${driverName})`, () => {
  it("returns numeric as an exact string, int8 as a number, timestamptz as a Date and jsonb parsed", async () => {
    await store.query("INSERT INTO probe VALUES ($1, $2, $3, $4, $5)", [1, "12345678901234567890.123456789", 42, new Date("2026-10-01T00:00:00Z"), JSON.stringify({ model: "gpt" })]);
    const { rows } = await store.query("SELECT amount, big, at, doc, count(*) OVER () AS n FROM probe WHERE id = 1");
    expect(rows[0]).toEqual({ amount: "12345678901234567890.123456789", big: 42, at: new Date("2026-10-01T00:00:00Z"), doc: { model: "gpt" }, n: 1 });
  });

  it("returns int8 past 2^53 as a bigint rather than rounding it", async () => {
    const { rows } = await store.query<{ v: unknown }>("SELECT 9007199254740993::int8 AS v");
    expect(rows[0]!.v).toBe(9007199254740993n);
  });

  it("stores long text and json parameters exactly, whatever their characters", async () => {
    // Long enough to go to PGlite as bytes, with 2-, 3- and 4-byte UTF-8 characters and quotes.
    const text = "Zürich · 東京 · 🧾 \"quoted\" \\ back\n".repeat(400);
    const lines = JSON.stringify(Array.from({ length: 200 }, (_, n) => ({ n, description: `línea ${n} — 🧾`, amount: "0.000001" })));
    const { rows } = await store.query<{ t: string; n: number; j: unknown; l: number }>(
      "SELECT $1::text AS t, length($1::text) AS n, $2::json AS j, json_array_length($2::json) AS l",
      [text, lines],
    );
    expect(rows[0]).toEqual({ t: text, n: [...text].length, j: JSON.parse(lines), l: 200 });
  });

  it("refuses a long text parameter holding a NUL character, as a short one, and leaves the transaction's writes undone", async () => {
    for (const text of ["a\0b", `${"a".repeat(5000)}\0b`]) {
      await expect(
        store.transaction(async (tx) => {
          await tx.query("INSERT INTO probe (id, amount) VALUES (40, 1)");
          await tx.query("SELECT length($1::text)", [text]);
        }),
      ).rejects.toThrow(/0x00/);
      expect((await store.query("SELECT id FROM probe WHERE id = 40")).rows).toHaveLength(0);
    }
  });

  it("passes numbers, dates and long array literals to text and array parameters as before", async () => {
    const ids = `{${Array.from({ length: 1000 }, (_, n) => `"id_${n}"`).join(",")}}`;
    const { rows } = await store.query<{ a: string; b: string; c: number }>("SELECT $1::text AS a, $2::text AS b, cardinality($3::text[]) AS c", [42, new Date("2026-10-01T00:00:00Z"), ids]);
    expect(rows[0]!.a).toBe("42");
    expect(new Date(rows[0]!.b).getTime()).toBe(Date.UTC(2026, 9, 1));
    expect(rows[0]!.c).toBe(1000);
  });

  it("reports affected rows for writes and 0 for reads", async () => {
    const insert = await store.query("INSERT INTO probe (id, amount) VALUES (2, 1), (3, 1)");
    expect(insert.rowCount).toBe(2);
    const update = await store.query("UPDATE probe SET amount = 2 WHERE id IN (2, 3)");
    expect(update.rowCount).toBe(2);
    const read = await store.query("SELECT * FROM probe");
    expect(read.rowCount).toBe(0);
  });

  it("commits a transaction that resolves", async () => {
    const result = await store.transaction(async (tx) => {
      await tx.query("INSERT INTO probe (id, amount) VALUES (10, 1)");
      return "done";
    });
    expect(result).toBe("done");
    expect((await store.query("SELECT id FROM probe WHERE id = 10")).rows).toHaveLength(1);
  });

  it("rolls back every write of a transaction that throws, leaving nothing half-written", async () => {
    await expect(
      store.transaction(async (tx) => {
        await tx.query("INSERT INTO probe (id, amount) VALUES (20, 1)");
        await tx.query("INSERT INTO probe (id, amount) VALUES (20, 1)"); // duplicate key
      }),
    ).rejects.toMatchObject({ code: "23505" });
    expect((await store.query("SELECT id FROM probe WHERE id = 20")).rows).toHaveLength(0);
  });

  it.skipIf(driverName !== "pg")("turns a deadlock into a retryable STORE_UNAVAILABLE, with the losing transaction rolled back", async () => {
    await store.query("INSERT INTO probe (id, amount) VALUES (30, 0), (31, 0)");
    let locked = 0;
    const bothLocked = new Promise<void>((resolve) => {
      const check = setInterval(() => locked === 2 && (clearInterval(check), resolve()), 5);
    });
    const crossing = (first: number, second: number) =>
      store.transaction(async (tx) => {
        await tx.query("UPDATE probe SET amount = amount + 1 WHERE id = $1", [first]);
        locked += 1;
        await bothLocked;
        await tx.query("UPDATE probe SET amount = amount + 1 WHERE id = $1", [second]);
      });
    const outcomes = await Promise.allSettled([crossing(30, 31), crossing(31, 30)]);
    const failed = outcomes.filter((o): o is PromiseRejectedResult => o.status === "rejected");
    expect(failed).toHaveLength(1);
    expect(failed[0]!.reason).toMatchObject({ code: "STORE_UNAVAILABLE", retryable: true, status: 503 });
    expect(isBillingError(failed[0]!.reason) && (failed[0]!.reason.cause as { code?: string }).code).toBe("40P01");
    const { rows } = await store.query<{ total: string }>("SELECT sum(amount)::text AS total FROM probe WHERE id IN (30, 31)");
    expect(rows[0]!.total).toBe("2");
  });

  it("creates tables in the configured schema, not in public", async () => {
    const { rows } = await store.query<{ table_schema: string }>(
      "SELECT table_schema FROM information_schema.tables WHERE table_name = 'probe'",
    );
    expect(rows.map((r) => r.table_schema)).toEqual([store.schema]);
  });
});

describe("schema names", () => {
  it("accepts plain lower-case identifiers", () => {
    expect(checkSchemaName("billhub_test_1")).toBe("billhub_test_1");
  });

  it.each(["Billhub", "bill-hub", "x; DROP TABLE customers", "", "1abc", "a".repeat(64)])("refuses %j with CONFIG_INVALID naming store.schema", (name) => {
    try {
      checkSchemaName(name);
      expect.unreachable();
    } catch (error) {
      expect(isBillingError(error, "CONFIG_INVALID")).toBe(true);
      expect((error as { field: string }).field).toBe("store.schema");
    }
  });
});
