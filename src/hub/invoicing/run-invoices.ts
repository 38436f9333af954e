import type { BillingErrorCode } from "../../core/errors.ts";
import { parseBillingMonth, type BillingMonth } from "../../core/invoicing/billing-month.ts";
import type { Invoice } from "../../core/invoicing/invoice.ts";
import { invoicedCustomers, writeInvoices } from "../../store/invoices/invoice-repository.ts";
import { countRunCustomers, lockCustomerRows, nextRunCustomers, withoutJit } from "../../store/invoices/run-customers.ts";
import type { Sql } from "../../store/types.ts";
import type { HubContext } from "../context.ts";
import { retryWhileStoreUnavailable, type StoreRetryPolicy } from "../store-retry.ts";
import { invoiceId } from "./invoice-id.ts";
import { monthWindows } from "./month-windows.ts";
import { priceInvoices, type InvoiceTarget } from "./price-invoices.ts";
import { createPriceResolvers, type PriceResolvers } from "./price-resolvers.ts";
import { ensureLedgerPartitions } from "../../store/ledger/partitions.ts";
import { queryUsageTotals } from "../../store/ledger/aggregate.ts";
import { applyMoneyCredits } from "../credits/money-credits.ts";

export interface RunInvoicesInput {
  /** The billing month, `YYYY-MM`. */
  period: string;
  /** Customers per transaction (default 500). */
  batchSize?: number;
  /** Told after each batch: customers done out of those the run started with. */
  onProgress?: (progress: { done: number; total: number }) => void;
  /**
   * How a batch is retried while the database is unavailable (default: 5 tries over about 15 s);
   * past that the run fails, and running it again resumes where it stopped.
   */
  storeRetry?: StoreRetryPolicy;
}

export interface RunInvoicesResult {
  period: string;
  /** Customers without an invoice for the month when the run started: the ones it went through. */
  total: number;
  /** Invoices this run wrote. */
  invoiced: number;
  /** Customers that already had an invoice for the month (an earlier or a concurrent run). */
  alreadyInvoiced: number;
  /** Customers passed by, by reason; a later run looks at them again. */
  skipped: {
    /** Their billing period has not ended by the hub's clock: usage may still arrive. */
    notEnded: number;
    /** Created after the period ended, with no usage in it: not a customer then. */
    notYetCustomer: number;
    /** No billing period of their cycle ends in the month. */
    noPeriod: number;
    /** Invoices of other months already cover the period. */
    covered: number;
  };
  /** Customers that could not be priced (e.g. a price not synced); nothing was written for them. */
  failed: Array<{ customerId: string; code: BillingErrorCode; message: string }>;
  /** The numbers this run gave out, or null when it wrote nothing. */
  numbers: { first: number; last: number } | null;
}

const DEFAULT_BATCH_SIZE = 500;

/**
 * The invoice run of a month: every customer without an invoice for it, in id order, a batch of
 * customers per transaction. Each transaction locks its customers' rows (so the usage it reads is
 * final), prices them, closes their periods in the ledger and writes numbered invoices with their
 * lines — all or nothing. A crash loses at most the batch in flight, which the next run redoes; a
 * re-run passes every invoiced customer by, and the unique (customer, month) key makes a second
 * invoice impossible even for two runs at once.
 */
export async function runInvoices(ctx: HubContext, input: RunInvoicesInput): Promise<RunInvoicesResult> {
  const month = parseBillingMonth(input.period);
  const batchSize = input.batchSize ?? DEFAULT_BATCH_SIZE;
  // A monthly job: the ledger's months ahead are created here too, for a hub that runs for months.
  await retryWhileStoreUnavailable(() => ensureLedgerPartitions(ctx.store), input.storeRetry);
  const counts = await countRunCustomers(ctx.store, month.key);
  const result: RunInvoicesResult = {
    period: month.key,
    total: counts.pending,
    invoiced: 0,
    alreadyInvoiced: counts.invoiced,
    skipped: { notEnded: 0, notYetCustomer: 0, noPeriod: 0, covered: 0 },
    failed: [],
    numbers: null,
  };
  const resolvers = createPriceResolvers();
  let done = 0;
  let after: string | null = null;
  input.onProgress?.({ done, total: result.total });
  for (;;) {
    const ids = await retryWhileStoreUnavailable(() => nextRunCustomers(ctx.store, month.key, after, batchSize), input.storeRetry);
    if (ids.length === 0) break;
    after = ids[ids.length - 1]!;
    // A batch whose commit was cut off may have committed: tried again, its customers then count
    // as already invoiced, never twice.
    const batch = await retryWhileStoreUnavailable(() => ctx.store.transaction((tx) => invoiceBatch(tx, ctx, month, ids, resolvers)), input.storeRetry);
    const written = batch.invoices;
    if (written.length > 0) {
      result.invoiced += written.length;
      result.numbers = { first: result.numbers?.first ?? written[0]!.number, last: written[written.length - 1]!.number };
    }
    result.alreadyInvoiced += batch.alreadyInvoiced;
    for (const reason of Object.keys(batch.skipped) as Array<keyof RunInvoicesResult["skipped"]>) result.skipped[reason] += batch.skipped[reason];
    result.failed.push(...batch.failed);
    done += ids.length;
    input.onProgress?.({ done, total: Math.max(result.total, done) });
  }
  return result;
}

