import { z } from "zod";
import { settle } from "../../core/credits/settle.ts";
import type { CreditEntry, CreditGrant } from "../../core/credits/types.ts";
import { add, cmp, parseDecimal, sign, sub, toDecimalString, ZERO, type Decimal } from "../../core/decimal.ts";
import { BillingError } from "../../core/errors.ts";
import { storableText } from "../../core/storable-text.ts";
import { parseWith } from "../../core/validation.ts";
import { lockCustomer } from "../../store/customer-repository.ts";
import { entryTotals, findEntry, insertGrant, listEntries, listGrants, lockGrant, lockUnitGrants, writeMovements, type CreditGrantWrite } from "../../store/credits/credit-repository.ts";
import type { HubContext } from "../context.ts";
import { dateSchema, parseCustomerId } from "../customer-input.ts";
import type { EntitlementResolver } from "../entitlement-resolver.ts";
import { amountSchema, differingGrantField, parseCreditAmount, parseGrant, requireMinorUnits, type CreditGrantInput } from "./input.ts";
import { periodEndsFromHistory } from "./period-ends.ts";
import { settleFromHistory } from "./unit-credits.ts";

/** Granted, drawn and expired (rollovers included) of a kind of credit; available + scheduled = granted − drawn − expired. */
export interface CreditTotals {
  /** Usable now. */
  readonly available: string;
  /** Granted with a later effectiveAt: usable from then. */
  readonly scheduled: string;
  readonly granted: string;
  readonly drawn: string;
  readonly expired: string;
}

export interface CreditBalance {
  readonly customer: string;
  readonly at: Date;
  /** Money credits, whole minor units of `currency`: drawn by invoices. */
  readonly money: CreditTotals & { readonly currency: string };
  /** Unit credits per feature: drawn by consumes past the limit. */
  readonly units: Readonly<Record<string, CreditTotals>>;
  /** The grants with something left, in draw order of their kind. */
  readonly grants: readonly CreditGrant[];
}

/** An amount that leaves a grant on a date if nothing draws it first. */
export interface UpcomingExpiry {
  readonly grantId: string;
  readonly kind: CreditGrant["kind"];
  readonly feature: string | null;
  readonly currency: string | null;
  readonly amount: string;
  readonly at: Date;
  readonly reason: "expiry" | "rollover";
}

export const historyQuerySchema = z.strictObject({
  grantId: z.string().min(1).max(255).optional(),
  /** Up to 500 (default 100). */
  limit: z.coerce.number().int().min(1).max(500).optional(),
  /** `nextCursor` of the previous page. */
  cursor: z.string().regex(/^\d{1,15}$/, "must be the nextCursor of a previous page").optional(),
});

export const expiringQuerySchema = z.strictObject({
  /** Until when to look (default 31 days from now). */
  until: dateSchema.optional(),
});

/** What `credits.takeBack` accepts (also the body of `POST /v1/customers/:id/credits/:grantId/take-back`). */
export const takeBackInputSchema = z.strictObject({
  /** Why, and the take-back's idempotency key ("refund re_3Pq..."): the same reason again takes nothing more. */
  reason: storableText().min(1).max(200),
  /**
   * The most to take back (a partial refund); omitted, all that is left. Money: whole minor units;
   * units: a number or a decimal string, as the grant's own amount. What is taken is the lesser of
   * this and what is left.
   */
  amount: amountSchema.optional(),
});

const grantIdSchema = z.strictObject({ grantId: storableText().min(1).max(255) });

/** Where a take-back's entry says what caused it. */
const TAKE_BACK_PREFIX = "take-back:";

export interface TakeBackResult {
  /** The grant after the take-back: `remaining` is what is left to draw ("0" when all that was left was taken). */
  readonly grant: CreditGrant;
  /** What this reason took back: the lesser of `amount` (all, without it) and what was left, or, for a repeat, what the first call took. */
  readonly amount: string;
  /** "taken_back": written now; "duplicate": this reason took it before; "nothing_left": nothing was left to take. */
  readonly status: "taken_back" | "duplicate" | "nothing_left";
}

