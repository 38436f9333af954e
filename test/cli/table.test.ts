import { describe, expect, it } from "vitest";
import { formatTable } from "../../src/cli/table.ts";

describe("formatTable", () => {
  it("pads every column to its widest cell, right-aligning numbers, as the docblock shows", () => {
    expect(formatTable([{ header: "Plan" }, { header: "Limit", align: "right" }], [["free", "1000"], ["pro", "100000"]])).toBe(
      ["Plan   Limit", "----  ------", "free    1000", "pro   100000"].join("\n"),
    );
  });

  it("keeps blank and missing cells in place and trims trailing spaces", () => {
    expect(formatTable([{ header: "A" }, { header: "Bee" }, { header: "C", align: "right" }], [["x", "", "1"], ["long", "y"]])).toBe(
      ["A     Bee  C", "----  ---  -", "x          1", "long  y"].join("\n"),
    );
  });
});
