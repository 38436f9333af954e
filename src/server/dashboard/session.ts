import { createHash, createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import type { HubConfig } from "../../config/schema.ts";
import type { Access } from "../auth.ts";

/** A signed-in dashboard visitor: what their key may do, until when. */
export interface Session {
  access: Access;
  /** Names the key signed in with (an HMAC of it, never the key). */
  keyId: string;
  /** Random per sign-in: what the session's CSRF token is bound to and what sign-out revokes. */
  nonce: string;
  expiresAt: number;
}

export interface Sessions {
  /** A new session for `key`, or undefined when it is not one of the configured keys. */
  signIn(key: string): { session: Session; cookie: string } | undefined;
  /** The session a cookie value carries, if its signature holds, it has not expired or been signed out, and its key is still configured. */
  read(cookie: string | undefined): Session | undefined;
  signOut(session: Session): void;
  /** The token every form of the session carries; `nonce` is a session's, or a sign-in form's own. */
  csrfToken(nonce: string): string;
  csrfValid(nonce: string, token: unknown): boolean;
}

const VERSION = "v1";

function base64url(bytes: Buffer): string {
  return bytes.toString("base64url");
}

function sameText(a: string, b: string): boolean {
  const left = createHash("sha256").update(a).digest();
  const right = createHash("sha256").update(b).digest();
  return timingSafeEqual(left, right);
}

/** A fresh random value for a session or a sign-in form. */
export function newNonce(): string {
  return base64url(randomBytes(18));
}

/**
 * Stateless sessions: the cookie holds `v1.<keyId>.<expiresAt>.<nonce>.<mac>`, signed with a
 * secret derived from every configured key. So sessions survive a restart and work on any
 * process of the same configuration; changing the keys ends them all, removing one key ends its
 * own; access is the key's as configured now, not as it was at sign-in. Sign-out revokes the
 * session in this process (kept until it would have expired anyway); the browser's cookie is
 * cleared too.
 */
export function createSessions(keys: HubConfig["server"]["apiKeys"], options: { ttlMs: number; now: () => number }): Sessions {
  const secret = createHmac("sha256", "billhub dashboard sessions").update(JSON.stringify(keys.map((k) => [k.key, k.access]).sort())).digest();
  const mac = (purpose: string, text: string) => base64url(createHmac("sha256", secret).update(`${purpose}\0${text}`).digest());
  const byId = new Map(keys.map((k) => [mac("key", k.key), k.access] as const));
  const revoked = new Map<string, number>();

  function forget(now: number) {
    for (const [nonce, expiresAt] of revoked) if (expiresAt <= now) revoked.delete(nonce);
  }

  return {
    signIn(key) {
      // Every key is compared, in constant time, as the API's verifier does.
      let access: Access | undefined;
      for (const entry of keys) if (sameText(entry.key, key) && access === undefined) access = entry.access;
      if (access === undefined) return undefined;
      const session: Session = { access, keyId: mac("key", key), nonce: newNonce(), expiresAt: options.now() + options.ttlMs };
      const body = `${VERSION}.${session.keyId}.${session.expiresAt}.${session.nonce}`;
      return { session, cookie: `${body}.${mac("session", body)}` };
    },
    read(cookie) {
      if (cookie === undefined || cookie.length > 400) return undefined;
      const parts = cookie.split(".");
      if (parts.length !== 5 || parts[0] !== VERSION) return undefined;
      const [, keyId, expires, nonce, signature] = parts as [string, string, string, string, string];
      if (!sameText(mac("session", parts.slice(0, 4).join(".")), signature)) return undefined;
      const expiresAt = Number(expires);
      const now = options.now();
      if (!Number.isSafeInteger(expiresAt) || expiresAt <= now || revoked.has(nonce)) return undefined;
      const access = byId.get(keyId);
      return access === undefined ? undefined : { access, keyId, nonce, expiresAt };
    },
    signOut(session) {
      forget(options.now());
      revoked.set(session.nonce, session.expiresAt);
    },
    csrfToken: (nonce) => mac("csrf", nonce),
    csrfValid: (nonce, token) => typeof token === "string" && sameText(mac("csrf", nonce), token),
  };
}
