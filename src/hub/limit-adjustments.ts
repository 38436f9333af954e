import { z } from "zod";
import { requireFeature, type Catalog } from "../core/catalog/index.ts";
import { isZero, parseDecimal, toDecimalString } from "../core/decimal.ts";
import { RECURRENCES, type LimitAdjustment } from "../core/entitlements/index.ts";
import { BillingError } from "../core/errors.ts";
import { storableText } from "../core/storable-text.ts";
import { parseWith } from "../core/validation.ts";
import { customerNotFound, findCustomer, lockCustomer } from "../store/customer-repository.ts";
import { endAdjustment, insertAdjustment, listAdjustments, type LimitAdjustmentWrite } from "../store/limit-adjustment-repository.ts";
import type { HubContext } from "./context.ts";
import { dateSchema, metadataSchema, parseCustomerId } from "./customer-input.ts";
import type { EntitlementCache } from "./entitlement-cache.ts";

/** What `adjustLimit` accepts (also the body of `POST /v1/customers/:id/adjustments`). */
export const adjustmentInputSchema = z
  .strictObject({
    /** Your idempotency key, unique per customer ("spring-promo-2026"): a retry is not granted twice. */
    id: storableText().min(1).max(255),
    feature: z.string(),
    /** Positive grants, negative deducts; a number or a decimal string, never zero. */
    amount: z.union([z.number(), z.string()]),
    /** "once": only in the reset window the adjustment starts in; "each_period": in every window while active. */
    recurrence: z.enum(RECURRENCES).default("once"),
    /** Defaults to now. */
    startsAt: dateSchema.optional(),
    /** Exclusive; omitted or null = no end. */
    endsAt: dateSchema.nullable().optional(),
    reason: storableText().max(500).nullable().optional(),
    metadata: metadataSchema.optional(),
  })
  .superRefine((input, ctx) => {
    if (input.startsAt && input.endsAt && !(input.startsAt < input.endsAt)) {
      ctx.addIssue({ code: "custom", path: ["endsAt"], message: "must be after startsAt" });
    }
  });

export type LimitAdjustmentInput = z.input<typeof adjustmentInputSchema>;

export interface LimitAdjustmentsApi {
  /**
   * Grants (positive amount) or deducts (negative) part of a feature's limit for a time: bonuses,
   * promotions, grandfathered limits. A retry with the same id and content returns the stored
   * adjustment as a duplicate; the same id with other content is IDEMPOTENCY_CONFLICT.
   *
   * @example
   * await hub.customers.adjustLimit("org_42", { id: "launch-bonus", feature: "api", amount: 500 });
   * await hub.customers.adjustLimit("org_42", { id: "grandfathered", feature: "api", amount: 1000, recurrence: "each_period" });
   */
  adjustLimit(customerId: string, input: LimitAdjustmentInput): Promise<{ adjustment: LimitAdjustment; status: "created" | "duplicate" }>;
  /** Ends an adjustment now (it stops counting at once); NOT_FOUND when there is none. @example await hub.customers.endAdjustment("org_42", "launch-bonus") */
  endAdjustment(customerId: string, id: string): Promise<LimitAdjustment>;
  /** The customer's adjustments; ended ones only with `includeEnded`. @example await hub.customers.listAdjustments("org_42", { feature: "api" }) */
  listAdjustments(customerId: string, options?: { feature?: string; includeEnded?: boolean }): Promise<LimitAdjustment[]>;
}

