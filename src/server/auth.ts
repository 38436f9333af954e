import { createHash, timingSafeEqual } from "node:crypto";
import type { HubConfig } from "../config/schema.ts";
import { BillingError } from "../core/errors.ts";

export type Access = "read" | "write";

interface KeyEntry {
  digest: Buffer;
  access: Access;
}

function digest(value: string): Buffer {
  return createHash("sha256").update(value, "utf8").digest();
}

/**
 * Resolves `Authorization: Bearer <key>` against the configured API keys. Every key is compared
 * (hash against hash, in constant time), so timing says nothing about which key nearly matched.
 */
export function createKeyVerifier(keys: HubConfig["server"]["apiKeys"]): (header: string | undefined) => Access {
  const entries: KeyEntry[] = keys.map((k) => ({ digest: digest(k.key), access: k.access }));
  return (header) => {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header ?? "");
    if (!match) {
      throw new BillingError("UNAUTHORIZED", "Missing API key: send the header `Authorization: Bearer <key>`");
    }
    const presented = digest(match[1]!);
    let found: Access | undefined;
    for (const entry of entries) {
      if (timingSafeEqual(entry.digest, presented) && found === undefined) found = entry.access;
    }
    if (found === undefined) throw new BillingError("UNAUTHORIZED", "Invalid API key");
    return found;
  };
}

/** Read keys may call read routes; write keys may call everything. */
export function requireAccess(granted: Access, needed: Access): void {
  if (needed === "write" && granted !== "write") {
    throw new BillingError("FORBIDDEN", "This API key is read-only; use a key with write access for this request");
  }
}
