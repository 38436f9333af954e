import type { InvoicePeriod } from "../invoicing/invoice.ts";
import type { PeriodEnds } from "./settle.ts";
import type { CreditGrant } from "./types.ts";

/** How far a money grant is settled after an invoice drew from it, and the rollover ends on the way. */
export interface MoneySettlement {
  /** Expiries and rollovers up to this instant are written (it may be the grant's own `settledThrough`: nothing moves). */
  readonly through: Date;
  readonly periodEnds: PeriodEnds;
}

/**
 * Where a money grant's settlement stops once `invoice` has drawn from it, so that nothing a
 * window before it could draw is expired or rolled over first.
 *
 * Money credits settle at the ends of invoiced periods, after the invoice drew. Runs of different
 * intervals invoice out of time order: after a yearly → monthly change on Jun 10, the monthly runs
 * invoice Jun 10 → Jul 1, Jul 1 → Aug 1, … while the cut yearly window Jan 1 → Jun 10 waits for
 * the year to end (its run bills one invoice per year, from the first yearly instant to the last:
 * a customer may come back to a yearly plan in the same year). So:
 *
 * - `pending` is the customer's time before the invoice that another interval's run still has to
 *   invoice. While some of it lies in the grant's reach (after what is settled, before the grant's
 *   expiry), the grant is settled only up to the first of it: the window there will draw from the
 *   grant first, and its rollovers and expiry wait for it. The invoice itself still draws (it is
 *   written now; what the earlier window cannot get from a grant a later invoice took, it gets from
 *   the grants that are left, in draw order).
 * - Otherwise the grant is settled through the end of the invoice, and on through the customer's
 *   invoices that follow it without a gap (`invoiced`: invoices written before this one, out of
 *   time order, already drew from a grant that was waiting for this one; a grant in effect only
 *   after the invoice is left as it is). Each invoiced period's
 *   end within that stretch is a rollover end, applied to what is left after every draw of it.
 *
 * Nothing is forfeited early: a grant's expiry or rollover is written only once every window
 * before it that can draw the grant is invoiced, and no draw exceeds what the grant holds. An
 * invoice written before an earlier window may draw from a grant what a rollover at that window's
 * end would have taken, so from the grants it waits for the customer gets at least what invoicing
 * in time order gives. Rejected: billing the cut window at the change (the customer may come back
 * to the interval before the period ends, and the run bills that time on the same invoice), and
 * keeping later invoices from drawing a waiting grant (one expiring after the change would then
 * pay nothing of the time after it, and be lost).
 *
 * @example
 * // Grant since Jan 1; yearly → monthly on Jun 10; the June invoice (Jun 10 → Jul 1) is written first:
 * moneySettlement({ grant, invoice: { from: jun10, to: jul1 }, pending: [{ from: jan1, to: jun10 }], invoiced: [] }).through // Jan 1
 * // Then the year's invoice (Jan 1 → Jun 10):
 * moneySettlement({ grant, invoice: { from: jan1, to: jun10 }, pending: [], invoiced: [{ from: jun10, to: jul1 }] }).through // Jul 1, ends Jun 10 and Jul 1
 */
export function moneySettlement(input: {
  grant: CreditGrant;
  invoice: InvoicePeriod;
  /** Uninvoiced time before the invoice that another interval's run bills, in time order. */
  pending: readonly InvoicePeriod[];
  /** The customer's other invoiced periods (any order). */
  invoiced: readonly InvoicePeriod[];
}): MoneySettlement {
  const { grant, invoice } = input;
  const after = grant.settledThrough > grant.effectiveAt ? grant.settledThrough : grant.effectiveAt;
  const reach = grant.expiresAt !== null && grant.expiresAt < invoice.from ? grant.expiresAt : invoice.from;
  const waiting = input.pending.find((piece) => piece.to > after && piece.from < reach);
  let through: Date;
  if (waiting !== undefined) {
    through = waiting.from > after ? waiting.from : after;
  } else {
    through = invoice.to;
    // Only a grant in effect before the invoice's end can have waited for it; a later one is
    // settled by the invoices that draw it.
    if (!(grant.effectiveAt < invoice.to)) return { through, periodEnds: () => [] };
    const following = [...input.invoiced].sort((a, b) => a.from.getTime() - b.from.getTime());
    for (const period of following) if (period.from <= through && period.to > through) through = period.to;
  }
  const ends = [...new Set([invoice.to, ...input.invoiced.map((period) => period.to)].map((end) => end.getTime()))].sort((a, b) => a - b).map((end) => new Date(end));
  return { through, periodEnds: (from, to) => ends.filter((end) => end > from && end <= to) };
}
