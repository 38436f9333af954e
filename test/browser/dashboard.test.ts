import { join } from "node:path";
import { setupServer } from "msw/node";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Hub } from "../../src/hub.ts";
import { startServer, type RunningServer } from "../../src/server/serve.ts";
import { launchChromium, screenshotDir, STEP_TIMEOUT_MS } from "../support/browser.ts";
import { DASHBOARD_NOW, dashboardHub, READ_KEY, seedDashboard, WRITE_KEY, type Seeded } from "../support/dashboard.ts";
import { createStripeStandIn } from "../support/msw/stripe.ts";
import { driverName, openTestStore, type TestStore } from "../support/store.ts";

const stripe = createStripeStandIn({ now: () => DASHBOARD_NOW });
const server = setupServer(...stripe.handlers);

let store: TestStore;
let hub: Hub;
let running: RunningServer;
let browser: Browser;
let seeded: Seeded;
const shots = screenshotDir();
/** Each test drives a real browser through several pages: room for a machine busy with other work. */
const TEST_TIMEOUT_MS = 240_000;

beforeAll(async () => {
  server.listen({ onUnhandledRequest: "error" });
  store = await openTestStore();
  hub = await dashboardHub(store, { forwarder: true });
  seeded = await seedDashboard(hub);
  // The forwarder runs inside the server, as under `billhub serve`.
  running = await startServer(hub, { port: 0, log: () => {} });
  browser = await launchChromium();
}, 180_000);
afterAll(async () => {
  await browser?.close();
  await running?.close();
  server.close();
  await store?.cleanup();
});

async function openPage(width: number): Promise<Page> {
  const page = await browser.newPage({ viewport: { width, height: 900 } });
  page.setDefaultTimeout(STEP_TIMEOUT_MS);
  page.setDefaultNavigationTimeout(STEP_TIMEOUT_MS);
  return page;
}

async function signIn(page: Page, key: string): Promise<void> {
  await page.goto(`${running.url}/dashboard`);
  await page.getByLabel("API key").fill(key);
  await page.keyboard.press("Enter");
  await page.waitForURL(`${running.url}/dashboard`);
}

/** The page is no wider than the window: nothing but its own wide tables scrolls sideways. */
async function fitsWidth(page: Page): Promise<boolean> {
  // A string, evaluated in the page: the test's own types know no DOM.
  return page.evaluate<boolean>("document.documentElement.scrollWidth <= window.innerWidth");
}

