import Stripe from "stripe";
import { BillingError } from "../../core/errors.ts";

export interface StripeClientOptions {
  secretKey: string;
  /** A local Stripe stand-in such as `http://127.0.0.1:12111`; also redirects the v2 meter event stream host. */
  apiBase?: string;
  /** Milliseconds before a request is abandoned (default 30 s; the SDK's own 80 s holds a claim too long). */
  timeoutMs?: number;
}

const DEFAULT_TIMEOUT_MS = 30_000;

/**
 * Builds the Stripe SDK client billhub uses. Retries are owned by the forwarder (p-retry), so the
 * SDK's own are off: stacked retries would multiply attempts and hide rate limits. A request that
 * times out fails as a connection error, which the forwarder retries. Telemetry is off: with
 * hundreds of requests in flight the SDK's buffer of request timings overflows and it warns on
 * every request.
 *
 * @example
 * const client = createStripeClient({ secretKey: "sk_test_...", apiBase: "http://127.0.0.1:12111" });
 */
export function createStripeClient(options: StripeClientOptions): Stripe {
  return new Stripe(options.secretKey, { maxNetworkRetries: 0, telemetry: false, timeout: options.timeoutMs ?? DEFAULT_TIMEOUT_MS, ...hostFrom(options.apiBase) });
}

function hostFrom(apiBase: string | undefined): { host?: string; port?: number; protocol?: "http" | "https" } {
  if (apiBase === undefined) return {};
  const url = new URL(apiBase);
  const protocol = url.protocol.replace(":", "");
  if (protocol !== "http" && protocol !== "https") {
    throw new BillingError("CONFIG_INVALID", `Invalid configuration: stripe.apiBase (STRIPE_API_BASE) must be an http:// or https:// URL, got ${JSON.stringify(apiBase)}`, { field: "stripe.apiBase" });
  }
  if (url.pathname !== "/" && url.pathname !== "") {
    throw new BillingError("CONFIG_INVALID", `Invalid configuration: stripe.apiBase (STRIPE_API_BASE) takes a host, port and protocol only, not a path; got ${JSON.stringify(apiBase)}`, { field: "stripe.apiBase" });
  }
  const port = url.port === "" ? (protocol === "http" ? 80 : 443) : Number.parseInt(url.port, 10);
  return { host: url.hostname, port, protocol };
}
