import type { Alert } from "../catalog/index.ts";
import { cmp, parseDecimal, ZERO, type Decimal } from "../decimal.ts";

const DAY_MS = 86_400_000;

/** Alerts watching the same balance: money (feature null) or one feature's unit credits. */
const watches = (alert: Alert, feature: string | null) => alert.kind !== "usage" && alert.kind !== "spend" && (alert.feature ?? null) === feature;

/**
 * The credit-balance alerts a balance has reached, each with its threshold: `credit_balance_low`
 * at `below` or less, `credit_balance_depleted` at 0 or less.
 *
 * @example
 * creditBalanceReached([{ key: "low", kind: "credit_balance_low", below: "100" }], null, parseDecimal("80"))
 * // [{ alert: { key: "low", ... }, threshold: "100" }]
 */
export function creditBalanceReached(alerts: readonly Alert[], feature: string | null, balance: Decimal): Array<{ alert: Alert; threshold: string }> {
  const reached: Array<{ alert: Alert; threshold: string }> = [];
  for (const alert of alerts) {
    if (alert.kind === "credit_balance_low" && watches(alert, feature) && cmp(balance, parseDecimal(alert.below)) <= 0) reached.push({ alert, threshold: String(alert.below) });
    if (alert.kind === "credit_balance_depleted" && watches(alert, feature) && cmp(balance, ZERO) <= 0) reached.push({ alert, threshold: "0" });
  }
  return reached;
}

/**
 * The `credits_expiring` alerts that credits expiring at `expiresAt` have reached at `at`: the
 * expiry is ahead, within `withinDays`.
 *
 * @example
 * creditsExpiringReached([{ key: "soon", kind: "credits_expiring", withinDays: 7 }], null, new Date("2026-03-20"), new Date("2026-03-15")) // [{ alert, threshold: "7" }]
 */
export function creditsExpiringReached(alerts: readonly Alert[], feature: string | null, expiresAt: Date, at: Date): Array<{ alert: Alert; threshold: string }> {
  const ahead = expiresAt.getTime() - at.getTime();
  return alerts
    .filter((alert) => alert.kind === "credits_expiring" && watches(alert, feature) && ahead > 0 && ahead <= alert.withinDays * DAY_MS)
    .map((alert) => ({ alert, threshold: String((alert as Alert & { kind: "credits_expiring" }).withinDays) }));
}
