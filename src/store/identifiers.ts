import { BillingError } from "../core/errors.ts";

const SCHEMA_PATTERN = /^[a-z_][a-z0-9_]{0,62}$/;

/**
 * Schema names are spliced into SQL (search_path cannot be a bound parameter), so only plain
 * lower-case identifiers are accepted.
 */
export function checkSchemaName(schema: string, field = "store.schema"): string {
  if (!SCHEMA_PATTERN.test(schema)) {
    throw new BillingError(
      "CONFIG_INVALID",
      `${field} must be a lower-case identifier (letters, digits, underscore; at most 63 characters), got ${JSON.stringify(schema)}`,
      { field },
    );
  }
  return schema;
}

/** SQLSTATEs that mean "the database is not reachable right now": worth a retry. */
const UNAVAILABLE_STATES = new Set(["57P01", "57P02", "57P03", "08000", "08003", "08006", "08001", "08004", "53300"]);
const NETWORK_CODES = new Set(["ECONNREFUSED", "ECONNRESET", "ETIMEDOUT", "EPIPE", "ENOTFOUND", "EAI_AGAIN"]);

/** True when a driver error means the store is down rather than the query wrong. */
export function isStoreUnavailable(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" && (UNAVAILABLE_STATES.has(code) || NETWORK_CODES.has(code));
}

/** The SQLSTATE of a driver error (both drivers put it on `.code`), if any. */
export function sqlState(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" && /^[0-9A-Z]{5}$/.test(code) ? code : undefined;
}
