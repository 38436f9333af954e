import { describe, expect, expectTypeOf, it } from "vitest";
import { invoiceLine } from "../../../src/core/invoicing/invoice-line.ts";
import type { InvoiceLine } from "../../../src/core/invoicing/invoice.ts";
import type { LineItem } from "../../../src/core/pricing/line-item.ts";

const priced: LineItem = {
  chargeKey: "api",
  model: "graduated",
  meter: "api_calls",
  description: "api: 1788 units, graduated tiers",
  quantity: "1788",
  billableQuantity: "1788",
  tiers: [{ tier: 1, upTo: "10000", quantity: "1788", unitAmount: "0", flatAmount: "0", exactAmount: "0" }],
  amount: 0,
  exactAmount: "0",
};

describe("invoiceLine", () => {
  it("numbers the line and lists its fields in the order stored invoices list them", () => {
    const line = invoiceLine(priced, 3);
    expect(Object.keys(line)).toEqual(["lineNumber", "chargeKey", "model", "meter", "description", "quantity", "billableQuantity", "amount", "exactAmount", "tiers"]);
    expect(line).toEqual({ ...priced, lineNumber: 3 });
  });

  it("keeps the optional details a line has and leaves out the ones it has not", () => {
    const line = invoiceLine({ ...priced, tiers: undefined, packages: "4", billedEvents: 2, price: { lookupKey: "api_monthly", provider: "stripe" } }, 1);
    expect(line).not.toHaveProperty("tiers");
    expect(line).toMatchObject({ packages: "4", billedEvents: 2, price: { lookupKey: "api_monthly", provider: "stripe" } });
  });

  it("copies every field an invoice line has (a new field fails the typecheck here until invoiceLine copies it)", () => {
    expectTypeOf<keyof InvoiceLine>().toEqualTypeOf<
      "lineNumber" | "chargeKey" | "model" | "meter" | "description" | "quantity" | "billableQuantity" | "tiers" | "packages" | "billedEvents" | "price" | "amount" | "exactAmount"
    >();
    const full: Required<LineItem> = { ...priced, tiers: priced.tiers!, packages: "2", billedEvents: 3, price: { lookupKey: "api_monthly" } };
    expect(Object.keys(invoiceLine(full, 1)).sort()).toEqual(["lineNumber", ...Object.keys(full)].sort());
  });

  it("drops keys an invoice line does not have", () => {
    const line = invoiceLine({ ...priced, internal: "not billed" } as LineItem, 1);
    expect(line).not.toHaveProperty("internal");
  });
});
