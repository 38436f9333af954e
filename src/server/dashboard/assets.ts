import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { DASHBOARD_JS } from "./client-script.ts";
import { DASHBOARD_CSS } from "./styles.ts";

/** A file the dashboard serves from its own origin: nothing is loaded from the internet. */
export interface Asset {
  body: string;
  contentType: string;
}

const require = createRequire(import.meta.url);

/**
 * uPlot's browser build, resolved the way Node resolves the package (from billhub's own
 * node_modules, or wherever the installed package's dependencies are), read once on first use.
 */
function fromPackage(specifier: string, contentType: string): () => Promise<Asset> {
  let loaded: Promise<Asset> | undefined;
  return () => (loaded ??= readFile(require.resolve(specifier), "utf8").then((body) => ({ body, contentType })));
}

const JS = "text/javascript; charset=utf-8";
const CSS = "text/css; charset=utf-8";

const ASSETS: Record<string, () => Promise<Asset>> = {
  "uplot.js": fromPackage("uplot/dist/uPlot.iife.min.js", JS),
  "uplot.css": fromPackage("uplot/dist/uPlot.min.css", CSS),
  "dashboard.js": async () => ({ body: DASHBOARD_JS, contentType: JS }),
  "dashboard.css": async () => ({ body: DASHBOARD_CSS, contentType: CSS }),
};

/** The asset of that name, or undefined. */
export function findAsset(name: string): Promise<Asset> | undefined {
  return Object.hasOwn(ASSETS, name) ? ASSETS[name]!() : undefined;
}

/** A short tag of the assets' content: their URLs carry it, so a new version is fetched fresh. */
export const ASSET_VERSION = createHash("sha256")
  .update(DASHBOARD_JS)
  .update(DASHBOARD_CSS)
  .update((require("uplot/package.json") as { version: string }).version)
  .digest("hex")
  .slice(0, 10);

