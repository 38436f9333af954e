import { describe, expect, it } from "vitest";
import { includedUnitsToBillable } from "../../../src/core/pricing/included-units.ts";
import { packagesToAmount } from "../../../src/core/pricing/package.ts";
import { d, str } from "./helpers.ts";

const priced = (quantity: string | number, packageSize: number, packageAmount: string, round: "up" | "down") => {
  const result = packagesToAmount({ quantity: d(quantity), packageSize: d(packageSize), packageAmount: d(packageAmount), round });
  return [str(result.packages), str(result.amount)];
};

describe("packagesToAmount", () => {
  it("docblock example: Stripe docs, 10 USD per 5 users rounding up; 6 users → 2 packages, 20 USD", () => {
    expect(priced(6, 5, "1000", "up")).toEqual(["2", "2000"]);
  });

  it.each([
    [1, "1000"],
    [3, "1000"],
    [5, "1000"],
    [6, "2000"],
    [7, "2000"],
  ])("Stripe docs, quantity transformation table: %i users → %s cents", (users, expected) => {
    expect(priced(users, 5, "1000", "up")[1]).toBe(expected);
  });

  it("Stripe docs, metered emails at 0.10 USD per full 1,000 (round down): 2,999 emails bill 2 packages, 999 bill none", () => {
    expect(priced(2999, 1000, "10", "down")).toEqual(["2", "20"]);
    expect(priced(999, 1000, "10", "down")).toEqual(["0", "0"]);
  });

  it("Lago docs, package: 5 USD per 100 units, first 100 free; 201 units → 0 + 5 + 5 = 10 USD", () => {
    const billable = includedUnitsToBillable({ quantity: d(201), includedUnits: d(100) });
    const result = packagesToAmount({ quantity: billable, packageSize: d(100), packageAmount: d(500), round: "up" });
    expect([str(result.packages), str(result.amount)]).toEqual(["2", "1000"]);
  });

  it("bills no package for no usage, rounding either way", () => {
    expect(priced(0, 100, "500", "up")).toEqual(["0", "0"]);
    expect(priced(0, 100, "500", "down")).toEqual(["0", "0"]);
  });

  it("counts a fractional quantity into packages: 100.5 GB in 100 GB packages is 2 up, 1 down", () => {
    expect(priced("100.5", 100, "500", "up")).toEqual(["2", "1000"]);
    expect(priced("100.5", 100, "500", "down")).toEqual(["1", "500"]);
  });

  it("keeps a sub-cent package price exact: 4.5 cents per 100 tokens, 250 tokens → 3 packages, 13.5 cents", () => {
    expect(priced(250, 100, "4.5", "up")).toEqual(["3", "13.5"]);
  });
});
