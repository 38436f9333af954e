import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { billhub } from "../support/cli.ts";
import { openProcessStore, type ProcessStore } from "../support/process-store.ts";
import { DATABASE_URL } from "../support/store.ts";

const HOOK = join(import.meta.dirname, "../support/record-loaded-packages.mjs");

describe("a billhub process loads the store driver and provider SDKs it uses, not the others", () => {
  let root: string;
  let store: ProcessStore;
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), "billhub-loaded-packages-"));
    store = await openProcessStore(root);
  }, 60_000);
  afterAll(async () => {
    await store.cleanup();
    await rm(root, { recursive: true, force: true });
  });

  /** The packages `billhub outbox status` loads with Stripe as the provider, on the test's store. */
  async function packagesLoadedWithStripe(): Promise<Set<string>> {
    const file = join(root, `loaded-${Date.now()}.txt`);
    const result = await billhub(["outbox", "status"], {
      ...store.env,
      BILLHUB_PROVIDER: "stripe",
      STRIPE_SECRET_KEY: "sk_test_loaded_packages",
      METRONOME_BEARER_TOKEN: "mt_test_loaded_packages",
      OPENMETER_API_KEY: "om_test_loaded_packages",
      POLAR_ACCESS_TOKEN: "polar_oat_loaded_packages",
      NODE_OPTIONS: `--import ${HOOK}`,
      LOADED_PACKAGES_FILE: file,
    });
    expect(result, result.stderr).toMatchObject({ code: 0 });
    return new Set((await readFile(file, "utf8")).split("\n").filter(Boolean));
  }

  it("loads Stripe's SDK but not Flowglad's, nor Metronome's, OpenMeter's or Polar's while configured but unused, when Stripe is the provider, and only the driver of its store", async () => {
    const loaded = await packagesLoadedWithStripe();
    expect(loaded).toContain("stripe");
    expect(loaded).not.toContain("@flowglad/server");
    expect(loaded).not.toContain("@metronome/sdk");
    expect(loaded).not.toContain("orb-billing");
    expect(loaded).not.toContain("lago-javascript-client");
    expect(loaded).not.toContain("@openmeter/sdk");
    expect(loaded).not.toContain("@polar-sh/sdk");
    if (DATABASE_URL) {
      expect(loaded).toContain("pg");
      expect(loaded).not.toContain("@electric-sql/pglite");
    } else {
      expect(loaded).toContain("@electric-sql/pglite");
      expect(loaded).not.toContain("pg");
    }
  }, 60_000);
});
