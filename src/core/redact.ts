/**
 * What looks like a credential in free text: provider API keys (Stripe's `sk_`/`rk_` keys, any
 * `whsec_` signing secret), Authorization header values, `key=value` pairs whose name says
 * secret, and the password in a connection URL.
 */
const SECRET_PATTERNS: ReadonlyArray<[RegExp, string]> = [
  [/\b(sk|rk)_(live|test)_[A-Za-z0-9]+/g, "$1_$2_[redacted]"],
  [/\bwhsec_[A-Za-z0-9+/=_-]+/g, "whsec_[redacted]"],
  [/\b(Bearer|Basic)\s+[^\s"',;]+/gi, "$1 [redacted]"],
  [/\b((?:api[_-]?key|secret|token|password|passwd|authorization)["']?\s*[:=]\s*["']?)(?!\[redacted\]|Bearer\b|Basic\b)[^\s"',;&]+/gi, "$1[redacted]"],
  [/\b([a-z][a-z0-9+.-]*:\/\/[^:/@\s]+):[^@/\s]+@/gi, "$1:[redacted]@"],
];

/**
 * Removes anything that looks like a secret from text that came from outside (a provider's
 * error message, a proxy's echo of our request) before it is stored or logged, where a read key
 * or a log reader would see it.
 *
 * @example
 * redactSecrets("401: invalid key Bearer sk_live_abc123") // "401: invalid key Bearer [redacted]"
 */
export function redactSecrets(text: string): string {
  let out = text;
  for (const [pattern, replacement] of SECRET_PATTERNS) out = out.replace(pattern, replacement);
  return out;
}