export interface CreditsApi {
  /**
   * Grants credit to a customer: money (whole minor units of the catalog's currency), drawn by
   * invoices, or units of a metered feature, drawn by consumes past the limit. Idempotent by id:
   * the same id and content is the stored grant with status "duplicate"; other content is
   * IDEMPOTENCY_CONFLICT naming the field.
   *
   * @example
   * await hub.credits.grant("org_42", { id: "welcome", feature: "api", amount: 500 });
   * await hub.credits.grant("org_42", { id: "topup-7", currency: "USD", amount: 5000, source: "purchase" });
   */
  grant(customerId: string, input: CreditGrantInput): Promise<{ grant: CreditGrant; status: "created" | "duplicate" }>;
  /** What the customer holds now, with expiries and rollovers due applied. @example (await hub.credits.balance("org_42")).units.api.available // "500" */
  balance(customerId: string): Promise<CreditBalance>;
  /** The credit ledger, oldest entry first, a page at a time. @example await hub.credits.history("org_42", { limit: 50 }) */
  history(customerId: string, options?: z.input<typeof historyQuerySchema>): Promise<{ entries: CreditEntry[]; nextCursor: string | null }>;
  /** What will expire or not roll over by `until` (default 31 days), if nothing draws it first. @example await hub.credits.expiring("org_42") */
  expiring(customerId: string, options?: z.input<typeof expiringQuerySchema>): Promise<{ expiries: UpcomingExpiry[] }>;
  /**
   * Takes back what is left of a grant, as when the purchase that paid for it is refunded: one
   * `expire` entry of the amount taken, its reference `take-back:<reason>`. Without `amount` all
   * that is left is taken; with it (a partial refund) the lesser of `amount` and what is left, and
   * the rest stays to draw. What was drawn stays drawn. Unit credits' expiries and rollovers due by
   * now are applied first, so they are not counted as taken back. A bad `amount` is INVALID_AMOUNT
   * naming "amount", as in `grant`, and takes nothing.
   *
   * Idempotent by reason: the reason names the refund, and one refund takes back once. The same
   * reason again takes nothing and answers status "duplicate" with what the first call took, also
   * when it asks another `amount`: the answer's `amount` then differs from what was asked, and
   * nothing is taken twice. (An IDEMPOTENCY_CONFLICT would leave the caller to resend under a new
   * reason, taking back the same refund twice.)
   *
   * @example
   * await hub.credits.takeBack("org_42", "flowglad:prch_1:1", { reason: "refund pay_31n0b4p4" });
   * // { grant: { ..., remaining: "0" }, amount: "1200", status: "taken_back" }
   * await hub.credits.takeBack("org_42", "stripe:cs_1:1", { reason: "refund re_1", amount: 500 });
   * // { grant: { ..., remaining: "1000" }, amount: "500", status: "taken_back" }
   */
  takeBack(customerId: string, grantId: string, input: z.input<typeof takeBackInputSchema>): Promise<TakeBackResult>;
}

const EXPIRING_HORIZON_MS = 31 * 24 * 3_600_000;

function emptyTotals(): { available: Decimal; scheduled: Decimal; granted: Decimal; drawn: Decimal; expired: Decimal } {
  return { available: ZERO, scheduled: ZERO, granted: ZERO, drawn: ZERO, expired: ZERO };
}

function totalsText(totals: ReturnType<typeof emptyTotals>): CreditTotals {
  return {
    available: toDecimalString(totals.available),
    scheduled: toDecimalString(totals.scheduled),
    granted: toDecimalString(totals.granted),
    drawn: toDecimalString(totals.drawn),
    expired: toDecimalString(totals.expired),
  };
}

/**
 * Writes a validated grant on its own transaction; a duplicate is compared with what is stored.
 * Shared by the API and purchases from provider events.
 */
export async function writeGrant(ctx: HubContext, write: CreditGrantWrite, given: { effectiveAt: boolean }): Promise<{ grant: CreditGrant; status: "created" | "duplicate" }> {
  const { grant, created } = await ctx.store.transaction(async (tx) => {
    await lockCustomer(tx, write.customerId);
    return insertGrant(tx, write, ctx.now());
  });
  if (!created && write.providerEvent === null) {
    const field = differingGrantField(grant, write, given);
    if (field !== undefined) {
      throw new BillingError("IDEMPOTENCY_CONFLICT", `Credit grant "${write.id}" already exists for this customer with a different ${field}; use a new id for a new grant`, { field });
    }
  }
  return { grant, status: created ? "created" : "duplicate" };
}

