import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHub } from "../../src/hub.ts";
import { startServer, type RunningServer } from "../../src/server/serve.ts";
import { openTestStore, type TestStore } from "../support/store.ts";

let store: TestStore;
beforeAll(async () => {
  store = await openTestStore({ migrate: false });
});
afterAll(() => store.cleanup());

describe("health endpoints", () => {
  it("answers /readyz 503 with the pending migrations until the schema is current, then 200", async () => {
    const hub = await createHub({ store: { migrate: false } }, { store });
    const server: RunningServer = await startServer(hub, { port: 0 });
    try {
      const before = await fetch(`${server.url}/readyz`);
      expect(before.status).toBe(503);
      const body = (await before.json()) as { pendingMigrations: string[] };
      expect(body.pendingMigrations).toContain("0001_customers");

      await hub.migrate();
      const after = await fetch(`${server.url}/readyz`);
      expect(after.status).toBe(200);
      expect(await after.json()).toEqual({ ok: true, pendingMigrations: [] });

      const health = await fetch(`${server.url}/healthz`);
      expect(await health.json()).toEqual({ ok: true });
    } finally {
      await server.close();
    }
  });

  it("answers an unknown route with a JSON NOT_FOUND error", async () => {
    const hub = await createHub({}, { store });
    const server = await startServer(hub, { port: 0 });
    try {
      const response = await fetch(`${server.url}/nope`);
      expect(response.status).toBe(404);
      expect(await response.json()).toEqual({ error: { code: "NOT_FOUND", message: "No route for GET /nope" } });
    } finally {
      await server.close();
    }
  });
});
