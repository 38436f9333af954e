import type { BillingErrorCode } from "../../core/errors.ts";
import { parseRunPeriod, type RunPeriod } from "../../core/invoicing/run-period.ts";
import type { Invoice } from "../../core/invoicing/invoice.ts";
import { invoicedCustomers, prepareInvoiceWrite, type InvoiceDraft } from "../../store/invoices/invoice-repository.ts";
import { countRunCustomers, lockCustomerRows, nextRunCustomers, type RunCustomer } from "../../store/invoices/run-customers.ts";
import type { Sql } from "../../store/types.ts";
import type { HubContext } from "../context.ts";
import { retryWhileStoreUnavailable, type StoreRetryPolicy } from "../store-retry.ts";
import { invoiceId } from "./invoice-id.ts";
import { runWindows } from "./run-windows.ts";
import { priceInvoices, type InvoiceTarget } from "./price-invoices.ts";
import { createPriceResolvers, type PriceResolvers } from "./price-resolvers.ts";
import { ensureLedgerPartitions } from "../../store/ledger/partitions.ts";
import { queryUsageTotals } from "../../store/ledger/aggregate.ts";
import { applyMoneyCredits } from "../credits/money-credits.ts";
import type { AlertFirer } from "../alerts/fire-alerts.ts";

/** The credit alerts a run tells what it drew from money credits. */
type CreditAlerts = Pick<AlertFirer, "creditsUsed">;

export interface RunInvoicesInput {
  /** The run's period: a month `YYYY-MM` (monthly plans), a year `YYYY` (yearly plans) or an ISO week `YYYY-Www` (weekly plans). */
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
  /** Customers without an invoice for the run's period when it started: the ones it went through. */
  total: number;
  /** Invoices this run wrote. */
  invoiced: number;
  /** Customers that already had an invoice for the run's period (an earlier or a concurrent run). */
  alreadyInvoiced: number;
  /** Customers passed by, by reason; a later run looks at them again. */
  skipped: {
    /** Their billing period has not ended by the hub's clock: usage may still arrive. */
    notEnded: number;
    /** Created after the period ended, with no usage in it: not a customer then. */
    notYetCustomer: number;
    /** No billing period of their cycle ends in the run's period, or they were on plans of another interval all of it. */
    noPeriod: number;
    /** Invoices of other runs already cover the period. */
    covered: number;
  };
  /** Customers that could not be priced (e.g. a price not synced); nothing was written for them. */
  failed: Array<{ customerId: string; code: BillingErrorCode; message: string }>;
  /** The numbers this run gave out, or null when it wrote nothing. */
  numbers: { first: number; last: number } | null;
}

const DEFAULT_BATCH_SIZE = 500;

/**
 * How many batches a run keeps open at once: one per connection of the pool but one (left for the
 * run's reads of customer pages and the hub's other work), at most three. A pool of two still
 * holds two, as runs always did (their page reads wait their turn), and a store of one connection
 * (PGlite) runs its batches one after another. With three, the newest batch reads its usage while
 * the one before it prices and the oldest writes, so the database and this process both keep busy
 * (PostgreSQL, 10,000 customers: BENCHMARKS.md).
 */
export function batchesInFlight(connections: number): number {
  return connections <= 2 ? Math.max(1, connections) : Math.min(3, connections - 1);
}

/**
 * The invoice run of a period (a month, a year or an ISO week, each billing the customers on plans
 * of its interval: see `runWindows`): every customer without an invoice for it, in id order, a batch of
 * customers per transaction. Each transaction locks its customers' rows (so the usage it reads is
 * final), prices them, closes their periods in the ledger and writes numbered invoices with their
 * lines — all or nothing. A crash loses at most the batches in flight, which the next run redoes;
 * a re-run passes every invoiced customer by, and the unique (customer, period key) makes a second
 * invoice impossible even for two runs at once.
 *
 * Where the store can hold several transactions open (PostgreSQL), batches overlap (up to three,
 * `batchesInFlight`): a batch locks, reads, prices, draws money credits and closes its periods
 * while the ones before it still work, so the database and this process work at the same time.
 * Only its invoices' numbers wait: a batch numbers and inserts its invoices once the one before it
 * committed, so invoice numbers follow the customers' order as they would one batch at a time.
 */
