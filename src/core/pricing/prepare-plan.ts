import { z } from "zod";
import { parseDecimal, type Decimal } from "../decimal.ts";
import { normalizeCurrency } from "../money.ts";
import { parseWith } from "../validation.ts";
import { chargeSchema, minimumCommitmentSchema, type ChargeInput, type ChargeModel, type MinimumCommitment, type PriceRef } from "./charge-schema.ts";
import { inlinePricing, type PreparedPricing } from "./prepared-pricing.ts";
import { keyField } from "./schema-fields.ts";

/** The charge key of a minimum-commitment true-up line. */
export const TRUE_UP_KEY = "minimum_commitment";

/**
 * The pricing part of a catalog plan. Other plan fields (features, limits, names) pass through
 * untouched, so a whole catalog plan can be given as it is.
 */
export const pricingPlanSchema = z
  .object({
    key: keyField,
    currency: z.string().transform((value, ctx) => {
      try {
        return normalizeCurrency(value);
      } catch {
        ctx.addIssue({ code: "custom", message: `must be a three-letter ISO 4217 code such as "USD", got ${JSON.stringify(value)}` });
        return z.NEVER;
      }
    }),
    charges: z.array(chargeSchema),
    minimumCommitment: minimumCommitmentSchema.optional(),
  })
  .superRefine((plan, ctx) => {
    const seen = new Map<string, number>();
    plan.charges.forEach((charge, index) => {
      const first = seen.get(charge.key);
      if (first !== undefined) {
        ctx.addIssue({ code: "custom", path: ["charges", index, "key"], message: `duplicates the key of charges.${first} ("${charge.key}")` });
      }
      seen.set(charge.key, index);
      if (charge.key === TRUE_UP_KEY && plan.minimumCommitment !== undefined) {
        ctx.addIssue({ code: "custom", path: ["charges", index, "key"], message: `"${TRUE_UP_KEY}" names the commitment true-up line; choose another charge key` });
      }
    });
  });

/** What `mapUsageToLineItems` accepts as a plan. */
export interface PricingPlanInput {
  readonly key: string;
  readonly currency: string;
  readonly charges: readonly ChargeInput[];
  readonly minimumCommitment?: MinimumCommitment;
}

export interface PreparedCharge {
  readonly index: number;
  readonly key: string;
  /** The charge's description, or its key. */
  readonly label: string;
  readonly model: ChargeModel;
  readonly meter: string | null;
  /** Position of `meter` in the plan's `meters`; -1 without a meter. */
  readonly meterPosition: number;
  readonly includedUnits: Decimal | undefined;
  /** Inline numbers; undefined when a provider price supplies them. */
  readonly pricing: PreparedPricing | undefined;
  readonly priceRef: PriceRef | undefined;
}

/** A plan validated and parsed once; reuse it to price many periods without re-parsing. */
export interface PreparedPlan {
  readonly key: string;
  readonly currency: string;
  readonly charges: readonly PreparedCharge[];
  /** Meters some charge prices, each with its position (the order in which charges name them). */
  readonly meters: ReadonlyMap<string, number>;
  readonly minimumCommitment: MinimumCommitment | undefined;
}

const prepared = new WeakSet<PreparedPlan>();

export function isPreparedPlan(value: unknown): value is PreparedPlan {
  return typeof value === "object" && value !== null && prepared.has(value as PreparedPlan);
}

/**
 * Validates a plan's charges (CATALOG_INVALID naming the field, e.g. `plan.charges.1.tiers.0.upTo`;
 * `options.path` replaces the leading `plan`) and parses every number once. The result is immutable; pass it to `mapUsageToLineItems` in
 * place of the plan on hot paths.
 *
 * @example
 * const plan = preparePlan({ key: "pro", currency: "usd", charges: [{ key: "api", meter: "api_calls", model: "per_unit", unitAmount: "0.5" }] });
 * mapUsageToLineItems(plan, { api_calls: 1000 }).subtotal // 500
 */
export function preparePlan(plan: PricingPlanInput | PreparedPlan, options?: { path?: string }): PreparedPlan {
  if (isPreparedPlan(plan)) return plan;
  const parsed = parseWith(pricingPlanSchema, plan, "CATALOG_INVALID", options?.path ?? "plan");
  const meters = new Map<string, number>();
  for (const charge of parsed.charges) if ("meter" in charge && !meters.has(charge.meter)) meters.set(charge.meter, meters.size);
  const charges = parsed.charges.map(
    (charge, index): PreparedCharge =>
      Object.freeze({
        index,
        key: charge.key,
        label: charge.description ?? charge.key,
        model: charge.model,
        meter: "meter" in charge ? charge.meter : null,
        meterPosition: "meter" in charge ? (meters.get(charge.meter) as number) : -1,
        includedUnits: "includedUnits" in charge && charge.includedUnits !== undefined ? parseDecimal(charge.includedUnits) : undefined,
        pricing: inlinePricing(charge),
        priceRef: "price" in charge ? charge.price : undefined,
      }),
  );
  const result: PreparedPlan = Object.freeze({
    key: parsed.key,
    currency: parsed.currency,
    charges: Object.freeze(charges),
    meters,
    minimumCommitment: parsed.minimumCommitment === undefined ? undefined : Object.freeze({ ...parsed.minimumCommitment }),
  });
  prepared.add(result);
  return result;
}
