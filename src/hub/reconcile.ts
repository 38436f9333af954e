import pRetry from "p-retry";
import { z } from "zod";
import { requireMeter } from "../core/catalog/index.ts";
import { parseDecimal, sub, toDecimalString } from "../core/decimal.ts";
import { BillingError } from "../core/errors.ts";
import { utcDate } from "../core/periods.ts";
import { storableText } from "../core/storable-text.ts";
import { END_OF_SUPPORTED_MS, instantProblem } from "../core/supported-time.ts";
import { parseWith } from "../core/validation.ts";
import type { BillingProvider, ProviderUsageTotal, UsageTotalQuery } from "../providers/types.ts";
import { customersAt, providerIdsOf, routedUsage } from "../store/outbox/routed-usage.ts";
import { providerMeters } from "../config/meter-mappings.ts";
import type { HubContext } from "./context.ts";
import { retryDelay, sleep } from "./forwarder/backoff.ts";

export interface ReconcileInput {
  provider: string;
  /** `"2026-10"` (a UTC calendar month), `"2026-10-01..2026-10-15"` (UTC days, end exclusive) or `{ from, to }`. */
  period: string | { from: Date; to: Date };
  /** Only this customer. */
  customerId?: string;
}

/** One customer × meter compared. */
export interface ReconcileRow {
  customerId: string;
  /** The customer's id at the provider, or null when billhub has none. */
  providerCustomerId: string | null;
  meter: string;
  /** The ledger's total of the usage queued for the provider (exact decimal). */
  ledger: string;
  /** The provider's total, or null when it could not be read (see `note`). */
  provider: string | null;
  /** provider − ledger, or null when the provider's total is unknown. */
  difference: string | null;
  /** Of the ledger's events, how many are not delivered yet / dead. */
  pending: number;
  dead: number;
  /** Why the totals may differ, when billhub can tell. */
  note: string | null;
}

export interface ReconcileReport {
  provider: string;
  from: Date;
  to: Date;
  /** Every pair compared. */
  compared: number;
  /** The pairs whose totals differ (or could not be compared). */
  differences: ReconcileRow[];
}

export interface ReconcileApi {
  /**
   * Compares the ledger's per-customer, per-meter totals of the usage queued for a provider with
   * the provider's own totals for the same window, and returns every difference.
   * @example await hub.reconcile({ provider: "stripe", period: "2026-10" }) // { compared: 24, differences: [...] }
   */
  reconcile(input: ReconcileInput): Promise<ReconcileReport>;
}

const monthPattern = /^(\d{4})-(\d{2})$/;
const rangePattern = /^(\d{4}-\d{2}-\d{2})\.\.(\d{4}-\d{2}-\d{2})$/;

/** The window, if it lies in the supported range of time (1970 up to the year 10000). */
function supported(window: { from: Date; to: Date }, fail: (why: string) => BillingError): { from: Date; to: Date } {
  if (instantProblem(window.from) !== undefined || window.to.getTime() >= END_OF_SUPPORTED_MS) throw fail("must lie between 1970-01-01 and 10000-01-01 (exclusive)");
  return window;
}

/**
 * A period as a half-open UTC window.
 *
 * @example
 * parsePeriod("2026-10")                // { from: 2026-10-01T00:00Z, to: 2026-11-01T00:00Z }
 * parsePeriod("2026-10-01..2026-10-15") // { from: 2026-10-01T00:00Z, to: 2026-10-15T00:00Z }
 */
export function parsePeriod(period: string | { from: Date; to: Date }): { from: Date; to: Date } {
  const fail = (why: string) => new BillingError("VALIDATION_FAILED", `period ${why}; give a month (2026-10) or days (2026-10-01..2026-10-15, end exclusive)`, { field: "period" });
  if (typeof period !== "string") {
    if (!(period.from instanceof Date) || !(period.to instanceof Date) || Number.isNaN(period.from.getTime()) || Number.isNaN(period.to.getTime())) throw fail("needs valid from and to Dates");
    if (!(period.from < period.to)) throw fail("needs from < to");
    return supported(period, fail);
  }
  const month = monthPattern.exec(period);
  if (month) {
    const [year, index] = [Number(month[1]), Number(month[2]) - 1];
    if (index < 0 || index > 11) throw fail(`has no month ${month[2]}`);
    return supported({ from: utcDate(year, index, 1), to: utcDate(year, index + 1, 1) }, fail);
  }
  const range = rangePattern.exec(period);
  if (range) {
    const [from, to] = [new Date(`${range[1]}T00:00:00Z`), new Date(`${range[2]}T00:00:00Z`)];
    if (Number.isNaN(from.getTime()) || Number.isNaN(to.getTime()) || from.toISOString().slice(0, 10) !== range[1] || to.toISOString().slice(0, 10) !== range[2]) {
      throw fail(`${JSON.stringify(period)} names a day that does not exist`);
    }
    if (!(from < to)) throw fail("needs its first day before its end");
    return supported({ from, to }, fail);
  }
  throw fail(`${JSON.stringify(period).slice(0, 60)} is not a period`);
}

const inputSchema = z.strictObject({
  provider: z.string().min(1),
  period: z.union([z.string(), z.strictObject({ from: z.date(), to: z.date() })]),
  customerId: storableText().min(1).max(255).optional(),
});

/** Reads of a provider's totals retry like the forwarder does: a few times, backing off, Retry-After honoured. */
const READ_RETRIES = 3;

