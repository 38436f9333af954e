import { invoiceCredits } from "../../core/credits/invoice-credits.ts";
import { settle } from "../../core/credits/settle.ts";
import type { CreditGrant } from "../../core/credits/types.ts";
import { usableAt } from "../../core/credits/draw-order.ts";
import { add, cmp, parseDecimal, sub, toDecimalString, ZERO, type Decimal } from "../../core/decimal.ts";
import type { PricedInvoice } from "../../core/invoicing/invoice.ts";
import { liveMoneyGrants, writeMovements, type CreditBalanceWrite, type CreditMovement } from "../../store/credits/credit-repository.ts";
import type { Sql } from "../../store/types.ts";
import { invoicePeriodEnd } from "./period-ends.ts";

/** An invoice about to be written, with the id the run gives it (what its credit draws reference). */
export interface InvoiceToCredit {
  readonly id: string;
  readonly invoice: PricedInvoice;
}

/**
 * What a customer's money credits were before and after the run drew and settled them: what
 * the credit alerts are told (see AlertFirer.creditsUsed).
 */
export interface MoneyCreditsUsed {
  readonly customerId: string;
  /** Usable at `at`, in minor units. */
  readonly before: Decimal;
  readonly after: Decimal;
  /** Each grant as the run left it. */
  readonly grants: ReadonlyArray<{ remaining: string; expiresAt: Date | null }>;
  readonly at: Date;
}

/** What the grants hold that is usable at `at`. */
function usableTotal(grants: readonly CreditGrant[], at: Date): Decimal {
  let total = ZERO;
  for (const grant of grants) if (usableAt(grant, at)) total = add(total, parseDecimal(grant.remaining));
  return total;
}

/** The invoice with its credit lines after its priced lines, and its subtotal less them. */
function withCreditLines(invoice: PricedInvoice, lines: ReturnType<typeof invoiceCredits>["lines"]): PricedInvoice {
  if (lines.length === 0) return invoice;
  const first = invoice.lineItems.length + 1;
  return {
    ...invoice,
    lineItems: [...invoice.lineItems, ...lines.map((line, index) => ({ ...line, lineNumber: first + index }))],
    subtotal: invoice.subtotal + lines.reduce((total, line) => total + line.amount, 0),
  };
}

function byCustomer(grants: readonly CreditGrant[]): Map<string, CreditGrant[]> {
  const map = new Map<string, CreditGrant[]>();
  for (const grant of grants) {
    const list = map.get(grant.customerId) ?? [];
    list.push(grant);
    map.set(grant.customerId, list);
  }
  return map;
}

/**
 * Draws money credits against invoices on the run's transaction: each customer's money grants
 * are locked, drawn in draw order as credit lines (never below a zero subtotal), and then settled
 * at the end of the invoiced period — expiries up to it, and what the rollover policy does not
 * carry past it — all in the transaction that writes the invoices, so a rolled-back batch draws
 * nothing and a re-run, which finds the invoice written, draws nothing twice. Each customer whose
 * credits moved is told to `onUsed` in that transaction too (the credit alerts, at `at`: the run's clock).
 *
 * @example
 * const credited = await applyMoneyCredits(tx, [{ id: "inv_cus_1_2026-03", invoice }]); // subtotal 1200 → 200 with a 1000 credit
 */
export async function applyMoneyCredits(
  tx: Sql,
  items: readonly InvoiceToCredit[],
  report?: { at: Date; onUsed: (tx: Sql, used: MoneyCreditsUsed) => Promise<void> },
): Promise<PricedInvoice[]> {
  const grants = byCustomer(await liveMoneyGrants(tx, items.map((item) => item.invoice.customerId), { lock: true }));
  const credited: PricedInvoice[] = [];
  for (const { id, invoice } of items) {
    const own = grants.get(invoice.customerId);
    if (own === undefined) {
      credited.push(invoice);
      continue;
    }
    const { lines, draws } = invoiceCredits({ subtotal: invoice.subtotal, period: invoice.period, grants: own });
    const drawn = new Map(draws.map((draw) => [draw.grantId, draw.amount]));
    const movements: CreditMovement[] = draws.map((draw) => ({ grantId: draw.grantId, kind: "draw", amount: draw.amount, reference: id, at: invoice.period.to }));
    const balances: CreditBalanceWrite[] = [];
    const left: CreditGrant[] = [];
    for (const grant of own) {
      const taken = drawn.get(grant.id);
      const after = taken === undefined ? grant : { ...grant, remaining: toDecimalString(sub(parseDecimal(grant.remaining), parseDecimal(taken))) };
      const settled = settle(after, invoicePeriodEnd(invoice.period.to), invoice.period.to);
      left.push({ ...grant, remaining: settled.remaining, settledThrough: settled.settledThrough });
      for (const forfeit of settled.forfeits) movements.push({ grantId: grant.id, kind: "expire", amount: forfeit.amount, reference: forfeit.reference, at: forfeit.at });
      if (taken !== undefined || settled.settledThrough.getTime() !== grant.settledThrough.getTime()) {
        balances.push({ grantId: grant.id, remaining: settled.remaining, settledThrough: settled.settledThrough });
      }
    }
    await writeMovements(tx, invoice.customerId, movements, balances);
    if (report !== undefined && movements.length > 0) {
      await report.onUsed(tx, {
        customerId: invoice.customerId,
        before: usableTotal(own, report.at),
        after: usableTotal(left, report.at),
        grants: left.map((grant) => ({ remaining: grant.remaining, expiresAt: grant.expiresAt })),
        at: report.at,
      });
    }
    credited.push(withCreditLines(invoice, lines));
  }
  return credited;
}

/**
 * The credit lines the run would add to `invoice` now, read without locks and written nowhere:
 * what a preview shows, so that it equals the invoice the run writes.
 */
export async function previewMoneyCredits(sql: Sql, invoice: PricedInvoice): Promise<PricedInvoice> {
  const grants = await liveMoneyGrants(sql, [invoice.customerId]);
  if (grants.length === 0) return invoice;
  return withCreditLines(invoice, invoiceCredits({ subtotal: invoice.subtotal, period: invoice.period, grants }).lines);
}
