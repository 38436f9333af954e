/** What a grant holds: money (whole minor units of a currency) or units of one feature. */
export type CreditKind = "money" | "units";

/** Where a grant came from; "manual" is a grant made by hand (an operator), whatever the provider. */
export const CREDIT_SOURCES = ["purchase", "promotion", "refund", "manual"] as const;
export type CreditSource = (typeof CREDIT_SOURCES)[number];
/** The source of a grant that names none. */
export const DEFAULT_CREDIT_SOURCE: CreditSource = "manual";

/** What is left of a grant at the end of each billing period: "none" expires it, "all" carries it, "cap" carries up to `cap`. */
export type Rollover = { readonly policy: "none" } | { readonly policy: "all" } | { readonly policy: "cap"; readonly cap: string };

/**
 * A credit grant as it was made, with its running balance. Amounts are exact decimal strings:
 * whole minor units for money, units of the feature for units.
 */
export interface CreditGrant {
  readonly id: string;
  readonly customerId: string;
  readonly kind: CreditKind;
  /** Money grants: the currency (the catalog's); null for units. */
  readonly currency: string | null;
  /** Unit grants: the feature; null for money. */
  readonly feature: string | null;
  readonly amount: string;
  /** Lower numbers are drawn first. */
  readonly priority: number;
  readonly effectiveAt: Date;
  /** Exclusive: from this instant nothing is left. null = never. */
  readonly expiresAt: Date | null;
  readonly rollover: Rollover;
  readonly source: CreditSource;
  readonly metadata: Readonly<Record<string, unknown>>;
  /** "<provider>:<event id>" when a provider's purchase event made it. */
  readonly providerEvent: string | null;
  readonly createdAt: Date;
  /** What is left now (as far as expiries and rollovers have been applied, see `settledThrough`). */
  readonly remaining: string;
  /** Expiries and rollovers up to this instant are in `remaining`. */
  readonly settledThrough: Date;
}

/** One row of the append-only credit ledger. */
export interface CreditEntry {
  readonly grantId: string;
  readonly kind: "grant" | "draw" | "expire";
  /** Always positive; `kind` gives the direction. */
  readonly amount: string;
  /** What caused it: the grant id, a consume's transactionId, an invoice id, "expiry", "rollover:<period end>" or "take-back:<reason>". */
  readonly reference: string;
  readonly at: Date;
}
