#!/usr/bin/env node
// Runs the TypeScript CLI through tsx's loader, so the package works without a build step.
import { register } from "tsx/esm/api";

register();
const { main } = await import("../src/cli/main.ts");
const code = await main(process.argv.slice(2));
if (code !== 0) process.exit(code);
