import { parseDecimal, toDecimalString } from "../decimal.ts";
import type { InvoicePeriod } from "../invoicing/invoice.ts";
import type { LineItem } from "../pricing/line-item.ts";
import { drawDown, type Draw } from "./draw-order.ts";
import type { CreditGrant } from "./types.ts";

/**
 * A money grant counts for the invoice of a period when it was in effect at some instant of the
 * period ([effectiveAt, expiresAt) meets [from, to)) and no later period's invoice has settled it.
 */
export function countsForPeriod(grant: CreditGrant, period: InvoicePeriod): boolean {
  return grant.kind === "money" && grant.effectiveAt < period.to && (grant.expiresAt === null || grant.expiresAt > period.from) && grant.settledThrough < period.to;
}

/**
 * The credit lines of an invoice: money grants drawn in draw order against the invoice's
 * subtotal, never taking it below zero; what a grant does not give stays on it. Amounts are whole
 * minor units, so nothing is rounded. Each line is negative and names its grant.
 *
 * @example
 * invoiceCredits({ subtotal: 1200, period, grants: [{ id: "welcome", remaining: "1000", ... }] })
 * // { lines: [{ chargeKey: "credit:welcome", model: "credit", amount: -1000, ... }], draws: [{ grantId: "welcome", amount: "1000" }] }
 */
export function invoiceCredits(input: { subtotal: number; period: InvoicePeriod; grants: readonly CreditGrant[] }): { lines: LineItem[]; draws: Draw[] } {
  if (input.subtotal <= 0) return { lines: [], draws: [] };
  const eligible = input.grants.filter((grant) => countsForPeriod(grant, input.period));
  const { draws } = drawDown(eligible, parseDecimal(input.subtotal));
  const lines = draws.map(
    (draw): LineItem => ({
      chargeKey: `credit:${draw.grantId}`,
      model: "credit",
      meter: null,
      description: `Credit ${draw.grantId}`,
      quantity: "1",
      billableQuantity: "1",
      amount: -Number(draw.amount),
      exactAmount: toDecimalString(parseDecimal(`-${draw.amount}`)),
    }),
  );
  return { lines, draws };
}
