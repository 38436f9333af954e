import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  add, cmp, coefAtScale, div, mul, parseDecimal, pow10, round, significantDigits, sub, toDecimalString, toSafeInteger, canonicalDecimal,
  type RoundingMode,
} from "../../src/core/decimal.ts";
import { BillingError } from "../../src/core/errors.ts";

const d = (text: string) => parseDecimal(text);
const s = toDecimalString;

describe("parseDecimal", () => {
  it.each([
    ["12.50", "12.5"],
    ["-0.000", "0"],
    ["+3", "3"],
    ["1e-7", "0.0000001"],
    ["2.5E3", "2500"],
    ["0.1", "0.1"],
    ["12345678901234567890.000000000001", "12345678901234567890.000000000001"],
  ])("reads %s exactly as %s", (input, expected) => {
    expect(s(d(input))).toBe(expected);
  });

  it("reads finite numbers through their shortest string, so 0.1 stays 0.1", () => {
    expect(s(parseDecimal(0.1))).toBe("0.1");
    expect(s(parseDecimal(1e21))).toBe("1000000000000000000000");
  });

  it.each([["NaN"], ["Infinity"], [""], [" 1"], ["1,5"], ["1."], [".5"], ["0x10"], ["1e99999"], [NaN], [Infinity], [null], [{}], [true]])(
    "refuses %j with INVALID_AMOUNT naming the field",
    (input) => {
      try {
        parseDecimal(input, { field: "quantity" });
        expect.unreachable();
      } catch (error) {
        expect(error).toBeInstanceOf(BillingError);
        expect(error).toMatchObject({ code: "INVALID_AMOUNT", field: "quantity" });
      }
    },
  );

  it("uses the error code the caller asks for", () => {
    expect(() => parseDecimal("x", { code: "INVALID_USAGE", field: "usage.api" })).toThrow(expect.objectContaining({ code: "INVALID_USAGE" }));
  });
});

describe("arithmetic", () => {
  it("adds, subtracts and multiplies without float error", () => {
    expect(s(add(d("0.1"), d("0.2")))).toBe("0.3");
    expect(s(sub(d("1"), d("0.9")))).toBe("0.1");
    expect(s(mul(d("0.000001"), d("1500000")))).toBe("1.5");
  });

  it("compares across scales", () => {
    expect(cmp(d("1.50"), d("1.5"))).toBe(0);
    expect(cmp(d("-2"), d("1"))).toBe(-1);
    expect(cmp(d("10"), d("9.999999"))).toBe(1);
  });

  it("divides to a scale with the named rounding", () => {
    expect(s(div(d("10"), d("3"), 4, "half_up"))).toBe("3.3333");
    expect(s(div(d("2"), d("3"), 0, "half_up"))).toBe("1");
    expect(s(div(d("-7"), d("2"), 0, "ceil"))).toBe("-3");
    expect(() => div(d("1"), d("0"), 2, "half_up")).toThrow(BillingError);
  });
});

describe("rounding modes", () => {
  const table: [string, RoundingMode, string][] = [
    ["2.5", "half_up", "3"], ["-2.5", "half_up", "-3"], ["2.5", "half_even", "2"], ["3.5", "half_even", "4"],
    ["2.5", "half_down", "2"], ["2.51", "half_down", "3"], ["2.1", "up", "3"], ["-2.1", "up", "-3"],
    ["2.9", "down", "2"], ["-2.9", "down", "-2"], ["-2.1", "ceil", "-2"], ["-2.1", "floor", "-3"], ["2.4999", "half_up", "2"],
  ];
  it.each(table)("rounds %s %s to %s", (input, mode, expected) => {
    expect(s(round(d(input), 0, mode))).toBe(expected);
  });

  it("rounds to a number of places", () => {
    expect(s(round(d("1.005"), 2, "half_up"))).toBe("1.01");
    expect(s(round(d("1.005"), 2, "half_even"))).toBe("1");
  });
});

