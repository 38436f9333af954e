import { createHmac, createSign, generateKeyPairSync } from "node:crypto";

/** Lago's webhook signing, as lago-api does it (app/models/webhook.rb): HMAC or an RS256 JWT over the body. */
export const LAGO_HMAC_KEY = "lago_hmac_key_test";
export const LAGO_ISSUER = "https://lago.test";
const keys = generateKeyPairSync("rsa", { modulusLength: 2048 });
/** Lago's public key as GET /api/v1/webhooks/public_key answers it: the PEM, base64-encoded. */
export const LAGO_PUBLIC_KEY_BASE64 = Buffer.from(keys.publicKey.export({ type: "spki", format: "pem" }) as string).toString("base64");

const base64url = (value: string | Buffer) => Buffer.from(value).toString("base64url");

/** An RS256 JWT `{ data: body, iss }`, as Lago signs a webhook. */
export function lagoJwt(body: string, options: { issuer?: string; data?: string; privateKey?: typeof keys.privateKey } = {}): string {
  const header = base64url(JSON.stringify({ alg: "RS256" }));
  const payload = base64url(JSON.stringify({ data: options.data ?? body, iss: options.issuer ?? LAGO_ISSUER }));
  const signature = createSign("RSA-SHA256").update(`${header}.${payload}`).sign(options.privateKey ?? keys.privateKey);
  return `${header}.${payload}.${base64url(signature)}`;
}

export function lagoHmac(body: string, key = LAGO_HMAC_KEY): string {
  return createHmac("sha256", key).update(body).digest("base64");
}

/** Headers of a Lago webhook delivery signed with `algorithm`. */
export function lagoHeaders(body: string, uniqueKey: string, algorithm: "jwt" | "hmac" = "hmac"): Record<string, string> {
  return {
    "content-type": "application/json",
    "x-lago-signature": algorithm === "hmac" ? lagoHmac(body) : lagoJwt(body),
    "x-lago-signature-algorithm": algorithm,
    "x-lago-unique-key": uniqueKey,
  };
}

/** Another key pair, for a JWT Lago did not sign. */
export const otherPrivateKey = generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey;
