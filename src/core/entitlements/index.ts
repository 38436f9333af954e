export { activeAdjustments, adjustmentApplies } from "./active-adjustments.ts";
export { creditsNeeded, decideCheck, displayNumber, grantedResult, refuse, type CheckResult, type DecideInput, type Refusal, type RefusalCode } from "./check-result.ts";
export { effectiveLimit, type EffectiveLimit, type EffectiveLimitInput, type LimitSource } from "./effective-limit.ts";
export { resetsAt, resetWindow } from "./reset-window.ts";
export { RECURRENCES, type EntitlementState, type LimitAdjustment, type LimitOverride, type Recurrence } from "./types.ts";
export { meterSpend, overageBarrier, overageState, type OverageRule, type OverageState } from "./overage.ts";
