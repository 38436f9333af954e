import { z } from "zod";
import { requireFeature } from "../../core/catalog/index.ts";
import { BillingError } from "../../core/errors.ts";
import { storableText } from "../../core/storable-text.ts";
import { parseWith } from "../../core/validation.ts";
import { insertReset } from "../../store/ledger/resets.ts";
import type { Sql } from "../../store/types.ts";
import type { HubContext } from "../context.ts";
import { customerIdSchema } from "./query-input.ts";
import type { UsageReset } from "./types.ts";

const resetOptionsSchema = z.strictObject({
  reason: storableText().min(1).max(500),
});

/**
 * Starts a metered feature's usage over from now: featureUsage counts only events at or after
 * the latest reset. Nothing is deleted; the events before stay in the ledger, and meters (and so
 * invoices) still count them.
 *
 * @example
 * await store.transaction((tx) => resetFeatureUsage(tx, ctx, "cus_1", "api", { reason: "support ticket 812" }));
 */
export async function resetFeatureUsage(tx: Sql, ctx: HubContext, customerId: string, feature: string, options: { reason: string }): Promise<UsageReset> {
  const id = parseWith(customerIdSchema, customerId, "VALIDATION_FAILED", "customerId");
  const declared = requireFeature(ctx.catalog, feature);
  if (declared.type !== "metered") {
    throw new BillingError("VALIDATION_FAILED", `feature "${declared.key}" is ${declared.type === "boolean" ? "a boolean flag" : "static"}: only metered features have usage to reset`, { field: "feature" });
  }
  const { reason } = parseWith(resetOptionsSchema, options, "VALIDATION_FAILED", "options");
  const resetAt = await insertReset(tx, { customerId: id, feature: declared.key, at: ctx.now(), reason });
  if (resetAt === null) throw new BillingError("CUSTOMER_NOT_FOUND", `customer ${JSON.stringify(id)} does not exist`, { field: "customerId" });
  return { customerId: id, feature: declared.key, resetAt, reason };
}
