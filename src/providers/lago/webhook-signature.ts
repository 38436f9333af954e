import { createHmac, createPublicKey, timingSafeEqual, verify, type KeyObject } from "node:crypto";
import { BillingError } from "../../core/errors.ts";

/**
 * Checks an `X-Lago-Signature` over the raw body, as lago-api signs it (app/models/webhook.rb,
 * `generate_headers`; docs.getlago.com/api-reference/webhooks/format---signature):
 * - `hmac`: base64 of HMAC-SHA256, keyed with the organization's HMAC key, of the body;
 * - `jwt` (Lago's default): an RS256 JWT `{ data: <the body>, iss: <Lago's API URL> }` signed
 *   with Lago's private key, checked with its public key (GET /api/v1/webhooks/public_key), its
 *   issuer, and its `data` being exactly the body that came with it.
 * Lago sends no timestamp, so there is no age check: a replay is caught by the
 * `X-Lago-Unique-Key` dedupe instead.
 *
 * @example
 * verifyLagoSignature({ algorithm: "hmac", signature, body, hmacKey: "key", publicKey: undefined, issuer: "https://api.getlago.com" });
 */
export function verifyLagoSignature(input: { algorithm: string; signature: string; body: string; hmacKey: string | undefined; publicKey: KeyObject | undefined; issuer: string }): void {
  const { algorithm, signature, body } = input;
  if (algorithm === "hmac") {
    if (input.hmacKey === undefined) notConfigured("lago.webhookHmacKey (LAGO_WEBHOOK_HMAC_KEY)", "hmac", "the organization's HMAC key from Lago's developer settings");
    const expected = Buffer.from(createHmac("sha256", input.hmacKey).update(body).digest("base64"));
    const given = Buffer.from(signature.trim());
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) invalid("Lago webhook HMAC signature did not verify. Pass the raw, unparsed request body and the organization's HMAC key");
    return;
  }
  if (algorithm === "jwt") {
    if (input.publicKey === undefined) notConfigured("lago.webhookPublicKey (LAGO_WEBHOOK_PUBLIC_KEY)", "jwt", "Lago's public key from GET /api/v1/webhooks/public_key");
    const parts = signature.trim().split(".");
    if (parts.length !== 3) invalid("X-Lago-Signature is not a JWT (three dot-separated parts)");
    const [header, payload, sig] = parts as [string, string, string];
    const headerJson = decodeJson(header, "header");
    if (headerJson.alg !== "RS256") invalid(`Lago webhook JWT is signed with ${JSON.stringify(headerJson.alg)}, not RS256`);
    const ok = verify("RSA-SHA256", Buffer.from(`${header}.${payload}`), input.publicKey, Buffer.from(sig, "base64url"));
    if (!ok) invalid("Lago webhook JWT signature did not verify with lago.webhookPublicKey");
    const claims = decodeJson(payload, "payload");
    if (claims.iss !== input.issuer) invalid(`Lago webhook JWT was issued by ${JSON.stringify(claims.iss)}, not ${JSON.stringify(input.issuer)}; set lago.webhookIssuer to your Lago API URL`);
    if (claims.data !== body) invalid("Lago webhook body is not the one its JWT signed. Pass the raw, unparsed request body");
    return;
  }
  invalid(`X-Lago-Signature-Algorithm is ${JSON.stringify(algorithm.slice(0, 20))}; Lago signs with jwt or hmac`, "headers.x-lago-signature-algorithm");
}

/**
 * Lago's public key as node:crypto takes it: a PEM, or the base64 of one, as
 * GET /api/v1/webhooks/public_key answers it. A key that reads as neither fails at start-up.
 */
export function lagoPublicKey(text: string): KeyObject {
  const pem = text.includes("-----BEGIN") ? text : Buffer.from(text.trim(), "base64").toString("utf8");
  try {
    return createPublicKey(pem);
  } catch (error) {
    throw new BillingError("CONFIG_INVALID", `Invalid configuration: lago.webhookPublicKey (LAGO_WEBHOOK_PUBLIC_KEY) is not an RSA public key, as PEM or as the base64 text GET /api/v1/webhooks/public_key answers: ${(error as Error).message}`, {
      field: "lago.webhookPublicKey",
      cause: error,
    });
  }
}

function decodeJson(part: string, what: string): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(Buffer.from(part, "base64url").toString("utf8"));
    if (typeof value === "object" && value !== null) return value as Record<string, unknown>;
  } catch {
    // reported below
  }
  return invalid(`Lago webhook JWT ${what} is not base64url JSON`);
}

function notConfigured(option: string, algorithm: string, what: string): never {
  throw new BillingError("CONFIG_INVALID", `Invalid configuration: ${option} is required to verify Lago webhooks signed with ${algorithm}; set it to ${what}`, { field: option.split(" ")[0]! });
}

function invalid(message: string, field = "headers.x-lago-signature"): never {
  throw new BillingError("WEBHOOK_SIGNATURE_INVALID", message, { provider: "lago", field });
}
