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

/**
 * SQLSTATEs that mean "the database cannot serve this now": shut down or restarting (57P01–03),
 * connection failures (08xxx), too many connections (53300), a statement cancelled by
 * `statement_timeout` (57014). All are worth a retry.
 */
const UNAVAILABLE_STATES = new Set(["57P01", "57P02", "57P03", "57014", "08000", "08003", "08006", "08001", "08004", "53300"]);
const NETWORK_CODES = new Set(["ECONNREFUSED", "ECONNRESET", "ETIMEDOUT", "EPIPE", "ENOTFOUND", "EAI_AGAIN", "EHOSTUNREACH", "ENETUNREACH", "ECONNABORTED"]);
/**
 * node-postgres reports a lost or stalled connection as a plain Error with no code: the
 * connection ended mid-query, the connect or pool-wait timeout ran out, the query's read
 * timeout ran out, or the client is unusable after one of those.
 */
const DRIVER_MESSAGES = /^(Connection terminated|timeout exceeded when trying to connect|Query read timeout|Client has encountered a connection error and is not queryable|Client was closed and is not queryable|Cannot use a pool after calling end on the pool)/;

/** True when a driver error means the store is down rather than the query wrong. */
export function isStoreUnavailable(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === "string") return UNAVAILABLE_STATES.has(code) || NETWORK_CODES.has(code);
  const message = (error as { message?: unknown } | null)?.message;
  return error instanceof Error && typeof message === "string" && DRIVER_MESSAGES.test(message);
}

/** The error a request gets when the database cannot serve it: 503, worth a retry shortly. */
export function storeUnavailableError(cause: unknown): BillingError {
  return new BillingError("STORE_UNAVAILABLE", "The database is not reachable; try again shortly", { cause });
}

/** The SQLSTATE of a driver error (both drivers put it on `.code`), if any. */
export function sqlState(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" && /^[0-9A-Z]{5}$/.test(code) ? code : undefined;
}