export async function runInvoices(ctx: HubContext, input: RunInvoicesInput, alerts?: CreditAlerts): Promise<RunInvoicesResult> {
  const run = parseRunPeriod(input.period);
  const batchSize = input.batchSize ?? DEFAULT_BATCH_SIZE;
  // A monthly job: the ledger's months ahead are created here too, for a hub that runs for months.
  await retryWhileStoreUnavailable(() => ensureLedgerPartitions(ctx.store), input.storeRetry);
  const counts = await countRunCustomers(ctx.store, run.key);
  const result: RunInvoicesResult = {
    period: run.key,
    total: counts.pending,
    invoiced: 0,
    alreadyInvoiced: counts.invoiced,
    skipped: { notEnded: 0, notYetCustomer: 0, noPeriod: 0, covered: 0 },
    failed: [],
    numbers: null,
  };
  const batches = batchesOf(ctx, run, alerts);
  const depth = batchesInFlight(ctx.store.connections);
  let done = 0;
  const queue = runQueue(ctx, run.key, Math.max(batchSize, PAGE_SIZE), input.storeRetry);
  // The batches in flight, oldest first, each started once the one before it locked its customers.
  let flights: BatchFlight[] = [];
  input.onProgress?.({ done, total: result.total });
  try {
    for (;;) {
      while (flights.length < depth) {
        const ids = await queue.take(batchSize);
        if (ids.length === 0) break;
        const before = flights[flights.length - 1];
        const flight = batches.start(ids, before === undefined ? Promise.resolve(true) : committed(before));
        flights.push(flight);
        await flight.locked;
      }
      const oldest = flights.shift();
      if (oldest === undefined) break;
      const settled = await batches.settle(oldest, flights, input.storeRetry);
      addBatch(result, settled.batch);
      done += oldest.ids.length;
      input.onProgress?.({ done, total: Math.max(result.total, done) });
      // Its first try failed, so every batch after it gave up at its turn: they start again, in order.
      if (settled.retried) flights = await batches.restart(flights);
    }
  } catch (error) {
    // Nothing of this run may still be writing when it reports its failure.
    await Promise.allSettled(flights.map((flight) => flight.done));
    throw error;
  }
  return result;
}

/** Customers read ahead per page (their ids only), so that the pages cost the run little whatever the planner does with them. */
const PAGE_SIZE = 10_000;

/**
 * The run's customers in id order, read a page at a time (each page's customers without an
 * invoice for the period then) and handed out a batch at a time. A customer created while the run
 * goes is included when its id comes after the page read last, as before.
 */
function runQueue(ctx: HubContext, periodKey: string, pageSize: number, policy: StoreRetryPolicy | undefined) {
  let pending: string[] = [];
  let after: string | null = null;
  let exhausted = false;
  return {
    async take(count: number): Promise<string[]> {
      while (pending.length < count && !exhausted) {
        const page = await retryWhileStoreUnavailable(() => nextRunCustomers(ctx.store, periodKey, after, pageSize), policy);
        if (page.last === null) exhausted = true;
        else after = page.last;
        pending = pending.length === 0 ? page.ids : pending.concat(page.ids);
      }
      const batch = pending.slice(0, count);
      pending = pending.slice(count);
      return batch;
    },
  };
}

interface BatchResult {
  invoices: Invoice[];
  alreadyInvoiced: number;
  skipped: RunInvoicesResult["skipped"];
  failed: RunInvoicesResult["failed"];
}

function addBatch(result: RunInvoicesResult, batch: BatchResult): void {
  const written = batch.invoices;
  if (written.length > 0) {
    result.invoiced += written.length;
    result.numbers = { first: result.numbers?.first ?? written[0]!.number, last: written[written.length - 1]!.number };
  }
  result.alreadyInvoiced += batch.alreadyInvoiced;
  for (const reason of Object.keys(batch.skipped) as Array<keyof RunInvoicesResult["skipped"]>) result.skipped[reason] += batch.skipped[reason];
  result.failed.push(...batch.failed);
}

/** A batch's transaction under way. */
interface BatchFlight {
  ids: readonly string[];
  /** Settles once its customers are locked (or it failed): from then on it waits for no customer's row. */
  locked: Promise<void>;
  done: Promise<BatchResult>;
}

/** Whether the batch committed. */
const committed = (flight: BatchFlight): Promise<boolean> =>
  flight.done.then(
    () => true,
    () => false,
  );

/**
 * How a run starts and settles its batches. A batch started with a `turn` writes only once the
 * turn says the batch before it committed, and gives up (rolling back) when it says that one
 * failed. It is started only after the batch before it locked its customers: a batch waiting for
 * its turn holds its own customers' rows, and one still locking could otherwise wait — through a
 * recording that holds one of its customers and waits for one of the next batch's — for the batch
 * that waits for it, a wait no database could see.
 */