/** JSON with sorted keys, so stored metadata (jsonb reorders keys) compares with what was sent. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (value !== null && typeof value === "object") {
    return `{${Object.keys(value).sort().map((key) => `${JSON.stringify(key)}:${canonicalJson((value as Record<string, unknown>)[key])}`).join(",")}}`;
  }
  return JSON.stringify(value);
}

/** Names the first field in which a retry differs from the stored adjustment; startsAt and endsAt only when the retry gives them. */
function differingField(stored: LimitAdjustment, write: LimitAdjustmentWrite, given: { startsAt: boolean; endsAt: boolean }): string | undefined {
  if (stored.feature !== write.feature) return "feature";
  if (stored.amount !== write.amount) return "amount";
  if (stored.recurrence !== write.recurrence) return "recurrence";
  if (given.startsAt && stored.startsAt.getTime() !== write.startsAt.getTime()) return "startsAt";
  if (given.endsAt && (stored.endsAt?.getTime() ?? null) !== (write.endsAt?.getTime() ?? null)) return "endsAt";
  if (stored.reason !== write.reason) return "reason";
  if (canonicalJson(stored.metadata) !== canonicalJson(write.metadata)) return "metadata";
  return undefined;
}

function parseAdjustment(catalog: Catalog, input: LimitAdjustmentInput, now: Date): LimitAdjustmentWrite {
  const parsed = parseWith(adjustmentInputSchema, input, "VALIDATION_FAILED");
  const feature = requireFeature(catalog, parsed.feature, "feature");
  if (feature.type === "boolean") {
    throw new BillingError("VALIDATION_FAILED", `feature "${feature.key}" is a flag: it has no limit to adjust; use override() to switch it on or off`, { field: "feature" });
  }
  const amount = parseDecimal(parsed.amount, { field: "amount", code: "INVALID_AMOUNT" });
  if (isZero(amount)) throw new BillingError("INVALID_AMOUNT", "amount must not be zero: positive grants, negative deducts", { field: "amount" });
  const startsAt = parsed.startsAt ?? now;
  const endsAt = parsed.endsAt ?? null;
  if (endsAt !== null && !(startsAt < endsAt)) throw new BillingError("VALIDATION_FAILED", "endsAt must be after startsAt", { field: "endsAt" });
  return {
    id: parsed.id,
    feature: feature.key,
    amount: toDecimalString(amount),
    recurrence: parsed.recurrence,
    startsAt,
    endsAt,
    reason: parsed.reason ?? null,
    metadata: parsed.metadata ?? {},
  };
}

/** Limit adjustments; every write invalidates the customer's cached entitlements. */
export function createLimitAdjustmentsApi(ctx: HubContext, cache: EntitlementCache): LimitAdjustmentsApi {
  const { catalog, store } = ctx;
  return {
    async adjustLimit(customerId, input) {
      const id = parseCustomerId(customerId);
      const write = parseAdjustment(catalog, input, ctx.now());
      try {
        const { adjustment, created } = await store.transaction(async (tx) => {
          await lockCustomer(tx, id);
          return insertAdjustment(tx, id, write);
        });
        if (!created) {
          const field = differingField(adjustment, write, { startsAt: input.startsAt !== undefined, endsAt: input.endsAt !== undefined });
          if (field !== undefined) {
            throw new BillingError("IDEMPOTENCY_CONFLICT", `Adjustment "${write.id}" already exists for this customer with a different ${field}; use a new id for a new adjustment`, { field });
          }
        }
        return { adjustment, status: created ? "created" : "duplicate" };
      } finally {
        cache.invalidate(id);
      }
    },

    async endAdjustment(customerId, adjustmentId) {
      const id = parseCustomerId(customerId);
      const key = parseWith(storableText().min(1).max(255), adjustmentId, "VALIDATION_FAILED", "id");
      try {
        const ended = await store.transaction(async (tx) => {
          await lockCustomer(tx, id);
          return endAdjustment(tx, id, key, ctx.now());
        });
        if (!ended) throw new BillingError("NOT_FOUND", `Customer "${id}" has no adjustment "${key}"`, { field: "id" });
        return ended;
      } finally {
        cache.invalidate(id);
      }
    },

    async listAdjustments(customerId, options = {}) {
      const id = parseCustomerId(customerId);
      const feature = options.feature === undefined ? undefined : requireFeature(catalog, options.feature, "feature").key;
      if (!(await findCustomer(store, id))) throw customerNotFound(id);
      return listAdjustments(store, id, { ...(feature === undefined ? {} : { feature }), ...(options.includeEnded ? {} : { openAt: ctx.now() }) });
    },
  };
}
