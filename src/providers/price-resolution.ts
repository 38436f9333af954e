import { BillingError } from "../core/errors.ts";
import type { ResolvedPrice } from "../core/pricing/resolved-price.ts";

/**
 * A price's ResolvedPrice, or the reason it has none: a price that cannot price usage is stored
 * with the reason, so the invoice that references it fails naming it rather than billing zero.
 *
 * @example
 * resolveOrExplain(() => { throw new BillingError("CATALOG_INVALID", "no amount") }) // { resolved: null, resolveError: "no amount" }
 */
export function resolveOrExplain(resolve: () => ResolvedPrice): { resolved: ResolvedPrice; resolveError: null } | { resolved: null; resolveError: string } {
  try {
    return { resolved: resolve(), resolveError: null };
  } catch (error) {
    if (error instanceof BillingError) return { resolved: null, resolveError: error.message };
    throw error;
  }
}