function batchesOf(ctx: HubContext, period: RunPeriod, alerts: CreditAlerts | undefined) {
  const resolvers = createPriceResolvers();
  const run = (ids: readonly string[], turn: Promise<boolean>, onLocked: () => void) =>
    ctx.store.transaction((tx) => invoiceBatch(tx, ctx, period, ids, resolvers, { turn, onLocked }, alerts));
  const start = (ids: readonly string[], turn: Promise<boolean>): BatchFlight => {
    let onLocked = () => {};
    const locked = new Promise<void>((resolve) => (onLocked = resolve));
    const done = run(ids, turn, onLocked);
    done.then(onLocked, onLocked);
    return { ids, locked, done };
  };
  return {
    start,
    /**
     * The batches again, in order, each once the one before it locked its customers: those that
     * gave up at their turn because a batch before them failed (and has since committed on a new try).
     */
    async restart(flights: readonly BatchFlight[]): Promise<BatchFlight[]> {
      const restarted: BatchFlight[] = [];
      for (const flight of flights) {
        const before = restarted[restarted.length - 1];
        const again = start(flight.ids, before === undefined ? Promise.resolve(true) : committed(before));
        restarted.push(again);
        await again.locked;
      }
      return restarted;
    },
    /**
     * The batch's outcome, trying it again alone while the store is unavailable: a batch whose
     * commit was cut off may have committed, and tried again its customers then count as already
     * invoiced, never twice. Before a new try, the batches after it (which gave up at their turn)
     * have let go of their customers.
     */
    async settle(flight: BatchFlight, after: readonly BatchFlight[], policy: StoreRetryPolicy | undefined): Promise<{ batch: BatchResult; retried: boolean }> {
      let first: Promise<BatchResult> | undefined = flight.done;
      let retried = false;
      const batch = await retryWhileStoreUnavailable(async () => {
        if (first !== undefined) {
          const attempt = first;
          first = undefined;
          return attempt;
        }
        retried = true;
        await Promise.allSettled(after.map((later) => later.done));
        return run(flight.ids, Promise.resolve(true), () => {});
      }, policy);
      return { batch, retried };
    },
  };
}

interface BatchOrder {
  /** Resolves true once the batch before committed, false when it failed. */
  turn: Promise<boolean>;
  /** Called once the batch's customers are locked. */
  onLocked: () => void;
}

async function invoiceBatch(tx: Sql, ctx: HubContext, run: RunPeriod, ids: readonly string[], resolvers: PriceResolvers, order: BatchOrder, alerts: CreditAlerts | undefined): Promise<BatchResult> {
  // Locked before anything is read: recording into these customers now waits for this
  // transaction, so the usage priced below is final (the write then only records the close).
  const customers = await lockCustomerRows(tx, ids);
  order.onLocked();
  const already = await invoicedCustomers(tx, run.key, ids);
  const open = customers.filter((customer) => !already.has(customer.id));
  const skipped = { notEnded: 0, notYetCustomer: 0, noPeriod: 0, covered: 0 };
  const windows = await runWindows(tx, ctx.catalog, run, open);
  const now = ctx.now();
  const targets: Array<InvoiceTarget & { customer: RunCustomer }> = [];
  for (const customer of open) {
    const window = windows.get(customer.id)!;
    if ("skip" in window) {
      if (window.skip === "no_period") skipped.noPeriod += 1;
      else skipped.covered += 1;
    } else if (window.period.to > now || (window.regular !== undefined && window.regular.to > now)) {
      skipped.notEnded += 1;
    } else {
      targets.push({ customer, period: window.period, ...(window.regular === undefined ? {} : { prorationWindow: window.regular }), ...(window.holes === undefined ? {} : { holes: window.holes }) });
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
    else priced.push({ id: invoiceId(customer.id, run.key), invoice: outcome.invoice, provider: outcome.provider, customerCreatedAt: customer.createdAt });
  }
  // Money credits are drawn in this transaction, so they move exactly when the invoices are
  // written, and the money-credit alerts they reach fire with them (once per billing period).
  const credited = await applyMoneyCredits(
    tx,
    { catalog: ctx.catalog, interval: run.interval },
    priced,
    alerts && { at: now, onUsed: (sql, used) => alerts.creditsUsed(sql, { ...used, feature: null }) },
  );
  // Each draft spelled out field by field: a spread of the priced invoice took 2–3 % of a run's CPU.
  const write = prepareInvoiceWrite(
    priced.map(({ id, provider }, index): InvoiceDraft => {
      const invoice = credited[index]!;
      return {
        customerId: invoice.customerId,
        plan: invoice.plan,
        period: invoice.period,
        currency: invoice.currency,
        lineItems: invoice.lineItems,
        subtotal: invoice.subtotal,
        id,
        periodKey: run.key,
        provider,
        status: "issued",
        createdAt: now,
      };
    }),
  );
  await write.closePeriods(tx);
  // Only the numbers wait for the batch before (they are given out in the customers' order):
  // everything else of the batch is done by then. Waiting here, the batch holds only its own
  // customers' rows and credit grants (see batchesOf).
  if (!(await order.turn)) throw new Error("the batch before this one failed");
  const invoices = await write.insert(tx);
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
