import { createHash } from "node:crypto";

/**
 * The id of a customer's invoice for a billing month, derived from both (never random), so a
 * re-run that meets the same customer and month computes the same id.
 *
 * @example
 * invoiceId("acme", "2026-10") // "inv_3f0c..." (24 hex digits)
 */
export function invoiceId(customerId: string, periodKey: string): string {
  return `inv_${createHash("sha256").update(`${customerId}\u0000${periodKey}`).digest("hex").slice(0, 24)}`;
}
