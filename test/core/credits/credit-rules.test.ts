import { describe, expect, it } from "vitest";
import { compareForDraw, drawDown } from "../../../src/core/credits/draw-order.ts";
import { invoiceCredits } from "../../../src/core/credits/invoice-credits.ts";
import { settle } from "../../../src/core/credits/settle.ts";
import type { CreditGrant } from "../../../src/core/credits/types.ts";
import { parseDecimal } from "../../../src/core/decimal.ts";

const T = (iso: string) => new Date(iso);

function grant(id: string, overrides: Partial<CreditGrant> = {}): CreditGrant {
  return {
    id,
    customerId: "c",
    kind: "units",
    currency: null,
    feature: "api",
    amount: "10",
    priority: 0,
    effectiveAt: T("2026-03-01T00:00:00Z"),
    expiresAt: null,
    rollover: { policy: "all" },
    source: "manual",
    metadata: {},
    providerEvent: null,
    createdAt: T("2026-03-01T00:00:00Z"),
    remaining: "10",
    settledThrough: T("2026-03-01T00:00:00Z"),
    ...overrides,
  };
}

const monthEnds = (after: Date, through: Date) => ["2026-04-01", "2026-05-01", "2026-06-01"].map((d) => T(`${d}T00:00:00Z`)).filter((end) => end > after && end <= through);

describe("credit rules", () => {
  it("orders draws by priority, then soonest expiry (none last), then oldest, then id", () => {
    const grants = [
      grant("z-none"),
      grant("b-late", { effectiveAt: T("2026-03-05T00:00:00Z") }),
      grant("a-low", { priority: 1, expiresAt: T("2026-03-10T00:00:00Z") }),
      grant("y-exp", { expiresAt: T("2026-05-01T00:00:00Z") }),
      grant("a-none"),
    ];
    expect([...grants].sort(compareForDraw).map((g) => g.id)).toEqual(["y-exp", "a-none", "z-none", "b-late", "a-low"]);
  });

  it("draws exactly, across grants, and reports what they could not cover", () => {
    expect(drawDown([grant("a", { remaining: "0.25" }), grant("b", { remaining: "3" })], parseDecimal("1.5"))).toEqual({ draws: [{ grantId: "a", amount: "0.25" }, { grantId: "b", amount: "1.25" }], shortfall: "0" });
    expect(drawDown([grant("a", { remaining: "2" })], parseDecimal("5")).shortfall).toBe("3");
  });

  it("rolls over per policy at each period end and expires what is left at expiresAt", () => {
    expect(settle(grant("n", { rollover: { policy: "none" } }), monthEnds, T("2026-04-15T00:00:00Z"))).toMatchObject({ remaining: "0", forfeits: [{ amount: "10", reference: "rollover:2026-04-01T00:00:00.000Z" }] });
    expect(settle(grant("c", { rollover: { policy: "cap", cap: "4" } }), monthEnds, T("2026-05-15T00:00:00Z"))).toMatchObject({ remaining: "4", forfeits: [{ amount: "6" }] });
    expect(settle(grant("e", { expiresAt: T("2026-04-10T00:00:00Z") }), monthEnds, T("2026-04-10T00:00:00Z"))).toMatchObject({ remaining: "0", forfeits: [{ amount: "10", reference: "expiry", at: T("2026-04-10T00:00:00Z") }] });
    // An expiry at a period end takes everything: no rollover entry before it.
    expect(settle(grant("x", { rollover: { policy: "cap", cap: "4" }, expiresAt: T("2026-04-01T00:00:00Z") }), monthEnds, T("2026-04-02T00:00:00Z")).forfeits).toEqual([{ at: T("2026-04-01T00:00:00Z"), amount: "10", reference: "expiry" }]);
    // Settling again to the same instant changes nothing.
    const once = settle(grant("n2", { rollover: { policy: "none" } }), monthEnds, T("2026-04-15T00:00:00Z"));
    expect(settle(grant("n2", { rollover: { policy: "none" }, remaining: once.remaining, settledThrough: once.settledThrough }), monthEnds, T("2026-04-15T00:00:00Z")).forfeits).toEqual([]);
  });

  it("takes money credits off an invoice down to zero, never below", () => {
    const period = { from: T("2026-03-01T00:00:00Z"), to: T("2026-04-01T00:00:00Z") };
    const money = (id: string, remaining: string, extra: Partial<CreditGrant> = {}) => grant(id, { kind: "money", currency: "USD", feature: null, amount: remaining, remaining, ...extra });
    const { lines, draws } = invoiceCredits({ subtotal: 1200, period, grants: [money("a", "1000"), money("b", "5000"), money("later", "99", { effectiveAt: T("2026-04-01T00:00:00Z"), settledThrough: T("2026-04-01T00:00:00Z") })] });
    expect(lines.map((line) => [line.chargeKey, line.amount, line.exactAmount])).toEqual([
      ["credit:a", -1000, "-1000"],
      ["credit:b", -200, "-200"],
    ]);
    expect(draws).toEqual([{ grantId: "a", amount: "1000" }, { grantId: "b", amount: "200" }]);
    expect(invoiceCredits({ subtotal: 0, period, grants: [money("a", "1000")] }).lines).toEqual([]);
  });
});
