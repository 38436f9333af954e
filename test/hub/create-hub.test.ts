import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHub } from "../../src/hub.ts";
import { defineCatalog } from "../../src/core/catalog/index.ts";
import { openTestStore, type TestStore } from "../support/store.ts";

let store: TestStore;
let dir: string;
beforeAll(async () => {
  store = await openTestStore();
  dir = await mkdtemp(join(tmpdir(), "billhub-hub-"));
});
afterAll(async () => {
  await store.cleanup();
  await rm(dir, { recursive: true, force: true });
});

describe("createHub", () => {
  it("loads the catalog from a JSON file path", async () => {
    const hub = await createHub({ catalog: new URL("../../fixtures/catalog.json", import.meta.url).pathname }, { store });
    expect(hub.catalog.defaultPlan).toBe("free");
    await hub.close();
  });

  it("takes a catalog defined in code as it is", async () => {
    const catalog = defineCatalog({ currency: "EUR", plans: { basic: { name: "Basic" } }, defaultPlan: "basic" });
    const hub = await createHub({ catalog }, { store });
    expect(hub.catalog).toBe(catalog);
    await hub.close();
  });

  it("runs with a one-plan empty catalog when none is configured", async () => {
    const hub = await createHub({}, { store });
    expect(Object.keys(hub.catalog.plans)).toEqual(["default"]);
    expect(hub.catalog.features).toEqual({});
    await hub.close();
  });

  it("names a catalog file that is missing or not JSON", async () => {
    await expect(createHub({ catalog: join(dir, "nope.json") }, { store })).rejects.toMatchObject({ code: "CONFIG_INVALID", field: "catalog" });
    const broken = join(dir, "broken.json");
    await writeFile(broken, "{");
    await expect(createHub({ catalog: broken }, { store })).rejects.toMatchObject({ code: "CATALOG_INVALID", message: expect.stringContaining(broken) });
  });

  it("does not close a store it was given", async () => {
    const hub = await createHub({}, { store });
    await hub.close();
    expect((await store.query("SELECT 1 AS one")).rows).toEqual([{ one: 1 }]);
  });
});
