import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { packageVersion } from "../../src/cli/version.ts";
import { createHub, type Hub } from "../../src/hub.ts";
import { apiReferenceMarkdown } from "../../src/server/api-reference.ts";
import { allRoutes } from "../../src/server/app.ts";
import { openTestStore, type TestStore } from "../support/store.ts";

let store: TestStore;
let hub: Hub;
beforeAll(async () => {
  store = await openTestStore();
  hub = await createHub({}, { store });
});
afterAll(async () => {
  await hub.close();
  await store.cleanup();
});

describe("the REST API reference", () => {
  it("is what the routes say: docs/API.md matches what `npm run docs:api` writes from their schemas", () => {
    const committed = readFileSync(new URL("../../docs/API.md", import.meta.url), "utf8");
    const generated = apiReferenceMarkdown(allRoutes(hub), packageVersion());
    // On a failure: run `npm run docs:api` and commit docs/API.md with the route change.
    expect(committed).toBe(generated);
  });

  it("lists every REST route once, with its access, and each body field of a route that takes one", () => {
    const reference = apiReferenceMarkdown(allRoutes(hub), packageVersion());
    const routes = allRoutes(hub).filter((spec) => !spec.path.startsWith("/webhooks/"));
    for (const spec of routes) {
      const heading = `### \`${spec.method.toUpperCase()} ${spec.path.replace(/:([A-Za-z0-9_]+)/g, "{$1}")}\``;
      expect(reference.split(heading).length - 1, heading).toBe(1);
    }
    expect(reference).toContain("| `transactionId` | string | yes |");
  });
});