/** Builds `hub.reconcile` from the hub's context. */
export function createReconcileApi(ctx: HubContext): ReconcileApi {
  return {
    async reconcile(input) {
      const q = parseWith(inputSchema, input, "VALIDATION_FAILED", "input");
      const { from, to } = parsePeriod(q.period);
      const provider = ctx.providers.get(q.provider);
      const readTotal = provider.readUsageTotal?.bind(provider);
      if (readTotal === undefined) {
        throw new BillingError("PROVIDER_UNSUPPORTED", `billhub cannot read usage totals back from ${provider.id}; reconcile supports: ${ctx.providers.withCapability("reconcile").map((p) => p.id).join(", ") || "(none configured)"}`, {
          provider: provider.id,
          field: "provider",
        });
      }
      const meters = Object.values(ctx.catalog.meters).map((meter) => ({ key: meter.key, aggregation: meter.aggregation, property: meter.aggregation === "unique_count" ? meter.property : undefined }));
      const routed = await routedUsage(ctx.store, { provider: provider.id, meters, from, to, customerId: q.customerId });
      const known = await customersAt(ctx.store, provider.id, q.customerId);
      const idsOf = await providerIdsOf(ctx.store, [...new Set(routed.map((row) => row.customerId))]);

      // Every customer the provider knows × every meter mapped for it, plus every pair with queued usage.
      const pairs = new Map<string, ReconcileRow & { aggregation: string }>();
      const key = (customerId: string, meter: string) => JSON.stringify([customerId, meter]);
      const mapped = mappedMeters(ctx, provider.id);
      for (const customer of known) {
        for (const meter of mapped) {
          pairs.set(key(customer.customerId, meter), blankRow(customer.customerId, customer.providerCustomerId, meter, requireMeter(ctx.catalog, meter).aggregation));
        }
      }
      for (const row of routed) {
        const providerCustomerId = provider.customerIdFor({ id: row.customerId, providerIds: idsOf.get(row.customerId) ?? {} }) ?? null;
        pairs.set(key(row.customerId, row.meter), { ...blankRow(row.customerId, providerCustomerId, row.meter, row.aggregation), ledger: row.value, pending: row.pending, dead: row.dead });
      }

      const differences: ReconcileRow[] = [];
      const ordered = [...pairs.values()].sort((a, b) => a.customerId.localeCompare(b.customerId) || a.meter.localeCompare(b.meter));
      for (const row of ordered) {
        const compared = await compare(row, (query) => readWithRetries(ctx, () => readTotal(query)), from, to, provider);
        if (compared.difference !== "0") differences.push(compared);
      }
      return { provider: provider.id, from, to, compared: ordered.length, differences };
    },
  };
}

function blankRow(customerId: string, providerCustomerId: string | null, meter: string, aggregation: string): ReconcileRow & { aggregation: string } {
  return { customerId, providerCustomerId, meter, ledger: "0", provider: null, difference: null, pending: 0, dead: 0, note: null, aggregation };
}

/** Catalog meters the provider's config maps (its definition's meter mapping, e.g. `stripe.meters`). */
function mappedMeters(ctx: HubContext, provider: string): string[] {
  return Object.keys(providerMeters(ctx.config, provider)).filter((meter) => Object.hasOwn(ctx.catalog.meters, meter)).sort();
}

async function compare(
  row: ReconcileRow & { aggregation: string },
  read: (query: UsageTotalQuery) => Promise<ProviderUsageTotal>,
  from: Date,
  to: Date,
  provider: BillingProvider,
): Promise<ReconcileRow> {
  const { aggregation, ...plain } = row;
  const explain = (why: string) => [why, row.pending > 0 ? `${row.pending} not delivered yet` : "", row.dead > 0 ? `${row.dead} dead in the outbox` : ""].filter(Boolean).join("; ");
  if (row.providerCustomerId === null) return { ...plain, note: explain(`billhub has no ${provider.id} customer id for this customer`) };
  let total: ProviderUsageTotal;
  try {
    total = await read({ meter: row.meter, providerCustomerId: row.providerCustomerId, from, to, aggregation });
  } catch (error) {
    if (error instanceof BillingError && (error.code === "UNKNOWN_METER" || error.code === "PROVIDER_NOT_FOUND")) return { ...plain, note: explain(error.message) };
    throw error;
  }
  if (total.value === null) return { ...plain, note: explain(`not comparable: ${total.notComparable}`) };
  const difference = toDecimalString(sub(parseDecimal(total.value), parseDecimal(row.ledger)));
  const notes: string[] = [];
  if (total.aggregation !== aggregation) notes.push(`the catalog meter aggregates by ${aggregation}, ${provider.id}'s by ${total.aggregation}`);
  const note = difference === "0" ? null : explain(notes.join("; "));
  return { ...plain, provider: total.value, difference, note: note === "" ? null : note };
}

async function readWithRetries<T>(ctx: HubContext, read: () => Promise<T>): Promise<T> {
  const backoff = { baseMs: ctx.config.forwarder.backoffBaseMs, capMs: ctx.config.forwarder.backoffCapMs };
  let wait = 0;
  return pRetry(
    async (attempt) => {
      if (attempt > 1) await sleep(wait);
      return read();
    },
    {
      retries: READ_RETRIES,
      minTimeout: 0,
      factor: 1,
      shouldRetry: ({ error, attemptNumber }) => {
        if (!(error instanceof BillingError) || !error.retryable) return false;
        wait = retryDelay(attemptNumber, error.retryAfterSeconds, backoff);
        return true;
      },
    },
  );
}
