// Writes docs/API.md, the REST API reference, from the routes' own schemas: `npm run docs:api`.
// A test compares the committed file with what this writes, so the reference cannot drift.
import { writeFileSync } from "node:fs";
import { createHub } from "../src/hub.ts";
import { apiReferenceMarkdown } from "../src/server/api-reference.ts";
import { allRoutes } from "../src/server/app.ts";
import { packageVersion } from "../src/cli/version.ts";

const hub = await createHub({ store: { dataDir: "memory://" } });
try {
  const target = new URL("../docs/API.md", import.meta.url);
  writeFileSync(target, apiReferenceMarkdown(allRoutes(hub), packageVersion()));
  console.log(`wrote ${target.pathname}`);
} finally {
  await hub.close();
}
