#!/usr/bin/env node
// The `billhub` command: runs the built CLI (dist/, made by `npm run build`).
import { existsSync } from "node:fs";

const entry = new URL("../dist/cli/run.js", import.meta.url);
if (!existsSync(entry)) {
  console.error("billhub: dist/ is missing; run `npm run build` in the billhub checkout first.");
  process.exit(1);
}
await import(entry.href);
