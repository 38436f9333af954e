import { execFileSync } from "node:child_process";
import { mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium, type Browser } from "playwright-core";

/** The flags CI runs Debian's chromium with: headless, no sandbox (containers), nothing fetched from the network. */
export const CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"];

/** How long one browser step may take on a loaded 2-core machine: generous, but bounded. */
export const STEP_TIMEOUT_MS = 30_000;

function chromiumPath(): string {
  try {
    return execFileSync("which", ["chromium"], { encoding: "utf8" }).trim();
  } catch {
    throw new Error("The browser tests need Debian's chromium: apt-get install -y chromium (.ci/run installs it when it is missing)");
  }
}

/** One headless chromium for a test file. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: chromiumPath(), args: CHROMIUM_FLAGS, headless: true, timeout: 60_000 });
}

/**
 * Where the browser tests write their screenshots: docs/screenshots (the PNGs the README shows)
 * when DASHBOARD_SCREENSHOTS=1, otherwise a temporary directory, so a test run leaves the
 * working tree as it was.
 */
export function screenshotDir(): string {
  const dir = process.env.DASHBOARD_SCREENSHOTS === "1" ? fileURLToPath(new URL("../../docs/screenshots/", import.meta.url)) : join(tmpdir(), "billhub-dashboard-screenshots");
  mkdirSync(dir, { recursive: true });
  return dir;
}
