import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { describe, expect, it } from "vitest";
import { DEPRECATED_ALIASES } from "../../src/hub/namespaces.ts";

const ROOT = new URL("../../", import.meta.url).pathname;
// The hub's own callers: the library's code, the README's examples and the benchmarks.
const SCANNED = ["src", "bench"];
// Where the deprecated names are meant to appear: their definition and the span names' note.
const DEFINING = new Set(["src/hub/namespaces.ts", "src/hub/traced-hub.ts", "src/hub/webhooks.ts"]);

function files(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile() && /\.(ts|tsx)$/.test(entry.name))
    .map((entry) => relative(ROOT, join(entry.parentPath, entry.name)));
}

const deprecated = new RegExp(`\\bhub\\.(${DEPRECATED_ALIASES.map(([flat]) => flat).join("|")}|sync[A-Z]\\w*Catalog)\\(`, "g");

describe("callers of the hub", () => {
  it("call the namespaced members in billhub's own code, never a deprecated flat alias", () => {
    const found: string[] = [];
    for (const file of SCANNED.flatMap(files)) {
      if (DEFINING.has(file)) continue;
      readFileSync(join(ROOT, file), "utf8")
        .split("\n")
        .forEach((line, index) => {
          for (const match of line.matchAll(deprecated)) found.push(`${file}:${index + 1} hub.${match[1]}`);
        });
    }
    expect(found).toEqual([]);
  });

  it("show the namespaced members in the README's examples", () => {
    const readme = readFileSync(join(ROOT, "README.md"), "utf8");
    const blocks = [...readme.matchAll(/```ts\n([\s\S]*?)```/g)].map((match) => match[1]!);
    const found = blocks.flatMap((block) => [...block.matchAll(deprecated)].map((match) => `hub.${match[1]}`));
    expect(found).toEqual([]);
  });

  it("would catch one", () => {
    expect("await hub.previewInvoice(id)".match(deprecated)).toEqual(["hub.previewInvoice("]);
    expect("await hub.invoices.preview(id)".match(deprecated)).toBeNull();
  });
});