describe("conversions", () => {
  it("refuses to turn a value past 2^53 into a JS number", () => {
    expect(() => toSafeInteger(d("9007199254740993"), "half_up")).toThrow(expect.objectContaining({ code: "INVALID_AMOUNT" }));
    expect(toSafeInteger(d("9007199254740991"), "half_up")).toBe(9007199254740991);
  });

  it("prints values on both sides of 2^53 exactly (small ones go through a Number)", () => {
    const limit = BigInt(Number.MAX_SAFE_INTEGER);
    expect(s({ coef: limit, scale: 0 })).toBe("9007199254740991");
    expect(s({ coef: limit + 1n, scale: 0 })).toBe("9007199254740992");
    expect(s({ coef: limit + 2n, scale: 0 })).toBe("9007199254740993");
    expect(s({ coef: -(limit + 2n), scale: 2 })).toBe("-90071992547409.93");
    expect(s({ coef: limit, scale: 3 })).toBe("9007199254740.991");
    expect(s({ coef: 10n ** 30n + 1n, scale: 30 })).toBe("1.000000000000000000000000000001");
    expect(() => toSafeInteger({ coef: -(limit + 1n), scale: 0 }, "half_up")).toThrow(expect.objectContaining({ code: "INVALID_AMOUNT" }));
    expect(toSafeInteger({ coef: -limit, scale: 0 }, "half_up")).toBe(-Number.MAX_SAFE_INTEGER);
  });

  it("prints every decimal as its coefficient's digits with the point placed and trailing zeros dropped", () => {
    const near = fc.oneof(fc.bigInt({ min: -(2n ** 60n), max: 2n ** 60n }), fc.bigInt({ min: 2n ** 53n - 5n, max: 2n ** 53n + 5n }), fc.bigInt({ min: -(2n ** 53n) - 5n, max: -(2n ** 53n) + 5n }));
    const reference = (coef: bigint, scale: number): string => {
      const digits = (coef < 0n ? -coef : coef).toString().padStart(scale + 1, "0");
      const whole = digits.slice(0, digits.length - scale);
      const fraction = digits.slice(digits.length - scale).replace(/0+$/, "");
      const sign = coef < 0n ? "-" : "";
      return fraction === "" ? `${sign}${whole}` : `${sign}${whole}.${fraction}`;
    };
    fc.assert(fc.property(near, fc.integer({ min: 0, max: 20 }), (coef, scale) => s({ coef, scale }) === reference(coef, scale)));
  });

  it("counts significant digits as Stripe does for meter values", () => {
    expect(significantDigits(d("123456789012345"))).toBe(15);
    expect(significantDigits(d("0.0001234"))).toBe(4);
  });

  it("canonicalizes equal values to one string", () => {
    expect(canonicalDecimal("1.500")).toBe(canonicalDecimal("1.5"));
  });

  it("canonicalizes whole-number texts as the full parse does, and refuses what it refuses", () => {
    for (const [text, canonical] of [["0", "0"], ["-0", "0"], ["+7", "7"], ["007", "7"], ["-12", "-12"], ["746", "746"], ["123456789012345678901234567890", "123456789012345678901234567890"]]) {
      expect(canonicalDecimal(text)).toBe(canonical);
    }
    for (const bad of ["", "-", "1-", "1 ", "٣", "1_000"]) expect(() => canonicalDecimal(bad, { field: "quantity" })).toThrow(/quantity/);
    const reference = (text: string) => toDecimalString(parseDecimal(text));
    const digits = fc.stringMatching(/^-?[0-9]{1,25}$/);
    fc.assert(fc.property(digits, (text) => canonicalDecimal(text) === reference(text)));
  });
});

describe("properties", () => {
  const decimalText = fc
    .tuple(fc.bigInt({ min: -(10n ** 30n), max: 10n ** 30n }), fc.integer({ min: 0, max: 18 }))
    .map(([coef, scale]) => s({ coef, scale }));

  it("prints what it parses", () => {
    fc.assert(fc.property(decimalText, (text) => s(d(text)) === text));
  });

  it("undoes an addition with a subtraction", () => {
    fc.assert(fc.property(decimalText, decimalText, (a, b) => cmp(sub(add(d(a), d(b)), d(b)), d(a)) === 0));
  });

  it("rounds half_even and half_up to within half a unit of the exact value", () => {
    fc.assert(
      fc.property(decimalText, fc.constantFrom<RoundingMode>("half_even", "half_up", "half_down"), (text, mode) => {
        const exact = d(text);
        const rounded = round(exact, 2, mode);
        return cmp(mul(sub(rounded, exact), d("2")), d("0.01")) <= 0 && cmp(mul(sub(exact, rounded), d("2")), d("0.01")) <= 0;
      }),
    );
  });
});

describe("pow10 and coefAtScale", () => {
  it("gives exact powers of ten inside and beyond the cached range", () => {
    expect(pow10(0)).toBe(1n);
    expect(pow10(12)).toBe(1_000_000_000_000n);
    expect(pow10(70)).toBe(10n ** 70n);
  });

  it("re-expresses a decimal at a larger scale without changing its value", () => {
    expect(coefAtScale(parseDecimal("6.5"), 3)).toBe(6500n);
    expect(coefAtScale(parseDecimal("7"), 0)).toBe(7n);
  });

  it("refuses to drop digits when asked for a smaller scale", () => {
    expect(() => coefAtScale(parseDecimal("0.25"), 1)).toThrow(BillingError);
  });
});
