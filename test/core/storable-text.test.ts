import { describe, expect, it } from "vitest";
import { LONE_SURROGATE_MESSAGE, NUL_MESSAGE, storableRecord, storableText, textProblem, unstorablePart } from "../../src/core/storable-text.ts";

describe("text PostgreSQL can store as sent", () => {
  it("refuses a lone high or low surrogate anywhere in a string, and a pair in the wrong order", () => {
    for (const text of ["x\ud800", "\ud800x", "x\udfff", "a\udc00\ud800b", "\ud83d"]) expect(textProblem(text)).toBe(LONE_SURROGATE_MESSAGE);
  });

  it("accepts surrogate pairs (emoji, astral characters) and U+FFFD itself", () => {
    for (const text of ["cus_😀", "𝄞", "x\uFFFD", "é ü 日本", ""]) expect(textProblem(text)).toBeUndefined();
  });

  it("refuses a NUL character", () => {
    expect(textProblem("a\u0000b")).toBe(NUL_MESSAGE);
  });

  it("finds the first unstorable key or string inside nested JSON, with its path", () => {
    expect(unstorablePart({ ok: "fine", foo: { deep: [1, "x\ud800"] } })).toEqual({ path: ["foo", "deep", 1], message: LONE_SURROGATE_MESSAGE });
    expect(unstorablePart({ foo: { "k\udc00": 1 } })).toEqual({ path: ["foo", "k\udc00"], message: LONE_SURROGATE_MESSAGE });
    expect(unstorablePart({ a: [{ b: null, c: 2, d: true }], e: "😀" })).toBeUndefined();
  });

  it("gives zod schemas built on it an issue at the field, so errors name it", () => {
    const text = storableText().max(10).safeParse("x\ud800");
    expect(text.success).toBe(false);
    expect(text.error?.issues[0]).toMatchObject({ path: [], message: LONE_SURROGATE_MESSAGE });
    const record = storableRecord().safeParse({ foo: ["ok", { bar: "x\ud800" }] });
    expect(record.error?.issues[0]).toMatchObject({ path: ["foo", 1, "bar"], message: LONE_SURROGATE_MESSAGE });
  });
});