/** Credit grants, balances, history and upcoming expiries. */
export function createCreditsApi(ctx: HubContext, resolver: EntitlementResolver): CreditsApi {
  const { catalog, store } = ctx;

  /** Applies the unit credits' expiries and rollovers due by now, under the grants' row locks. */
  async function settleUnits(customerId: string, at: Date): Promise<void> {
    const { state } = await resolver.load(customerId);
    await store.transaction(async (tx) => {
      const live = await lockUnitGrants(tx, customerId);
      const { grants, forfeits } = await settleFromHistory(tx, catalog, { customerId, cycle: state.cycle }, live, at);
      const touched = new Set(forfeits.map((forfeit) => forfeit.grantId));
      const balances = grants.filter((grant) => touched.has(grant.id)).map((grant) => ({ grantId: grant.id, remaining: grant.remaining, settledThrough: grant.settledThrough }));
      await writeMovements(tx, customerId, forfeits, balances);
    });
  }

  return {
    async grant(customerId, input) {
      const id = parseCustomerId(customerId);
      const write = parseGrant(catalog, id, input, ctx.now());
      return writeGrant(ctx, write, { effectiveAt: (input as { effectiveAt?: unknown } | null)?.effectiveAt !== undefined });
    },

    async balance(customerId) {
      const id = parseCustomerId(customerId);
      const at = ctx.now();
      await settleUnits(id, at);
      const [grants, totals] = await Promise.all([listGrants(store, id), entryTotals(store, id)]);
      const money = emptyTotals();
      const units: Record<string, ReturnType<typeof emptyTotals>> = {};
      for (const grant of grants) {
        const into = grant.kind === "money" ? money : (units[grant.feature!] ??= emptyTotals());
        const moved = totals.get(grant.id)!;
        into.granted = add(into.granted, parseDecimal(moved.granted));
        into.drawn = add(into.drawn, parseDecimal(moved.drawn));
        into.expired = add(into.expired, parseDecimal(moved.expired));
        const remaining = parseDecimal(grant.remaining);
        if (grant.effectiveAt > at) into.scheduled = add(into.scheduled, remaining);
        else into.available = add(into.available, remaining);
      }
      const live = grants.filter((grant) => sign(parseDecimal(grant.remaining)) > 0);
      return {
        customer: id,
        at,
        money: { currency: catalog.currency, ...totalsText(money) },
        units: Object.fromEntries(Object.entries(units).map(([feature, value]) => [feature, totalsText(value)])),
        grants: live,
      };
    },

    async history(customerId, options = {}) {
      const id = parseCustomerId(customerId);
      const query = parseWith(historyQuerySchema, options, "VALIDATION_FAILED");
      await resolver.load(id);
      await settleUnits(id, ctx.now());
      const limit = query.limit ?? 100;
      const rows = await listEntries(store, id, { limit: limit + 1, ...(query.grantId === undefined ? {} : { grantId: query.grantId }), ...(query.cursor === undefined ? {} : { afterSeq: Number(query.cursor) }) });
      const page = rows.slice(0, limit);
      return {
        entries: page.map(({ seq: _seq, ...entry }) => entry),
        nextCursor: rows.length > limit ? String(page[page.length - 1]!.seq) : null,
      };
    },

    async expiring(customerId, options = {}) {
      const id = parseCustomerId(customerId);
      const query = parseWith(expiringQuerySchema, options, "VALIDATION_FAILED");
      const { state } = await resolver.load(id);
      const now = ctx.now();
      const until = query.until ?? new Date(now.getTime() + EXPIRING_HORIZON_MS);
      const grants = await listGrants(store, id);
      const earliest = grants.reduce((first, grant) => (grant.settledThrough < first ? grant.settledThrough : first), now);
      // The plan history from the earliest grant's settlement to `until`: what is recorded ahead (a trial's end) counts.
      const periodEnds = (await periodEndsFromHistory(store, catalog, [{ customerId: id, cycle: state.cycle, after: earliest, through: until }])).get(id)!;
      const expiries: UpcomingExpiry[] = [];
      for (const grant of grants) {
        if (sign(parseDecimal(grant.remaining)) <= 0) continue;
        // Unit grants up to now first, so what is already due is not shown as upcoming.
        const settledNow = grant.kind === "units" ? settle(grant, periodEnds, now) : undefined;
        const current = settledNow === undefined ? grant : { ...grant, remaining: settledNow.remaining, settledThrough: settledNow.settledThrough };
        for (const forfeit of settle(current, periodEnds, until).forfeits) {
          if (forfeit.at <= now && grant.kind === "units") continue;
          expiries.push({
            grantId: grant.id,
            kind: grant.kind,
            feature: grant.feature,
            currency: grant.currency,
            amount: forfeit.amount,
            at: forfeit.at,
            reason: forfeit.reference === "expiry" ? "expiry" : "rollover",
          });
        }
      }
      expiries.sort((a, b) => a.at.getTime() - b.at.getTime() || (a.grantId < b.grantId ? -1 : 1));
      return { expiries };
    },

    async takeBack(customerId, grantId, input) {
      const id = parseCustomerId(customerId);
      const { grantId: grant } = parseWith(grantIdSchema, { grantId }, "VALIDATION_FAILED");
      const { reason, amount: asked } = parseWith(takeBackInputSchema, input, "VALIDATION_FAILED");
      const most = asked === undefined ? undefined : parseCreditAmount(asked, "amount");
      const reference = `${TAKE_BACK_PREFIX}${reason}`;
      const at = ctx.now();
      await settleUnits(id, at);
      return store.transaction(async (tx) => {
        await lockCustomer(tx, id);
        const held = await lockGrant(tx, id, grant);
        if (held === undefined) throw new BillingError("NOT_FOUND", `Customer ${id} has no credit grant ${JSON.stringify(grant)}; list them with credits.balance or credits.history`, { field: "grantId" });
        if (most !== undefined && held.kind === "money") requireMinorUnits(most, held.currency!, "amount");
        const earlier = await findEntry(tx, id, grant, "expire", reference);
        if (earlier !== undefined) return { grant: held, amount: earlier.amount, status: "duplicate" as const };
        const left = parseDecimal(held.remaining);
        if (sign(left) <= 0) return { grant: held, amount: "0", status: "nothing_left" as const };
        const taken = most === undefined || cmp(most, left) >= 0 ? left : most;
        const remaining = toDecimalString(sub(left, taken));
        const amount = toDecimalString(taken);
        await writeMovements(tx, id, [{ grantId: grant, kind: "expire", amount, reference, at }], [{ grantId: grant, remaining, settledThrough: held.settledThrough }]);
        return { grant: { ...held, remaining }, amount, status: "taken_back" as const };
      });
    },
  };
}
