import { describe, expect, it } from "vitest";
import { csvField, csvText, invoicesToCsv } from "../../../src/core/invoicing/invoice-csv.ts";
import type { Invoice } from "../../../src/core/invoicing/invoice.ts";

describe("invoice CSV", () => {
  it("quotes a field only when it must, doubling inner quotes", () => {
    expect(csvField("plain")).toBe("plain");
    expect(csvField("a,b")).toBe('"a,b"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField("two\nlines")).toBe('"two\nlines"');
    expect(csvField("cr\r")).toBe('"cr\r"');
    expect(csvField(" padded")).toBe('" padded"');
    expect(csvField("")).toBe("");
  });

  it("formats amounts in the major units of each invoice's currency (JPY 0, KWD 3 decimals)", () => {
    const invoice = (currency: string, amount: number): Invoice => ({
      id: `inv_${currency}`,
      number: currency === "JPY" ? 1 : 2,
      customerId: "c",
      plan: "p",
      provider: "manual",
      periodKey: "2026-10",
      period: { from: new Date("2026-10-01T00:00:00Z"), to: new Date("2026-11-01T00:00:00Z") },
      currency,
      subtotal: amount,
      status: "issued",
      createdAt: new Date("2026-11-01T00:00:00Z"),
      lineItems: [{ lineNumber: 1, chargeKey: "fee", model: "flat", meter: null, description: "Fee", quantity: "1", billableQuantity: "1", amount, exactAmount: String(amount) }],
    });
    const rows = invoicesToCsv([invoice("JPY", 4900), invoice("KWD", 12345)]).split("\r\n");
    expect(rows[1]!.split(",").slice(-2)).toEqual(["4900", "4900"]);
    expect(rows[2]!.split(",").slice(-2)).toEqual(["12345", "12.345"]);
  });

  it("neutralises text cells a spreadsheet would run as a formula, and leaves negative amounts numbers", () => {
    for (const formula of ["=HYPERLINK(\"http://evil.test\")", "+1+cmd", "-2+3", "@SUM(A1:A2)", "\tTAB", "\rCR"]) {
      expect(csvText(formula)).toBe(`'${formula}`);
    }
    expect(csvText("plain text")).toBe("plain text");
    expect(csvText("a=b")).toBe("a=b");

    const invoice: Invoice = {
      id: "inv_1",
      number: 1,
      customerId: "=cmd|' /C calc'!A0",
      plan: "@plan",
      provider: "manual",
      periodKey: "2026-10",
      period: { from: new Date("2026-10-01T00:00:00Z"), to: new Date("2026-11-01T00:00:00Z") },
      currency: "USD",
      subtotal: -150,
      status: "issued",
      createdAt: new Date("2026-11-01T00:00:00Z"),
      lineItems: [
        { lineNumber: 1, chargeKey: "+refund", model: "per_unit", meter: "-meter", description: "=1+1", quantity: "-3", billableQuantity: "-3", amount: -150, exactAmount: "-150" },
      ],
    };
    const [, row] = invoicesToCsv([invoice]).split("\r\n");
    expect(row).toBe("1,inv_1,'=cmd|' /C calc'!A0,'@plan,2026-10-01T00:00:00.000Z,2026-11-01T00:00:00.000Z,USD,1,'+refund,'-meter,'=1+1,-3,-150,-1.50");
  });
});
