import { describe, expect, it } from "vitest";
import { uninvoicedWindow } from "../../../src/core/invoicing/uninvoiced-window.ts";

const w = (from: string, to: string) => ({ from: new Date(`2026-${from}T00:00:00Z`), to: new Date(`2026-${to}T00:00:00Z`) });
const OCTOBER = w("10-01", "11-01");

describe("the part of a window no invoice covers yet", () => {
  it("is the whole window when nothing overlaps it", () => {
    expect(uninvoicedWindow(OCTOBER, [w("09-01", "10-01"), w("11-01", "12-01")])).toEqual(OCTOBER);
  });

  it("starts where an invoice covering its start ends, and ends where one covering its end starts", () => {
    expect(uninvoicedWindow(OCTOBER, [w("09-15", "10-15")])).toEqual(w("10-15", "11-01"));
    expect(uninvoicedWindow(OCTOBER, [w("10-20", "11-20")])).toEqual(w("10-01", "10-20"));
    expect(uninvoicedWindow(OCTOBER, [w("10-20", "11-20"), w("09-15", "10-05")])).toEqual(w("10-05", "10-20"));
  });

  it("is undefined when invoices cover it all, or cover its middle only (two pieces would be left)", () => {
    expect(uninvoicedWindow(OCTOBER, [w("09-15", "11-15")])).toBeUndefined();
    expect(uninvoicedWindow(OCTOBER, [w("09-15", "10-20"), w("10-20", "11-15")])).toBeUndefined();
    expect(uninvoicedWindow(OCTOBER, [w("10-10", "10-20")])).toBeUndefined();
  });
});
