/**
 * Every error billhub raises on purpose is a `BillingError` with a `code` from the table below.
 * The table is the one place codes are declared: its HTTP status is what the service answers,
 * and `retryable` is the default the forwarder reads to decide between "try again" and "dead".
 *
 * @example
 * throw new BillingError("UNKNOWN_FEATURE", "Unknown feature \"apicalls\"; valid: api_calls, seats", { field: "feature" });
 */
export const ERROR_CODES = {
  CONFIG_INVALID: { status: 500, retryable: false },
  VALIDATION_FAILED: { status: 400, retryable: false },
  INVALID_AMOUNT: { status: 400, retryable: false },
  INVALID_USAGE: { status: 400, retryable: false },
  CATALOG_INVALID: { status: 400, retryable: false },
  UNKNOWN_FEATURE: { status: 400, retryable: false },
  UNKNOWN_PLAN: { status: 400, retryable: false },
  PLAN_INACTIVE: { status: 409, retryable: false },
  UNKNOWN_METER: { status: 400, retryable: false },
  UNKNOWN_VARIANT: { status: 400, retryable: false },
  UNKNOWN_PROVIDER: { status: 400, retryable: false },
  /** Money in another currency than the catalog's (a credit grant, a credit purchase), or a plan in another currency than its customer's. */
  CURRENCY_MISMATCH: { status: 400, retryable: false },
  CUSTOMER_NOT_FOUND: { status: 404, retryable: false },
  PROVIDER_ID_IN_USE: { status: 409, retryable: false },
  NOT_FOUND: { status: 404, retryable: false },
  IDEMPOTENCY_CONFLICT: { status: 409, retryable: false },
  PERIOD_CLOSED: { status: 409, retryable: false },
  LIMIT_EXCEEDED: { status: 403, retryable: false },
  FEATURE_NOT_GRANTED: { status: 403, retryable: false },
  HOOK_REFUSED: { status: 403, retryable: false },
  UNAUTHORIZED: { status: 401, retryable: false },
  FORBIDDEN: { status: 403, retryable: false },
  PAYLOAD_TOO_LARGE: { status: 413, retryable: false },
  WEBHOOK_SIGNATURE_INVALID: { status: 400, retryable: false },
  WEBHOOK_PAYLOAD_INVALID: { status: 400, retryable: false },
  /** A live-mode event at a test-mode hub or the reverse: never applied, logged failed. */
  WEBHOOK_MODE_MISMATCH: { status: 400, retryable: false },
  /** A verified event of a kind billhub does not consume at all (a Stripe thin event): never applied. */
  WEBHOOK_EVENT_UNSUPPORTED: { status: 400, retryable: false },
  PROVIDER_RATE_LIMITED: { status: 429, retryable: true },
  PROVIDER_UNAVAILABLE: { status: 502, retryable: true },
  PROVIDER_REJECTED: { status: 422, retryable: false },
  PROVIDER_CONFLICT: { status: 409, retryable: false },
  PROVIDER_NOT_FOUND: { status: 404, retryable: false },
  PROVIDER_AUTH_FAILED: { status: 502, retryable: false },
  USAGE_TOO_OLD: { status: 422, retryable: false },
  /** Stamped further ahead than the provider accepts; it becomes sendable as time passes. */
  USAGE_IN_FUTURE: { status: 422, retryable: true },
  /** The provider cannot express this usage (e.g. a negative or fractional amount). */
  PROVIDER_UNSUPPORTED: { status: 422, retryable: false },
  /** The customer has no id at this provider yet (their provider_ids lack it). */
  PROVIDER_CUSTOMER_MISSING: { status: 422, retryable: false },
  /**
   * Not resent: an earlier send may have reached a provider whose dedupe window (Stripe: 24 h)
   * has nearly run out, so a resend could count the usage twice. An operator decides.
   */
  RESEND_WINDOW_PASSED: { status: 409, retryable: false },
  STORE_UNAVAILABLE: { status: 503, retryable: true },
  /** The embedded store's data directory is open in another process (it belongs to one process). */
  STORE_LOCKED: { status: 409, retryable: false },
  MIGRATION_FAILED: { status: 500, retryable: false },
  /** `billhub serve` could not listen: the port is taken or not ours to bind. */
  LISTEN_FAILED: { status: 500, retryable: false },
  INTERNAL: { status: 500, retryable: false },
} as const satisfies Record<string, { status: number; retryable: boolean }>;

export type BillingErrorCode = keyof typeof ERROR_CODES;

export interface BillingErrorOptions {
  /** Dotted path of the input that was wrong, e.g. `events.3.quantity`. */
  field?: string;
  /** Provider id when the error came from (or is about) a provider. */
  provider?: string;
  /** Overrides the code's default, e.g. a 400 the provider marked `should-retry`. */
  retryable?: boolean;
  /** Seconds the caller should wait before retrying, when the provider said so. */
  retryAfterSeconds?: number;
  /** Structured extras safe to show a caller (valid keys, per-item errors). */
  details?: Record<string, unknown>;
  cause?: unknown;
}

export class BillingError extends Error {
  override readonly name = "BillingError";
  readonly code: BillingErrorCode;
  readonly retryable: boolean;
  readonly status: number;
  readonly field: string | undefined;
  readonly provider: string | undefined;
  readonly retryAfterSeconds: number | undefined;
  readonly details: Record<string, unknown> | undefined;

  constructor(code: BillingErrorCode, message: string, options: BillingErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.status = ERROR_CODES[code].status;
    this.retryable = options.retryable ?? ERROR_CODES[code].retryable;
    this.field = options.field;
    this.provider = options.provider;
    this.retryAfterSeconds = options.retryAfterSeconds;
    this.details = options.details;
  }

  /** The JSON body the service answers with: `{ error: { code, message, field?, details? } }`. */
  toJSON(): { error: { code: BillingErrorCode; message: string; field?: string; details?: Record<string, unknown> } } {
    return {
      error: {
        code: this.code,
        message: this.message,
        ...(this.field === undefined ? {} : { field: this.field }),
        ...(this.details === undefined ? {} : { details: this.details }),
      },
    };
  }
}

export function isBillingError(value: unknown, code?: BillingErrorCode): value is BillingError {
  return value instanceof BillingError && (code === undefined || value.code === code);
}

/** HTTP status for any thrown value: a BillingError's own, otherwise 500. */
export function httpStatusOf(error: unknown): number {
  return error instanceof BillingError ? error.status : 500;
}

/** Lists keys for "unknown key" messages: `api_calls, seats` (sorted, so messages are stable). */
export function listKeys(keys: Iterable<string>): string {
  const sorted = [...keys].sort();
  return sorted.length === 0 ? "(none declared)" : sorted.join(", ");
}

/**
 * A request whose body ended before all of it arrived (the sender went away, or the server's
 * request deadline cut it): nothing to parse or verify, and nothing of billhub's failed.
 */
export function bodyUnreadError(): BillingError {
  return new BillingError("VALIDATION_FAILED", "The request body could not be read: the connection ended before all of it arrived", { field: "body" });
}
