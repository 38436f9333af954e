import { describe, expect, it } from "vitest";
import { parseDecimal, ZERO } from "../../../src/core/decimal.ts";
import { decideCheck, grantedResult, refuse, type EffectiveLimit } from "../../../src/core/entitlements/index.ts";
import { at } from "./fixtures.ts";

const d = (value: string) => parseDecimal(value);
const metered = (limit: string | null): EffectiveLimit => ({ feature: "api", type: "metered", granted: true, limit: limit === null ? null : d(limit), source: "plan", adjustments: [] });
const resetsAt = at("2026-04-01T00:00:00Z");

describe("check decision", () => {
  it("allows while used + amount stays within the limit, and says how much is left", () => {
    expect(decideCheck({ limit: metered("10"), used: d("9"), amount: d("1"), resetsAt })).toMatchObject({
      allowed: true, limit: 10, used: 9, remaining: 1, unlimited: false, resetsAt, refusal: null,
    });
  });

  it("refuses with LIMIT_EXCEEDED when the amount does not fit", () => {
    const result = decideCheck({ limit: metered("10"), used: d("9.5"), amount: d("1"), resetsAt });
    expect(result).toMatchObject({ allowed: false, remaining: 0.5, refusal: { code: "LIMIT_EXCEEDED" } });
    expect(result.refusal?.reason).toContain("9.5 of 10 used");
  });

  it("compares exactly where floats would not: 0.1 + 0.2 fits a limit of 0.3", () => {
    expect(decideCheck({ limit: metered("0.3"), used: d("0.1"), amount: d("0.2"), resetsAt }).allowed).toBe(true);
    expect(decideCheck({ limit: metered("0.3"), used: d("0.1"), amount: d("0.2000000000000000001"), resetsAt }).allowed).toBe(false);
  });

  it("carries exact decimals beside the display numbers", () => {
    const result = decideCheck({ limit: metered("12345678901234567890.5"), used: d("0.25"), amount: d("2"), resetsAt });
    expect(result.exact).toEqual({ limit: "12345678901234567890.5", used: "0.25", remaining: "12345678901234567890.25", amount: "2" });
  });

  it("reports no remaining below zero when usage already went over the limit", () => {
    expect(decideCheck({ limit: metered("10"), used: d("12"), amount: ZERO, resetsAt })).toMatchObject({ allowed: false, used: 12, remaining: 0 });
  });

  it("always allows an unlimited feature and reports remaining as null", () => {
    expect(decideCheck({ limit: metered(null), used: d("1e9"), amount: d("1e9"), resetsAt })).toMatchObject({ allowed: true, unlimited: true, limit: null, remaining: null });
  });

  it("answers a flag by whether it is on, with no usage", () => {
    const on: EffectiveLimit = { feature: "sso", type: "boolean", granted: true, limit: null, source: "plan", adjustments: [] };
    const off: EffectiveLimit = { ...on, granted: false, limit: ZERO };
    expect(decideCheck({ limit: on, used: ZERO, amount: d("1"), resetsAt: null })).toMatchObject({ allowed: true, unlimited: true, limit: null, used: 0 });
    expect(decideCheck({ limit: off, used: ZERO, amount: d("1"), resetsAt: null })).toMatchObject({ allowed: false, limit: 0, remaining: 0, refusal: { code: "FEATURE_NOT_GRANTED" } });
  });

  it("compares the amount asked about against a static feature's limit, with nothing used", () => {
    const seats: EffectiveLimit = { feature: "seats", type: "static", granted: true, limit: d("5"), source: "plan", adjustments: [] };
    expect(decideCheck({ limit: seats, used: d("99"), amount: d("5"), resetsAt: null })).toMatchObject({ allowed: true, used: 0, remaining: 5 });
    expect(decideCheck({ limit: seats, used: ZERO, amount: d("6"), resetsAt: null })).toMatchObject({ allowed: false, refusal: { code: "LIMIT_EXCEEDED" } });
  });

  it("refuses an allowed result for another reason, keeping its numbers", () => {
    const allowed = decideCheck({ limit: metered("10"), used: d("1"), amount: d("1"), resetsAt });
    expect(refuse(allowed, { code: "HOOK_REFUSED", reason: "busy" })).toMatchObject({ allowed: false, remaining: 9, refusal: { code: "HOOK_REFUSED", reason: "busy" } });
  });
});

describe("granted consume result", () => {
  it("reports usage after the consume and stays allowed even when the limit has since dropped", () => {
    const result = grantedResult({ limit: metered("10"), used: d("12"), amount: d("2"), resetsAt });
    expect(result).toMatchObject({ allowed: true, refusal: null, used: 12, remaining: 0, exact: { amount: "2", used: "12", remaining: "0" } });
  });
});
