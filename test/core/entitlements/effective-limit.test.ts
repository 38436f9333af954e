import { describe, expect, it } from "vitest";
import type { Feature } from "../../../src/core/catalog/index.ts";
import { toDecimalString } from "../../../src/core/decimal.ts";
import { effectiveLimit, resetWindow, type EffectiveLimitInput, type LimitAdjustment, type LimitOverride } from "../../../src/core/entitlements/index.ts";
import { adjustment, at, catalog } from "./fixtures.ts";

const now = at("2026-03-15T12:00:00Z");

function limitOf(plan: "free" | "pro", featureKey: string, extra: Partial<{ variant: string | null; override: LimitOverride; adjustments: LimitAdjustment[] }> = {}) {
  const feature = catalog.features[featureKey] as Feature;
  const input: EffectiveLimitInput = {
    feature,
    grant: catalog.plans[plan]!.grants[featureKey]!,
    variant: extra.variant ?? null,
    override: extra.override,
    adjustments: extra.adjustments ?? [],
    at: now,
    window: resetWindow(feature, now, {}),
  };
  const result = effectiveLimit(input);
  return { ...result, text: result.limit === null ? null : toDecimalString(result.limit) };
}

describe("effective limit", () => {
  it("is the plan's limit when nothing else applies", () => {
    expect(limitOf("free", "api")).toMatchObject({ text: "1000", source: "plan", granted: true });
  });

  it("uses the named variant of the plan's limit", () => {
    expect(limitOf("pro", "api", { variant: "starter" })).toMatchObject({ text: "25000", source: "variant" });
    expect(limitOf("pro", "api", { variant: "unlimited" })).toMatchObject({ text: null, source: "variant" });
  });

  it("falls back to the plan's limit when the feature has no variant of that name", () => {
    expect(limitOf("pro", "seats", { variant: "starter" })).toMatchObject({ text: "20", source: "plan" });
  });

  it("lets an override replace the plan's limit and its variants", () => {
    const override = { feature: "api", granted: true, limit: "7" };
    expect(limitOf("pro", "api", { variant: "starter", override })).toMatchObject({ text: "7", source: "override" });
  });

  it("adds active grants and subtracts active deductions exactly", () => {
    const adjustments = [adjustment({ id: "bonus", amount: "0.1" }), adjustment({ id: "promo", amount: "0.2" }), adjustment({ id: "penalty", amount: "-100" })];
    expect(limitOf("free", "api", { adjustments })).toMatchObject({ text: "900.3", adjustments: ["bonus", "promo", "penalty"] });
  });

  it("ignores adjustments that are not active or belong to another feature", () => {
    const adjustments = [adjustment({ id: "later", amount: "5", startsAt: at("2026-04-01T00:00:00Z") }), adjustment({ id: "seats", feature: "seats", amount: "5" })];
    expect(limitOf("free", "api", { adjustments })).toMatchObject({ text: "1000", adjustments: [] });
  });

  it("never drops below zero, whatever the deductions", () => {
    expect(limitOf("free", "api", { adjustments: [adjustment({ amount: "-5000" })] }).text).toBe("0");
  });

  it("never drops below the feature's minimumLimit", () => {
    expect(limitOf("free", "tokens", { adjustments: [adjustment({ feature: "tokens", amount: "-450" })] }).text).toBe("100");
    expect(limitOf("free", "seats", { override: { feature: "seats", granted: true, limit: "0" } }).text).toBe("1");
  });

  it("keeps unlimited unlimited, whatever the deductions", () => {
    expect(limitOf("pro", "tokens", { adjustments: [adjustment({ feature: "tokens", amount: "-1" })] }).text).toBeNull();
  });

  it("lets a grant open a feature the plan does not include", () => {
    expect(limitOf("free", "sso")).toMatchObject({ granted: false, text: "0" });
    const result = limitOf("pro", "api", { override: { feature: "api", granted: true, limit: "0" }, adjustments: [adjustment({ amount: "3" })] });
    expect(result.text).toBe("3");
  });

  it("turns a flag on or off with an override and takes no adjustments for it", () => {
    expect(limitOf("free", "sso", { override: { feature: "sso", granted: true, limit: null } })).toMatchObject({ granted: true, text: null, source: "override" });
    expect(limitOf("pro", "sso", { override: { feature: "sso", granted: false, limit: "0" } })).toMatchObject({ granted: false, text: "0" });
    expect(limitOf("pro", "sso", { adjustments: [adjustment({ feature: "sso", amount: "-1" })] })).toMatchObject({ granted: true, text: null, adjustments: [] });
  });
});
