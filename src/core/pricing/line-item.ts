import type { ChargeModel } from "./charge-schema.ts";

/** One tier's part of a tiered line. Amounts are minor units; `exactAmount` is unrounded. */
export interface LineItemTier {
  /** 1-based position of the tier. */
  readonly tier: number;
  /** Inclusive upper bound; null for the open-ended last tier. */
  readonly upTo: string | null;
  /** Units priced in this tier (volume: every unit). */
  readonly quantity: string;
  /** Price per unit (graduated, volume). */
  readonly unitAmount?: string;
  /** Rate on the amount inside the tier (graduated percentage), "1.5" = 1.5 %. */
  readonly percent?: string;
  readonly flatAmount: string;
  readonly exactAmount: string;
}

/**
 * One priced line of an invoice. `amount` is whole minor units, rounded once for this line;
 * `exactAmount` is the same amount before rounding, a decimal string in minor units.
 */
export interface LineItem {
  readonly chargeKey: string;
  /** The charge model, "minimum_commitment" for a commitment true-up, or "credit" for prepaid credit drawn (a negative amount). */
  readonly model: ChargeModel | "minimum_commitment" | "credit";
  /** The meter the usage came from; null for flat fees and true-ups. */
  readonly meter: string | null;
  readonly description: string;
  /** Usage of the meter for the period ("1" for flat fees and true-ups). */
  readonly quantity: string;
  /** What the model priced: the quantity less included units (percentage: the amount the rate applied to). */
  readonly billableQuantity: string;
  /** Tier-by-tier breakdown, for tiered models. */
  readonly tiers?: readonly LineItemTier[];
  /** Packages billed, for the package model. */
  readonly packages?: string;
  /** Events that paid a fee, for the percentage model with per-event values. */
  readonly billedEvents?: number;
  /** The provider price the numbers came from. */
  readonly price?: { readonly lookupKey: string; readonly provider?: string; readonly id?: string };
  readonly amount: number;
  readonly exactAmount: string;
}

/** The priced period: line items in charge order, a true-up last, and their sum. */
export interface PricedUsage {
  readonly planKey: string;
  readonly currency: string;
  readonly period?: { readonly start: string; readonly end: string };
  readonly lineItems: readonly LineItem[];
  /** Sum of the line items' `amount`, whole minor units. */
  readonly subtotal: number;
}
