import { describe, expect, it } from "vitest";
import { csvField, invoicesToCsv } from "../../../src/core/invoicing/invoice-csv.ts";
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
});
