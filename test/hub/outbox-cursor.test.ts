import { describe, expect, it } from "vitest";
import { decodeOutboxCursor, encodeOutboxCursor } from "../../src/hub/outbox-cursor.ts";

const forged = (key: unknown) => Buffer.from(JSON.stringify(key)).toString("base64url");
const refusal = expect.objectContaining({ code: "VALIDATION_FAILED", field: "cursor" });

describe("outbox cursors", () => {
  it("give back the key they were made from, microseconds and offset as the database printed them", () => {
    for (const key of [
      ["2026-03-10 12:00:00.123456+00", "tx_1", "stripe"],
      ["2026-03-10 12:00:00+00", "order-9/a", "flowglad"],
      ["2026-03-10 17:30:00.5+05:30", "tx_2", "stripe"],
      ["1970-01-01 00:00:00+00", "tx_3", "stripe"],
    ] as const) {
      expect(decodeOutboxCursor(encodeOutboxCursor(key))).toEqual(key);
    }
  });

  it("refuses a forged time: not a date, year 0000, years outside 1970–9999, days and hours that do not exist", () => {
    for (const time of ["not-a-date", "0000-01-01 00:00:00+00", "0001-01-01 00:00:00+00", "1969-12-31 23:59:59+00", "9999-12-31 23:00:00-05", "2026-02-30 00:00:00+00", "2026-03-10 24:00:00+00", "2026-03-10T12:00:00Z", "2026-03-10 12:00:00+00 BC", ""]) {
      expect(() => decodeOutboxCursor(forged([time, "tx_1", "stripe"])), time).toThrow(refusal);
    }
  });

  it("refuses NUL bytes, lone surrogates and anything a transaction id or provider cannot be", () => {
    for (const key of [
      ["2026-03-10 12:00:00+00", "a\u0000", "stripe"],
      ["2026-03-10 12:00:00+00", "x\ud800", "stripe"],
      ["2026-03-10 12:00:00+00", "tx_1", "stri\u0000pe"],
      ["2026-03-10 12:00:00+00", "", "stripe"],
      ["2026-03-10 12:00:00+00", "tx_1", 5],
      ["2026-03-10 12:00:00+00", "tx_1", "stripe", "extra"],
      ["2026-03-10 12:00:00+00", "tx_1"],
      { t: "2026-03-10 12:00:00+00" },
      null,
    ]) {
      expect(() => decodeOutboxCursor(forged(key)), JSON.stringify(key)).toThrow(refusal);
    }
  });

  it("refuses text that is not base64url JSON", () => {
    for (const cursor of ["%%%", "bm90IGpzb24", Buffer.from("\u0000").toString("base64url")]) expect(() => decodeOutboxCursor(cursor)).toThrow(refusal);
  });
});
