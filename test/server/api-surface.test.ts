import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Hub } from "../../src/hub.ts";
import { allRoutes } from "../../src/server/app.ts";
import type { RouteSpec } from "../../src/server/route.ts";
import { apiHub, READ_KEY, type Call } from "../support/api.ts";
import { openTestStore, type TestStore } from "../support/store.ts";

let store: TestStore;
let hub: Hub;
let call: Call;
let routes: RouteSpec[];

beforeAll(async () => {
  store = await openTestStore();
  ({ hub, call } = await apiHub(store));
  routes = allRoutes(hub).filter((spec) => spec.path.startsWith("/v1/"));
});
afterAll(async () => {
  await hub.close();
  await store.cleanup();
});

const concrete = (spec: RouteSpec) => spec.path.replace(/:([A-Za-z]+)/g, "x");

describe("the /v1 API surface", () => {
  it("reads with GET, writes with anything else, except the two questions a read key may ask", () => {
    const readPosts = routes.filter((spec) => spec.method !== "get" && spec.access === "read").map((spec) => spec.path);
    expect(readPosts.sort()).toEqual(["/v1/entitlements/check", "/v1/usage/stats"]);
    for (const spec of routes.filter((s) => s.method === "get")) expect(spec.access, spec.path).toBe("read");
  });

  it("answers 401 to every route without a key, and 403 to every write route with a read key", async () => {
    for (const spec of routes) {
      const body = spec.body || spec.bodyCheckedByHub ? {} : undefined;
      expect((await call(spec.method.toUpperCase(), concrete(spec), body, { key: null })).status, `${spec.method} ${spec.path}`).toBe(401);
      if (spec.access === "write") {
        expect((await call(spec.method.toUpperCase(), concrete(spec), body, { key: READ_KEY })).status, `${spec.method} ${spec.path}`).toBe(403);
      }
    }
  });

  it("refuses a body that is not a JSON object on every route that takes one, naming the body", async () => {
    for (const spec of routes.filter((s) => s.body || s.bodyCheckedByHub)) {
      for (const raw of ["", "[]", "{", '"x"']) {
        expect(await call(spec.method.toUpperCase(), concrete(spec), raw), `${spec.method} ${spec.path} ${raw}`).toMatchObject({ status: 400, body: { error: { field: "body" } } });
      }
    }
  });

  it("documents every route in /openapi.json with its body schema, query parameters and bearer security", async () => {
    const { body: document } = await call("GET", "/openapi.json", undefined, { key: null });
    for (const spec of routes) {
      const path = spec.path.replace(/:([A-Za-z]+)/g, "{$1}");
      const operation = document.paths[path]?.[spec.method];
      expect(operation, `${spec.method} ${spec.path}`).toMatchObject({ summary: spec.summary, tags: [spec.tag] });
      expect(operation.security, spec.path).toBeUndefined();
      if (spec.body || spec.bodyCheckedByHub) expect(operation.requestBody.content["application/json"].schema, spec.path).toHaveProperty("type", "object");
    }
    const record = document.paths["/v1/usage"].post.requestBody.content["application/json"].schema;
    expect(record.required.sort()).toEqual(["customerId", "meter", "quantity", "transactionId"]);
    expect(record.additionalProperties).toBe(false);
    const usage = document.paths["/v1/customers/{id}/usage"].get.parameters.map((p: { name: string }) => p.name);
    expect(usage).toEqual(["id", "meter", "feature", "window", "from", "to", "at"]);
    expect(document.security).toEqual([{ bearer: [] }]);
  });
});
