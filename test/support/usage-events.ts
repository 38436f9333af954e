import type { ProviderUsageEvent } from "../../src/providers/types.ts";

/** The instant provider tests run at (providers take the clock as an option). */
export const NOW = new Date("2026-03-10T12:00:00.000Z");

let sequence = 0;

/**
 * A usage event as the hub hands it to a provider; each call gets a fresh transactionId.
 *
 * @example
 * usageEvent({ quantity: "3" }) // { transactionId: "tx_1", customerId: "acme", meter: "api_calls", ... }
 */
export function usageEvent(overrides: Partial<ProviderUsageEvent> = {}): ProviderUsageEvent {
  sequence += 1;
  return {
    transactionId: `tx_${sequence}`,
    customerId: "acme",
    providerCustomerId: "cus_acme",
    meter: "api_calls",
    quantity: "1",
    timestamp: new Date(NOW.getTime() - 60_000),
    properties: {},
    ...overrides,
  };
}

/** `count` fresh events sharing `overrides`. */
export function usageEvents(count: number, overrides: Partial<ProviderUsageEvent> = {}): ProviderUsageEvent[] {
  return Array.from({ length: count }, () => usageEvent(overrides));
}
