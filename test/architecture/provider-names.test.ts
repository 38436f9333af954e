import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { describe, expect, it } from "vitest";
import { PROVIDERS } from "../../src/providers/index.ts";

const SRC = new URL("../../src/", import.meta.url).pathname;

/**
 * Files outside a provider's folder that may name a provider in code, each with the reason.
 * Comments never count: prose may say "as Stripe does" where that is the reference.
 */
const ALLOWED: Readonly<Record<string, string>> = {
  "providers/index.ts": "the list of provider definitions: one import and one entry per provider",
  "core/credits/types.ts": "a credit grant's source \"manual\" (granted by hand) is a word of the credit ledger, not the manual provider",
  "index.ts": "the package's public exports re-export each provider's own API (createStripeProvider, stripePriceToResolvedPrice, ...)",
};

/** The code of a TypeScript file with its comments blanked out (strings and template literals kept). */
function withoutComments(source: string): string {
  let out = "";
  let i = 0;
  while (i < source.length) {
    const c = source[i]!;
    const next = source[i + 1];
    if (c === "/" && next === "/") {
      while (i < source.length && source[i] !== "\n") i += 1;
    } else if (c === "/" && next === "*") {
      const end = source.indexOf("*/", i + 2);
      const stop = end === -1 ? source.length : end + 2;
      out += source.slice(i, stop).replace(/[^\n]/g, " ");
      i = stop;
    } else if (c === '"' || c === "'" || c === "`") {
      let j = i + 1;
      while (j < source.length && source[j] !== c) j += source[j] === "\\" ? 2 : 1;
      out += source.slice(i, j + 1);
      i = j + 1;
    } else {
      out += c;
      i += 1;
    }
  }
  return out;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith(".ts") ? [path] : [];
  });
}

describe("provider knowledge stays in the provider's folder", () => {
  const ids = PROVIDERS.map((definition) => definition.id);
  const providerFolders = ids.map((id) => `providers/${id}/`);
  // A provider's id as an identifier part or a string (`stripe`, `config.flowglad`, `createStripeProvider`,
  // `ORB_API_KEY`, `"manual"`), or its SDK's package name. A part is a whole camelCase or snake_case
  // segment, so a short id is not found inside another word (`orb` in `FORBIDDEN`).
  const segment = (id: string) => {
    const capitalized = id[0]!.toUpperCase() + id.slice(1);
    return `(?<![A-Za-z])${id}(?![a-z])|(?<![A-Z])${capitalized}(?![a-z])|(?<![A-Z])${id.toUpperCase()}(?![A-Z])`;
  };
  const pattern = new RegExp(ids.map((id) => (id === "manual" ? `["'\`]${id}["'\`]` : segment(id))).join("|"));

  it("names no provider in code outside src/providers/<id>/ (ids, config sections, SDK imports)", () => {
    const offenders: string[] = [];
    for (const file of sourceFiles(SRC)) {
      const path = relative(SRC, file);
      if (providerFolders.some((folder) => path.startsWith(folder)) || Object.hasOwn(ALLOWED, path)) continue;
      withoutComments(readFileSync(file, "utf8"))
        .split("\n")
        .forEach((line, index) => {
          if (pattern.test(line)) offenders.push(`src/${path}:${index + 1}: ${line.trim()}`);
        });
    }
    expect(offenders).toEqual([]);
  });

  it("finds a provider named in code, and not one named only in a comment", () => {
    expect(pattern.test(withoutComments(`const url = "http://x"; // as Stripe does\n/* flowglad */ const a = 1;`))).toBe(false);
    expect(pattern.test(withoutComments(`const section = config.stripe; // ok`))).toBe(true);
    expect(pattern.test(withoutComments(`if (id !== "manual") return;`))).toBe(true);
    expect(pattern.test(withoutComments(`const client = createStripeClient(); const key = env.FLOWGLAD_SECRET_KEY;`))).toBe(true);
    expect(pattern.test(withoutComments(`throw new BillingError("FORBIDDEN", "forbidden");`))).toBe(false);
  });
});

describe("the list of provider definitions", () => {
  it("has unique lower-case ids, each with the capabilities its provider object backs", async () => {
    const { parseConfig } = await import("../../src/config/load.ts");
    const { createProviderRegistry } = await import("../../src/providers/registry.ts");
    const ids = PROVIDERS.map((definition) => definition.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ids) expect(id).toMatch(/^[a-z][a-z0-9_]*$/);
    const sections = Object.fromEntries(PROVIDERS.filter((definition) => definition.configSchema !== null).map((definition) => [definition.id, { secretKey: "sk_test_key" }]));
    const registry = createProviderRegistry(parseConfig(sections));
    for (const definition of PROVIDERS) {
      const provider = registry.get(definition.id);
      const { capabilities } = definition;
      expect({ id: definition.id, remote: provider.remote }).toEqual({ id: definition.id, remote: capabilities.pushUsage });
      expect({ id: definition.id, webhooks: typeof provider.parseWebhook === "function" }).toEqual({ id: definition.id, webhooks: capabilities.webhooks });
      expect({ id: definition.id, readObjects: typeof provider.readObject === "function" }).toEqual({ id: definition.id, readObjects: capabilities.readObjects });
      expect({ id: definition.id, pullCatalog: typeof provider.pullCatalog === "function" }).toEqual({ id: definition.id, pullCatalog: capabilities.pullCatalog });
      expect({ id: definition.id, invoiceItems: provider.invoiceItems !== undefined }).toEqual({ id: definition.id, invoiceItems: capabilities.invoiceItems });
      expect({ id: definition.id, reconcile: typeof provider.readUsageTotal === "function" }).toEqual({ id: definition.id, reconcile: capabilities.reconcile });
      expect({ id: definition.id, createCustomers: typeof provider.createCustomer === "function" }).toEqual({ id: definition.id, createCustomers: capabilities.createCustomers });
      expect({ id: definition.id, checkout: typeof provider.startCheckout === "function" }).toEqual({ id: definition.id, checkout: capabilities.checkout });
      expect({ id: definition.id, portal: typeof provider.openPortal === "function" }).toEqual({ id: definition.id, portal: capabilities.portal });
    }
  });

  it("builds the config sections, environment variables, webhook routes and outbox provider ids", async () => {
    const { ENV_OPTIONS, configFromEnv } = await import("../../src/config/load.ts");
    const { WEBHOOK_PROVIDERS } = await import("../../src/webhooks/index.ts");
    const { providerIdsWith } = await import("../../src/providers/index.ts");
    for (const definition of PROVIDERS) {
      for (const [name, variable] of Object.entries(definition.env)) {
        expect(ENV_OPTIONS[name]).toBe(`${definition.id}.${variable.option}`);
        if (variable.type === "string") expect(configFromEnv({ [name]: "x" })).toEqual({ [definition.id]: { [variable.option]: "x" } });
      }
    }
    expect([...WEBHOOK_PROVIDERS]).toEqual(PROVIDERS.filter((definition) => definition.capabilities.webhooks).map((definition) => definition.id));
    const { resolveCatalog } = await import("../../src/config/catalog-source.ts");
    // The catalog's provider price lists are keyed by the providers whose webhooks bring subscriptions.
    expect(Object.keys(resolveCatalog(undefined).plans.default!.providerPrices)).toEqual(providerIdsWith("webhooks"));
    expect(providerIdsWith("pushUsage")).toEqual(PROVIDERS.filter((definition) => definition.capabilities.pushUsage).map((definition) => definition.id));
  });
});
