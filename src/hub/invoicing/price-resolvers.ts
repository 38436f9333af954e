import type { ResolvePrice } from "../../core/pricing/charge-pricing.ts";
import type { Sql } from "../../store/types.ts";
import { resolvePriceForPeriod } from "../../webhooks/price-resolver.ts";

/** The price resolvers of many periods, each read once (a run bills many customers per period). */
export interface PriceResolvers {
  /** Reads on `sql` (the caller's transaction, when it holds one) the first time a period end is asked for. */
  forPeriod(sql: Sql, period: { from: Date; to: Date }, provider: string | undefined): Promise<ResolvePrice>;
}

/**
 * Synced prices that bill a period are those in effect at its last instant (see
 * `resolvePriceForPeriod`); customers whose periods end at the same instant share one read. A
 * read that failed is forgotten, so the batch tried again after an outage reads the prices again.
 *
 * @example
 * const resolvers = createPriceResolvers();
 * const resolvePrice = await resolvers.forPeriod(tx, { from: oct1, to: nov1 }, "stripe");
 */
export function createPriceResolvers(): PriceResolvers {
  const cache = new Map<string, Promise<ResolvePrice>>();
  return {
    forPeriod(sql, period, provider) {
      const key = `${period.to.toISOString()} ${provider ?? ""}`;
      let resolver = cache.get(key);
      if (resolver === undefined) {
        const read = resolvePriceForPeriod(sql, { start: period.from, end: period.to }, provider === undefined ? {} : { provider });
        cache.set(key, read);
        read.catch(() => {
          if (cache.get(key) === read) cache.delete(key);
        });
        resolver = read;
      }
      return resolver;
    },
  };
}