interface BatchResult {
  invoices: Invoice[];
  alreadyInvoiced: number;
  skipped: RunInvoicesResult["skipped"];
  failed: RunInvoicesResult["failed"];
}

async function invoiceBatch(tx: Sql, ctx: HubContext, month: BillingMonth, ids: readonly string[], resolvers: PriceResolvers): Promise<BatchResult> {
  // Locked before anything is read: recording into these customers now waits for this
  // transaction, so the usage priced below is final (writeInvoices then only records the close).
  await withoutJit(tx);
  const customers = await lockCustomerRows(tx, ids);
  const already = await invoicedCustomers(tx, month.key, ids);
  const open = customers.filter((customer) => !already.has(customer.id));
  const skipped = { notEnded: 0, notYetCustomer: 0, noPeriod: 0, covered: 0 };
  const windows = await monthWindows(tx, month, open);
  const now = ctx.now();
  const targets: InvoiceTarget[] = [];
  for (const customer of open) {
    const window = windows.get(customer.id)!;
    if ("skip" in window) {
      if (window.skip === "no_period") skipped.noPeriod += 1;
      else skipped.covered += 1;
    } else if (window.period.to > now) {
      skipped.notEnded += 1;
    } else {
      targets.push({ customer, period: window.period });
    }
  }
  const outcomes = await priceInvoices(tx, ctx, targets, resolvers);
  const usedAnyMeter = await usageOfAnyMeter(tx, ctx, targets.filter(({ customer, period }) => {
    const outcome = outcomes.get(customer.id)!;
    return outcome.ok && customer.createdAt >= period.to && !outcome.hadUsage;
  }));
  const priced = [];
  const failed: RunInvoicesResult["failed"] = [];
  for (const { customer, period } of targets) {
    const outcome = outcomes.get(customer.id)!;
    if (!outcome.ok) failed.push({ customerId: customer.id, code: outcome.error.code, message: outcome.error.message });
    else if (customer.createdAt >= period.to && !outcome.hadUsage && !usedAnyMeter.has(customer.id)) skipped.notYetCustomer += 1;
    else priced.push(outcome);
  }
  // Money credits are drawn in this transaction, so they move exactly when the invoices are written.
  const credited = await applyMoneyCredits(tx, priced.map(({ invoice }) => ({ id: invoiceId(invoice.customerId, month.key), invoice })));
  const invoices = await writeInvoices(
    tx,
    priced.map(({ provider }, index) => ({ ...credited[index]!, id: invoiceId(credited[index]!.customerId, month.key), periodKey: month.key, provider, status: "issued" as const, createdAt: now })),
  );
  return { invoices, alreadyInvoiced: already.size, skipped, failed };
}

/**
 * The customers among `targets` with usage of any meter in their period. `hadUsage` counts only
 * the meters their plan prices, so a customer on a plan that prices nothing (a free plan) would
 * otherwise look like one that was not a customer yet; asked only about customers created after
 * their period ended, which are few.
 */
async function usageOfAnyMeter(tx: Sql, ctx: HubContext, targets: readonly InvoiceTarget[]): Promise<Set<string>> {
  const meters = Object.values(ctx.catalog.meters);
  if (targets.length === 0 || meters.length === 0) return new Set();
  const rows = await queryUsageTotals(tx, { scopes: targets.map(({ customer, period }) => ({ customerId: customer.id, from: period.from, to: period.to })), meters });
  return new Set(rows.map((row) => row.customerId));
}
