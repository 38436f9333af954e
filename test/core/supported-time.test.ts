import { describe, expect, it } from "vitest";
import { checkWindowEnd, END_OF_SUPPORTED_MS, instantProblem } from "../../src/core/supported-time.ts";

const at = (iso: string) => new Date(iso);

describe("the supported range of time", () => {
  it("runs from 1970-01-01T00:00:00Z to the last millisecond of 9999", () => {
    for (const iso of ["1970-01-01T00:00:00.000Z", "2026-03-10T12:00:00Z", "9999-12-31T23:59:59.999Z"]) expect(instantProblem(at(iso))).toBeUndefined();
    expect(END_OF_SUPPORTED_MS).toBe(Date.parse("+010000-01-01T00:00:00Z"));
  });

  it("refuses year 0000, years before 1970, year 10000 and invalid Dates", () => {
    for (const iso of ["0000-01-01T00:00:00Z", "0001-01-01T00:00:00Z", "1969-12-31T23:59:59.999Z", "+010000-01-01T00:00:00Z", "nope"]) {
      expect(instantProblem(at(iso)), iso).toEqual(expect.any(String));
    }
  });

  it("refuses a window ending on 10000-01-01 or later, naming the field that placed it, and accepts open ends", () => {
    expect(() => checkWindowEnd({ from: at("9999-12-01T00:00:00Z"), to: new Date(END_OF_SUPPORTED_MS) }, "at")).toThrow(expect.objectContaining({ code: "VALIDATION_FAILED", field: "at" }));
    expect(checkWindowEnd({ from: null, to: null }, "at")).toEqual({ from: null, to: null });
    expect(checkWindowEnd({ from: null, to: at("9999-12-31T23:59:59.999Z") }, "at").to).toEqual(at("9999-12-31T23:59:59.999Z"));
  });
});
