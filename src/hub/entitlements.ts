import type { HubContext } from "./context.ts";
import type { EntitlementHooks } from "./entitlement-hooks.ts";
import type { CustomerEntitlementsView, EntitlementResolver, QueryOptions } from "./entitlement-resolver.ts";
import { displayNumber } from "../core/entitlements/index.ts";

export interface EntitlementsApi {
  /**
   * Every feature's limit for the customer right now: the plan (or variant), overrides and
   * active adjustments, without usage.
   * @example (await hub.entitlements("org_42")).features.api.limit // 100000
   */
  entitlements(customerId: string, options?: QueryOptions): Promise<CustomerEntitlementsView>;
  /**
   * The customer's effective limit for a feature: a number, or null for unlimited (and for a
   * flag that is on; a flag that is off is 0).
   * @example await hub.limit("org_42", "api") // 100500 with a 500 bonus
   */
  limit(customerId: string, feature: string, options?: QueryOptions): Promise<number | null>;
}

/** Request-time entitlements: limits now; checks and consumes against live usage. */
export function createEntitlementsApi(_ctx: HubContext, resolver: EntitlementResolver, _hooks: EntitlementHooks): EntitlementsApi {
  return {
    entitlements: (customerId, options) => resolver.entitlements(customerId, options),

    async limit(customerId, feature, options) {
      const { limit } = await resolver.resolve(customerId, feature, options);
      return limit.limit === null ? null : displayNumber(limit.limit);
    },
  };
}
