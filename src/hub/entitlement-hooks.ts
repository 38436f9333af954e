import { BillingError } from "../core/errors.ts";
import type { Feature } from "../core/catalog/index.ts";
import type { CheckResult } from "../core/entitlements/index.ts";
import type { Customer } from "./customers.ts";

/** A rule's answer: true (or nothing, for hooks) allows; false or `{ refuse: reason }` says no. */
export type Verdict = boolean | { refuse: string };

export interface AuthorizeRequest {
  readonly customer: Customer;
  readonly feature: Feature;
  /** Exact decimal string of the amount asked about. */
  readonly amount: string;
}

export interface ConsumeRequest extends AuthorizeRequest {
  readonly transactionId: string;
  /** The check that allowed this consume (usage before it). */
  readonly check: CheckResult;
}

export interface ConsumeEvent extends Omit<ConsumeRequest, "check"> {
  readonly result: ConsumeResult;
}

/** What `consume` answers: the check after consuming (or the refusal), and what happened to the usage. */
export interface ConsumeResult extends CheckResult {
  readonly transactionId: string;
  /**
   * created: recorded now. duplicate: an earlier consume with this transactionId recorded it;
   * nothing was recorded now. refused: nothing was recorded.
   */
  readonly status: "created" | "duplicate" | "refused";
}

/**
 * Your own rules around entitlements, passed to `createHub(config, { hooks })`.
 *
 * @example
 * createHub(config, { hooks: {
 *   authorize: ({ customer }) => customer.metadata.suspended ? { refuse: "Account suspended" } : true,
 *   beforeConsume: ({ customer, feature }) => (customer.metadata.frozen ? { refuse: `${feature.key} is frozen` } : undefined),
 *   afterConsume: ({ result }) => metrics.count(result.feature, result.status),
 * } });
 */
export interface EntitlementHooks {
  /**
   * Your rule of who may use what, asked by can, check and consume (by consume inside its
   * transaction, and not for a duplicate, which keeps its first answer). It can only narrow what
   * the plan allows: a refusal comes back as `refusal: { code: "FORBIDDEN", reason }`, with the
   * limit's numbers still filled in.
   */
  authorize?(request: AuthorizeRequest): Verdict | Promise<Verdict>;
  /**
   * Asked by consume once the limit has room, inside the consume's transaction (so keep it
   * quick: consumers of the same customer and meter wait for it). A refusal records nothing and
   * comes back as `refusal: { code: "HOOK_REFUSED", reason }`. Not asked for duplicates.
   */
  beforeConsume?(request: ConsumeRequest): Verdict | void | Promise<Verdict | void>;
  /**
   * Told after every consume, once its transaction has ended, whatever the outcome. If it throws,
   * consume rejects, but what was recorded stays recorded (a retry with the same transactionId
   * is a duplicate).
   */
  afterConsume?(event: ConsumeEvent): void | Promise<void>;
}

/**
 * The refusal reason in a verdict, or undefined when it allows. Anything else than the documented
 * answers is a mistake in the rule, and fails loudly rather than letting a request through.
 */
export function refusalOf(verdict: unknown, rule: "authorize" | "beforeConsume", fallback: string): string | undefined {
  if (verdict === true || (verdict === undefined && rule === "beforeConsume")) return undefined;
  if (verdict === false) return fallback;
  if (verdict !== null && typeof verdict === "object" && typeof (verdict as { refuse?: unknown }).refuse === "string") return (verdict as { refuse: string }).refuse;
  const expected = rule === "authorize" ? "true, false or { refuse: reason }" : "nothing, true, false or { refuse: reason }";
  throw new BillingError("INTERNAL", `hooks.${rule} returned ${verdict === null ? "null" : typeof verdict}; it must return ${expected}`, { field: `hooks.${rule}` });
}