describe(`the dashboard in a browser (${driverName})`, () => {
  it("signs in with a write key, finds the seeded customer and shows its usage chart and entitlement bars, then signs out", async () => {
    const page = await openPage(1280);
    await signIn(page, WRITE_KEY);
    await expect.poll(() => page.locator('[data-metric="events-today"] .value').textContent()).toBe("4");
    expect(await page.locator("#chart-events").getAttribute("data-drawn")).toBe("2");
    await page.screenshot({ path: join(shots, "overview-1280.png"), fullPage: true });

    await page.getByRole("link", { name: "Customers" }).click();
    await page.getByLabel("Search by id, email or name").fill("acme");
    await page.getByRole("button", { name: "Search" }).click();
    await page.getByRole("link", { name: "acme", exact: true }).click();
    await page.waitForURL(/\/dashboard\/customers\/acme$/);

    const api = page.getByRole("meter", { name: "API calls: 1,500 of 100,000 used" });
    expect(await api.getAttribute("value")).toBe("1500");
    expect(await api.getAttribute("max")).toBe("100000");
    await page.getByLabel("Window").selectOption("24h");
    await page.getByRole("button", { name: "Show" }).click();
    await page.waitForURL(/window=24h/);
    const chart = page.locator('[data-meter="api_calls"] figure');
    expect(await chart.getAttribute("data-drawn")).toBe("2");
    expect(await chart.locator("canvas").count()).toBe(1);
    await chart.getByText("Table of api_calls").click();
    expect(await chart.getByRole("cell", { name: "1,200" }).isVisible()).toBe(true);
    expect(await chart.getByRole("cell", { name: "300" }).isVisible()).toBe(true);
    await page.screenshot({ path: join(shots, "customer-1280.png"), fullPage: true });

    for (const [section, file] of [
      ["Invoices", "invoices"],
      ["Outbox", "outbox"],
      ["Webhooks", "webhooks"],
    ] as const) {
      await page.getByRole("navigation", { name: "Sections" }).getByRole("link", { name: section }).click();
      await page.getByRole("heading", { level: 1, name: section }).waitFor();
      await page.screenshot({ path: join(shots, `${file}-1280.png`), fullPage: true });
    }
    await page.getByRole("link", { name: "Invoices" }).click();
    await page.getByLabel("Billing period (YYYY-MM, YYYY or YYYY-Www)").fill(seeded.period);
    await page.getByRole("button", { name: "Filter" }).click();
    await page.locator("tr[data-invoice-id] a").first().click();
    await page.getByRole("table", { name: "Invoice lines" }).waitFor();
    await page.screenshot({ path: join(shots, "invoice-1280.png"), fullPage: true });

    await page.getByRole("button", { name: "Sign out" }).click();
    await page.getByText("You are signed out.").waitFor();
    await page.goto(`${running.url}/dashboard/customers`);
    expect(page.url()).toBe(`${running.url}/dashboard/sign-in?next=%2Fdashboard%2Fcustomers`);
    await page.close();
  }, TEST_TIMEOUT_MS);

  it("replays a dead outbox row with a write key after confirming, and the forwarder delivers it", async () => {
    // The row died because globex had no Stripe customer; linked now, a replay can go through.
    await hub.upsertCustomer({ id: "globex", providerIds: { stripe: "cus_globex" } });
    const page = await openPage(1280);
    await signIn(page, WRITE_KEY);
    await page.goto(`${running.url}/dashboard/outbox?status=dead`);
    await page.getByRole("link", { name: `Replay ${seeded.dead.transactionId}…` }).click();
    await page.getByRole("button", { name: "Replay this row" }).click();
    await page.getByText("1 dead row was made pending again").waitFor();
    const row = page.locator(`tr[data-transaction-id="${seeded.dead.transactionId}"]`);
    await expect
      .poll(
        async () => {
          await page.reload();
          return row.getAttribute("data-status");
        },
        { timeout: 60_000, interval: 250 },
      )
      .toBe("delivered");
    expect(stripe.events().map((event) => event.identifier)).toContain(seeded.dead.transactionId);
    await page.close();
  }, TEST_TIMEOUT_MS);

  it("lets a read key look at every page but refuses it the replay", async () => {
    const page = await openPage(1280);
    await signIn(page, READ_KEY);
    await page.goto(`${running.url}/dashboard/outbox`);
    expect(await page.getByText("Replaying dead rows needs a sign-in with a write key.").isVisible()).toBe(true);
    expect(await page.getByRole("link", { name: /^Replay / }).count()).toBe(0);
    const refused = await page.goto(`${running.url}/dashboard/outbox/replay?transactionId=${seeded.dead.transactionId}&provider=stripe`);
    expect(refused?.status()).toBe(403);
    expect(await page.getByText("You signed in with a read key, which can look but not act").isVisible()).toBe(true);
    await page.close();
  }, TEST_TIMEOUT_MS);

  it("reads at 390 px: every page fits the width, and the keyboard reaches the content first", async () => {
    const page = await openPage(390);
    await signIn(page, READ_KEY);
    await page.keyboard.press("Tab");
    expect(await page.evaluate<string | undefined>("document.activeElement?.textContent")).toBe("Skip to content");
    for (const [path, file] of [
      ["", "overview"],
      ["/customers", "customers"],
      ["/customers/acme", "customer"],
      ["/invoices", "invoices"],
      ["/outbox", "outbox"],
      ["/webhooks", "webhooks"],
    ] as const) {
      await page.goto(`${running.url}/dashboard${path}`);
      expect(await fitsWidth(page), path).toBe(true);
      await page.screenshot({ path: join(shots, `${file}-390.png`), fullPage: true });
    }
    await page.close();
  }, TEST_TIMEOUT_MS);
});
