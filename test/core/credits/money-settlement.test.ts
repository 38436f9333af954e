import { describe, expect, it } from "vitest";
import { moneySettlement } from "../../../src/core/credits/money-settlement.ts";
import type { CreditGrant } from "../../../src/core/credits/types.ts";

const T = (day: string) => new Date(`${day}T00:00:00Z`);

function grant(overrides: Partial<CreditGrant> = {}): CreditGrant {
  return {
    id: "g",
    customerId: "c",
    kind: "money",
    currency: "USD",
    feature: null,
    amount: "10000",
    priority: 0,
    effectiveAt: T("2026-01-01"),
    expiresAt: null,
    rollover: { policy: "none" },
    source: "manual",
    metadata: {},
    providerEvent: null,
    createdAt: T("2026-01-01"),
    remaining: "10000",
    settledThrough: T("2026-01-01"),
    ...overrides,
  };
}

const ends = (settlement: ReturnType<typeof moneySettlement>, after: string, through: string) => settlement.periodEnds(T(after), T(through)).map((end) => end.toISOString().slice(0, 10));

describe("money settlement after an invoice", () => {
  it("settles at the invoice's end when no window before it waits for another run", () => {
    const settled = moneySettlement({ grant: grant(), invoice: { from: T("2026-06-01"), to: T("2026-07-01") }, pending: [], invoiced: [] });
    expect(settled.through).toEqual(T("2026-07-01"));
    expect(ends(settled, "2026-01-01", "2026-07-01")).toEqual(["2026-07-01"]);
  });

  it("holds the grant at the first uninvoiced time of another run before the invoice (the cut yearly window)", () => {
    const june = { from: T("2026-06-10"), to: T("2026-07-01") };
    const held = moneySettlement({ grant: grant(), invoice: june, pending: [{ from: T("2026-01-01"), to: T("2026-06-10") }], invoiced: [] });
    expect(held.through).toEqual(T("2026-01-01"));
    // A grant that took effect later, or expired before that window, does not wait for it.
    const later = moneySettlement({ grant: grant({ effectiveAt: T("2026-06-15"), settledThrough: T("2026-06-15") }), invoice: june, pending: [{ from: T("2026-01-01"), to: T("2026-06-10") }], invoiced: [] });
    expect(later.through).toEqual(T("2026-07-01"));
    const gone = moneySettlement({ grant: grant({ expiresAt: T("2026-03-01") }), invoice: june, pending: [{ from: T("2026-03-01"), to: T("2026-06-10") }], invoiced: [] });
    expect(gone.through).toEqual(T("2026-07-01"));
  });

  it("settles the held grant through the invoices that follow once the window it waited for is invoiced, at each of their ends", () => {
    const settled = moneySettlement({
      grant: grant(),
      invoice: { from: T("2026-01-01"), to: T("2026-06-10") },
      pending: [],
      invoiced: [
        { from: T("2026-07-01"), to: T("2026-08-01") },
        { from: T("2026-06-10"), to: T("2026-07-01") },
        { from: T("2026-09-01"), to: T("2026-10-01") },
      ],
    });
    // August is not invoiced yet: settled up to it, and the September invoice waits.
    expect(settled.through).toEqual(T("2026-08-01"));
    expect(ends(settled, "2026-01-01", "2026-08-01")).toEqual(["2026-06-10", "2026-07-01", "2026-08-01"]);
  });
});
