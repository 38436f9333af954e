import type { Catalog } from "../../core/catalog/index.ts";
import { invoiceCredits } from "../../core/credits/invoice-credits.ts";
import { moneySettlement, type MoneySettlement } from "../../core/credits/money-settlement.ts";
import { settle } from "../../core/credits/settle.ts";
import type { CreditGrant } from "../../core/credits/types.ts";
import { usableAt } from "../../core/credits/draw-order.ts";
import { add, cmp, parseDecimal, sub, toDecimalString, ZERO, type Decimal } from "../../core/decimal.ts";
import type { InvoicePeriod, PricedInvoice } from "../../core/invoicing/invoice.ts";
import { invoiceLine } from "../../core/invoicing/invoice-line.ts";
import { uninvoicedPieces } from "../../core/invoicing/interval-window.ts";
import type { BillingInterval } from "../../core/periods.ts";
import { liveMoneyGrants, writeMovements, type CreditBalanceWrite, type CreditMovement } from "../../store/credits/credit-repository.ts";
import { invoicedPeriodsAfter } from "../../store/invoices/invoice-repository.ts";
import { planSpans } from "../../store/plan-change-repository.ts";
import type { Sql } from "../../store/types.ts";
import { intervalOfPlan, onlyMonthly } from "../plan-interval.ts";
import { invoicePeriodEnd } from "./period-ends.ts";

/** An invoice about to be written, with the id the run gives it (what its credit draws reference). */
export interface InvoiceToCredit {
  readonly id: string;
  readonly invoice: PricedInvoice;
  /** When the customer was created: time before it is never invoiced (see `runInvoices`), so no grant waits for it. */
  readonly customerCreatedAt: Date;
}

/** The run that writes the invoices: the catalog, and the interval of the plans it bills. */
export interface CreditRun {
  readonly catalog: Catalog;
  readonly interval: BillingInterval;
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
    lineItems: [...invoice.lineItems, ...lines.map((line, index) => invoiceLine(line, first + index))],
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

/** The instant a grant's settlement stands at: its last settlement, or its start when later. */
const settledFrom = (grant: CreditGrant): Date => (grant.settledThrough > grant.effectiveAt ? grant.settledThrough : grant.effectiveAt);

type SettlementOf = (invoice: PricedInvoice, grant: CreditGrant) => MoneySettlement;

/**
 * How far each customer's money grants are settled once its invoice drew from them (see
 * `moneySettlement`): up to the first time before the invoice that another interval's run has
 * still to invoice, else through the invoice and the invoices that follow it. A catalog of
 * monthly plans only has no other run to wait for: every grant settles at the end of the invoice,
 * and nothing is read. Otherwise two statements for all the customers: their plan history before
 * their invoices, and their invoiced periods since their grants were last settled.
 */
async function settlementsOf(tx: Sql, run: CreditRun, items: readonly InvoiceToCredit[], grants: ReadonlyMap<string, readonly CreditGrant[]>): Promise<SettlementOf> {
  if (onlyMonthly(run.catalog)) return (invoice) => ({ through: invoice.period.to, periodEnds: invoicePeriodEnd(invoice.period.to) });
  const reach = items.flatMap(({ invoice, customerCreatedAt }) => {
    const own = grants.get(invoice.customerId);
    if (own === undefined) return [];
    const after = own.map(settledFrom).reduce((earliest, at) => (at < earliest ? at : earliest));
    // Time before the customer was created has no invoice to wait for (the run passes it by).
    return [{ customerId: invoice.customerId, after, from: after > customerCreatedAt ? after : customerCreatedAt, to: invoice.period.from }];
  });
  const invoiced = await invoicedPeriodsAfter(tx, reach);
  const held = await planSpans(tx, reach.filter((customer) => customer.from < customer.to));
  const pending = new Map<string, InvoicePeriod[]>();
  for (const { customerId } of reach) {
    const otherRuns = (held.get(customerId) ?? []).filter((span) => intervalOfPlan(run.catalog, span.planKey) !== run.interval);
    pending.set(customerId, otherRuns.flatMap((span) => uninvoicedPieces({ from: span.from, to: span.to }, invoiced.get(customerId)!)));
  }
  return (invoice, grant) =>
    moneySettlement({ grant, invoice: invoice.period, pending: pending.get(invoice.customerId) ?? [], invoiced: invoiced.get(invoice.customerId) ?? [] });
}

/**
 * Draws money credits against invoices on the run's transaction: each customer's money grants
 * are locked, drawn in draw order as credit lines (never below a zero subtotal), and then settled
 * at the end of the invoiced period — expiries up to it, and what the rollover policy does not
 * carry past it; a grant an earlier window of another interval may still draw waits for that
 * window's invoice (`moneySettlement`) — all in the transaction that writes the invoices, so a rolled-back batch draws
 * nothing and a re-run, which finds the invoice written, draws nothing twice. Each customer whose
 * credits moved is told to `onUsed` in that transaction too (the credit alerts, at `at`: the run's clock).
 *
 * @example
 * const credited = await applyMoneyCredits(tx, { catalog, interval: "month" }, [{ id: "inv_cus_1_2026-03", invoice, customerCreatedAt }]); // subtotal 1200 → 200 with a 1000 credit
 */
export async function applyMoneyCredits(
  tx: Sql,
  run: CreditRun,
  items: readonly InvoiceToCredit[],
  report?: { at: Date; onUsed: (tx: Sql, used: MoneyCreditsUsed) => Promise<void> },
): Promise<PricedInvoice[]> {
  const grants = byCustomer(await liveMoneyGrants(tx, items.map((item) => item.invoice.customerId), { lock: true }));
  const settlementOf = await settlementsOf(tx, run, items, grants);
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
      const { through, periodEnds } = settlementOf(invoice, grant);
      const settled = settle(after, periodEnds, through);
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
