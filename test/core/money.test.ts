import { describe, expect, it } from "vitest";
import { parseDecimal } from "../../src/core/decimal.ts";
import { currencyExponent, formatMinorDecimal, formatMinorUnits, normalizeCurrency, toMinorUnits } from "../../src/core/money.ts";

describe("currency exponents", () => {
  it("knows JPY has no minor unit, USD two and KWD three", () => {
    expect(currencyExponent("JPY")).toBe(0);
    expect(currencyExponent("usd")).toBe(2);
    expect(currencyExponent("KWD")).toBe(3);
  });

  it("refuses a code that is not three letters, naming the field", () => {
    expect(() => normalizeCurrency("US$")).toThrow(expect.objectContaining({ code: "VALIDATION_FAILED", field: "currency" }));
  });
});

describe("minor units", () => {
  it("converts major amounts with the currency's exponent", () => {
    expect(toMinorUnits("19.99", "USD")).toBe(1999);
    expect(toMinorUnits("500", "JPY")).toBe(500);
    expect(toMinorUnits("1.234", "KWD")).toBe(1234);
  });

  it("rounds once with the named mode", () => {
    expect(toMinorUnits("0.125", "USD", "half_up")).toBe(13);
    expect(toMinorUnits("0.125", "USD", "half_even")).toBe(12);
    expect(toMinorUnits("499.5", "JPY", "half_even")).toBe(500);
  });

  it("formats minor units for display with every decimal place", () => {
    expect(formatMinorUnits(1999, "USD")).toBe("19.99");
    expect(formatMinorUnits(100, "USD")).toBe("1.00");
    expect(formatMinorUnits(-5, "KWD")).toBe("-0.005");
    expect(formatMinorUnits(500, "JPY")).toBe("500");
  });

  it("refuses a fractional number of minor units", () => {
    expect(() => formatMinorUnits(1.5, "USD")).toThrow(expect.objectContaining({ code: "INVALID_AMOUNT" }));
  });
});

describe("formatMinorDecimal", () => {
  it("shows sub-minor unit prices in major units with every needed place", () => {
    expect(formatMinorDecimal(parseDecimal("0.5"), "USD")).toBe("0.005");
    expect(formatMinorDecimal(parseDecimal("700"), "USD")).toBe("7.00");
    expect(formatMinorDecimal(parseDecimal("0.5"), "JPY")).toBe("0.5");
    expect(formatMinorDecimal(parseDecimal("1500"), "JPY")).toBe("1500");
    expect(formatMinorDecimal(parseDecimal("5"), "KWD")).toBe("0.005");
    expect(formatMinorDecimal(parseDecimal("12345.25"), "KWD")).toBe("12.34525");
  });
});
