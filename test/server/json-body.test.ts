import { describe, expect, it } from "vitest";
import { MAX_JSON_DEPTH, parseJsonBody } from "../../src/server/json-body.ts";

function refusal(text: string) {
  try {
    parseJsonBody(text);
  } catch (error) {
    return (error as { toJSON(): { error: unknown } }).toJSON().error;
  }
  throw new Error("expected a refusal");
}

describe("parseJsonBody", () => {
  it("parses a JSON object, exact numbers included", () => {
    expect(parseJsonBody('{"quantity": 1500, "price": 0.1, "big": 9007199254740991, "tiny": 1.5e-7, "neg": -3, "list": [1, 2.25]}')).toEqual({
      quantity: 1500,
      price: 0.1,
      big: 9007199254740991,
      tiny: 1.5e-7,
      neg: -3,
      list: [1, 2.25],
    });
  });

  it("refuses an empty body, malformed JSON and anything but an object, naming the body", () => {
    expect(refusal("  ")).toMatchObject({ code: "VALIDATION_FAILED", field: "body", message: "Request body is empty; send a JSON object" });
    expect(refusal("{quantity: 1}")).toMatchObject({ code: "VALIDATION_FAILED", field: "body", message: expect.stringContaining("not valid JSON") });
    expect(refusal("[1, 2]")).toMatchObject({ field: "body", message: "Request body must be a JSON object, got an array" });
    expect(refusal('"text"')).toMatchObject({ field: "body", message: "Request body must be a JSON object, got string" });
    expect(refusal("null")).toMatchObject({ field: "body", message: "Request body must be a JSON object, got null" });
  });

  it("refuses an integer a JavaScript number would round, naming its field and the string to send instead", () => {
    expect(refusal('{"events": [{"quantity": 1}, {"quantity": 9007199254740993}]}')).toEqual({
      code: "VALIDATION_FAILED",
      field: "events.1.quantity",
      message: 'events.1.quantity: the number 9007199254740993 cannot be held exactly by a JSON number (it would become 9007199254740992); send it as a decimal string ("9007199254740993")',
    });
  });

  it("refuses fractions with more precision than a JSON number holds, and numbers out of range", () => {
    expect(refusal('{"amount": 0.10000000000000000001}')).toMatchObject({ field: "amount", message: expect.stringContaining("it would become 0.1") });
    expect(refusal('{"a": {"b": 1e400}}')).toMatchObject({ field: "a.b", message: expect.stringContaining("out of range") });
    expect(refusal(`{"q": ${"9".repeat(50)}}`)).toMatchObject({ field: "q", message: expect.stringContaining("too long") });
  });

  it("leaves numbers inside strings and keys alone, escapes included", () => {
    expect(parseJsonBody('{"note": "9007199254740993 \\" 1e400", "9007199254740993": "x", "quantity": "9007199254740993"}')).toEqual({
      note: '9007199254740993 " 1e400',
      "9007199254740993": "x",
      quantity: "9007199254740993",
    });
  });

  it(`refuses nesting deeper than ${MAX_JSON_DEPTH} levels, and accepts it up to that`, () => {
    const nested = (depth: number) => `{"a":${"[".repeat(depth - 1)}1${"]".repeat(depth - 1)}}`;
    expect(parseJsonBody(nested(MAX_JSON_DEPTH))).toHaveProperty("a");
    expect(refusal(nested(MAX_JSON_DEPTH + 1))).toMatchObject({ code: "VALIDATION_FAILED", message: expect.stringContaining(`nests deeper than ${MAX_JSON_DEPTH} levels`) });
    expect(refusal(`{"a":${"[".repeat(100_000)}${"]".repeat(100_000)}}`)).toMatchObject({ code: "VALIDATION_FAILED" });
  });

  it("refuses a NUL character (which no PostgreSQL text holds) in any string or key, naming where it is", () => {
    expect(refusal('{"events": [{"properties": {"model": "gpt\\u0000"}}]}')).toEqual({
      code: "VALIDATION_FAILED",
      field: "events.0.properties.model",
      message: "events.0.properties.model: must not contain a NUL character (\\u0000)",
    });
    expect(refusal('{"metadata": {"k\\u0000": 1}}')).toMatchObject({ field: "metadata.k\u0000" });
    expect(parseJsonBody('{"note": "\\\\u0000 is only text here"}')).toEqual({ note: "\\u0000 is only text here" });
  });
});
